/*
 * Where a follower's lag goes, commit by commit (docs/BENCHMARKS.md, "Follower lag"):
 * `node dist/bench/lag/lag-timeline.js DIR [MODE]` reads what `bench:lag --keep-logs DIR`
 * kept from a run with CHALKFS_LOG_LEVEL=debug (each case's commit and sighting times, and
 * the two hosts' daemon logs), follows each commit of the chalkfs case through the writer's
 * version, the follower's adoption, the switch of the open database and the reader's first
 * sight, and prints p50/p99 of each step. Every time is the one machine's wall clock
 * (pino's `time` is Date.now(), in ms; the children's stamps are sub-ms).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { percentile } from './lag-report.js';

/** A daemon log line, as pino writes it (only the fields used here). */
export interface LogLine {
  time: number;
  msg: string;
  seq?: number;
  reason?: string;
  consistent?: boolean;
  tookMs?: number;
  lookMs?: number;
  fetchMs?: number;
  lockMs?: number;
  path?: string;
}

/** A commit as the bench's writer printed it: COMMIT returned `at`, after `commitMs`. */
export interface TimedCommit {
  id: number;
  at: number;
  commitMs?: number;
}

/** One commit's way to the reader, ms. */
export interface CommitSteps {
  /** The writer's reason for the version that first held it (periodic, wal-commit, ...). */
  reason: string;
  /** COMMIT on the writer. */
  commitMs: number | undefined;
  /** COMMIT returned → that version durable (negative: durable before COMMIT returned). */
  toDurable: number;
  /** Durable → adopted by the follower (its wait for the next look, the look, the fetch). */
  toAdopted: number;
  /** The look's store requests, and the fetch of changed blocks, of that adoption. */
  lookMs: number | undefined;
  fetchMs: number | undefined;
  /** Adopted → the open database switched (lockMs of it waiting for the readers' lock). */
  toSwitched: number;
  lockMs: number | undefined;
  /** Switched → the reader's first read that sees it (its next read transaction, a wal-index rebuild in WAL mode). */
  toSeen: number;
  total: number;
}

/** Versions SQLite's commit point itself starts, inside COMMIT: a journal's deletion, a WAL commit frame, a sync. */
const startedByCommitPoint = new Set(['journal-deleted', 'wal-commit', 'fsync']);

/**
 * Each commit's steps, for the commits whose every step is in the logs. The version that
 * first held a commit is the first consistent one started (logged − tookMs, 1 ms slack for
 * the logs' rounding) after COMMIT started, for a version the commit point starts, or
 * after COMMIT returned, for any other (a periodic commit that starts during a slow
 * COMMIT may come before its commit point).
 */
export function commitSteps(database: string, commits: TimedCommit[], seen: { id: number; at: number }[], writer: LogLine[], follower: LogLine[]): CommitSteps[] {
  const versions = writer.filter((l) => l.msg === 'committed' && l.consistent);
  const found = follower.filter((l) => l.msg === 'found a newer version');
  const adopted = follower.filter((l) => l.msg === 'adopted a new version');
  const switched = follower.filter((l) => l.msg === 'switched an open database to the version served' && l.path === database);
  const steps: CommitSteps[] = [];
  for (const c of commits) {
    const version = versions.find((v) => v.time - (v.tookMs ?? 0) >= (startedByCommitPoint.has(v.reason ?? '') ? c.at - (c.commitMs ?? 0) : c.at) - 1);
    const adoption = version && adopted.find((a) => (a.seq ?? 0) >= version.seq!);
    const sw = adoption && switched.find((s) => (s.seq ?? 0) >= adoption.seq! && s.time >= adoption.time);
    const sight = seen.find((s) => s.id >= c.id);
    if (!version || !adoption || !sw || !sight) continue;
    const look = found.find((f) => f.seq === adoption.seq);
    steps.push({
      reason: version.reason ?? '?',
      commitMs: c.commitMs,
      toDurable: version.time - c.at,
      toAdopted: adoption.time - version.time,
      lookMs: look?.lookMs,
      fetchMs: look?.fetchMs,
      toSwitched: sw.time - adoption.time,
      lockMs: sw.lockMs,
      toSeen: sight.at - sw.time,
      total: sight.at - c.at,
    });
  }
  return steps;
}

/** p50 and p99 of each numeric step, as Markdown table rows. */
export function renderSteps(steps: CommitSteps[]): string {
  const keys = ['commitMs', 'toDurable', 'toAdopted', 'lookMs', 'fetchMs', 'toSwitched', 'lockMs', 'toSeen', 'total'] as const;
  const reasons = new Map<string, number>();
  for (const s of steps) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
  const lines = ['| step | p50 ms | p99 ms |', '|---|---|---|'];
  for (const key of keys) {
    const values = steps.map((s) => s[key]).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
    if (values.length > 0) lines.push(`| ${key} | ${percentile(values, 50).toFixed(1)} | ${percentile(values, 99).toFixed(1)} |`);
  }
  const byReason = [...reasons].map(([reason, n]) => `${reason} ${n}`).join(', ');
  return `${steps.length} commits followed; the version that first held them was written by: ${byReason}\n\n${lines.join('\n')}\n`;
}

function readLogs(dir: string): LogLine[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, mode = 'wal'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: lag-timeline.js DIR [MODE] (DIR: what bench:lag --keep-logs kept)');
  const timeline = JSON.parse(readFileSync(join(dir, `chalkfs-${mode}-timeline.json`), 'utf8')) as { committed: TimedCommit[]; seen: { id: number; at: number }[] };
  console.log(renderSteps(commitSteps(`/${mode}.db`, timeline.committed, timeline.seen, readLogs(join(dir, 'writer')), readLogs(join(dir, 'follower')))));
}
