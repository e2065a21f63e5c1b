/*
 * `npm run bench:lag` (docs/BENCHMARKS.md, "Follower lag"; issue 15): how soon a
 * long-lived SQLite connection on another host sees a commit. One MinIO; a writer mount
 * and a read-only mount, each its own CHALKFS_HOME (a host); a writer process commits
 * one-row transactions at a steady pace while a reader process on the follower holds
 * one connection open and reads max(id) every few milliseconds. Per journal mode: lag
 * p50/p99/max from COMMIT returning to the first read that sees the row, against the same
 * pair of connections on local disk and against the goal (the follower's refresh
 * interval plus two store round trips, measured in this run). Writes JSON, a Markdown
 * table and an SVG chart to bench/results/<stamp>-lag.* (bench-session.ts cleans up).
 */
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { defaultRefreshIntervalMs } from '../../chalkfs/vfs/refresh-schedule.js';
import { projectRoot } from '../../chalkfs/util/paths.js';
import { BenchSession } from '../bench-session.js';
import { gitInfo } from '../machine-info.js';
import { sleep, waitForMount } from '../system-commands.js';
import { lagReaderCode, lagWriterCode } from './lag-children.js';
import { percentile, renderLagChart, renderLagTable, summarize, type LagGoal, type LagSummary } from './lag-report.js';

const program = new Command()
  .name('chalkfs-bench-lag')
  .description('follower lag: COMMIT on a writer to first sight on a long-lived reader connection on another host (issue 15)')
  .option('--commits <n>', 'commits per case', '200')
  .option('--interval-ms <ms>', 'pause between the writer\'s commits', '100')
  .option('--poll-ms <ms>', 'pause between the reader\'s reads', '2')
  .option('--modes <list>', 'journal modes', 'delete,wal')
  .option('--out <dir>', 'where results are written', join(projectRoot, 'bench', 'results'))
  .option('--work-dir <dir>', 'parent of the work directory (a real disk)', '/var/tmp')
  .option('--keep-logs <dir>', "copy the two hosts' daemon logs there at the end (with CHALKFS_LOG_LEVEL=debug they time each commit, adoption and switch), and each case's commit and sighting times")
  .parse();
const opts = program.opts<{ commits: string; intervalMs: string; pollMs: string; modes: string; out: string; workDir: string; keepLogs?: string }>();
const commits = Number(opts.commits);
const modes = opts.modes.split(',').map((m) => m.trim());

const log = (msg: string) => console.error(`[lag ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** A `node -e` child printing JSON lines; resolves with them at exit, rejects on a non-zero exit. */
function jsonChild(session: BenchSession, code: string, options: object, onLine: (line: Record<string, unknown>) => void = () => undefined): Promise<Record<string, unknown>[]> {
  const child = spawn(process.execPath, ['-e', code, JSON.stringify(options)], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  session.onCleanup(async () => void child.kill('SIGKILL'));
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  createInterface({ input: child.stdout }).on('line', (l) => {
    const line = JSON.parse(l) as Record<string, unknown>;
    lines.push(line);
    onLine(line);
  });
  return new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(lines) : reject(new Error(errorLine(stderr) ?? `exit ${code}`)))),
  );
}

/** The thrown error's line of a child's stderr (Node prints its version after the stack). */
function errorLine(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.trim());
  return lines.find((l) => /^\w*Error\b.*:/.test(l)) ?? lines.filter(Boolean).at(-1);
}

/** One case: the writer commits in `writerDb`, a long-lived connection reads `readerDb`. */
async function measureCase(session: BenchSession, target: LagSummary['target'], journalMode: string, writerDb: string, readerDb: string): Promise<LagSummary> {
  try {
    // The writer's first commit, then the follower's copy of the file (and of its -wal).
    const goFile = join(session.workDir, `go-${target}-${journalMode}`);
    const writerReady = signal();
    const writing = jsonChild(session, lagWriterCode, { db: writerDb, journalMode, commits, intervalMs: Number(opts.intervalMs), goFile, doneFile: join(session.workDir, `done-${target}-${journalMode}`) }, (l) => l.ready && writerReady.fire());
    await Promise.race([writerReady.fired, writing]);
    const needed = journalMode === 'wal' ? [readerDb, `${readerDb}-wal`] : [readerDb];
    for (let i = 0; i < 200 && !needed.every((p) => existsSync(p)); i++) await sleep(50);
    const readerReady = signal();
    const reading = jsonChild(session, lagReaderCode, { db: readerDb, lastId: commits + 1, pollMs: Number(opts.pollMs), timeoutMs: commits * Number(opts.intervalMs) + 60_000 }, (l) => l.ready && readerReady.fire());
    try {
      await Promise.race([readerReady.fired, reading]);
    } finally {
      // Even when the reader failed: the writer then finishes, and closes the database.
      writeFileSync(goFile, '');
    }
    const stamped = (lines: Record<string, unknown>[]) => lines.filter((l) => typeof l.id === 'number') as { id: number; at: number; commitMs?: number }[];
    const doneFile = join(session.workDir, `done-${target}-${journalMode}`);
    const read = await reading.finally(() => writeFileSync(doneFile, ''));
    const written = stamped(await writing);
    if (opts.keepLogs) {
      mkdirSync(opts.keepLogs, { recursive: true });
      writeFileSync(join(opts.keepLogs, `${target}-${journalMode}-timeline.json`), `${JSON.stringify({ committed: written, seen: stamped(read) })}\n`);
    }
    return summarize(target, journalMode, new Map(written.map((l) => [l.id, l.at])), stamped(read));
  } catch (err) {
    return { target, journalMode, commits: 0, unseen: 0, p50Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN, error: (err as Error).message };
  }
}

/** A one-shot event a child's line fires. */
function signal(): { fired: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return { fired, fire };
}

/** p50 of `n` timed calls, ms. */
async function p50Of(n: number, call: (i: number) => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call(i);
    times.push(performance.now() - t0);
  }
  return percentile(times.sort((a, b) => a - b), 50);
}

async function main(session: BenchSession): Promise<void> {
  const startedAt = new Date();
  const git = gitInfo(projectRoot);
  const { store, workDir } = session;

  // The store's round trip, as a follower pays it: small conditional-free PUTs and GETs.
  const small = randomBytes(4096);
  const storePutP50Ms = await p50Of(40, (i) => store.put(`rtt/${i}`, small));
  const storeGetP50Ms = await p50Of(40, (i) => store.get(`rtt/${i}`));
  const goal: LagGoal = { refreshMs: defaultRefreshIntervalMs, storeGetP50Ms, storePutP50Ms, goalMs: defaultRefreshIntervalMs + 2 * Math.max(storeGetP50Ms, storePutP50Ms) };

  const writerEnv = session.hostEnv('writer');
  const keepLogs = opts.keepLogs;
  // Runs after the unmounts (cleanups run last first), before the work directory goes.
  if (keepLogs) {
    session.onCleanup(async () => {
      for (const host of ['writer', 'follower']) cpSync(join(workDir, 'hosts', host, 'logs'), join(keepLogs, host), { recursive: true });
    });
  }
  await session.cli(writerEnv, ['volume', 'create', 'lag']);
  const writerDir = join(workDir, 'mnt', 'writer');
  const followerDir = join(workDir, 'mnt', 'follower');
  for (const [env, dir, extra] of [[writerEnv, writerDir, []], [session.hostEnv('follower'), followerDir, ['--read-only']]] as const) {
    await session.mount(env, 'lag', dir, [...extra]);
    await waitForMount(dir, 15_000, 'chalkfs');
  }
  const localDir = join(workDir, 'local');
  mkdirSync(localDir);

  const rows: LagSummary[] = [];
  for (const mode of modes) {
    for (const [target, writerDb, readerDb] of [
      ['local', join(localDir, `${mode}.db`), join(localDir, `${mode}.db`)],
      ['chalkfs', join(writerDir, `${mode}.db`), join(followerDir, `${mode}.db`)],
    ] as const) {
      log(`${target} ${mode}: ${commits} commits, ${opts.intervalMs} ms apart`);
      const row = await measureCase(session, target, mode, writerDb, readerDb);
      log(row.error ? `${target} ${mode}: n/a: ${row.error}` : `${target} ${mode}: p50 ${row.p50Ms.toFixed(1)} ms, p99 ${row.p99Ms.toFixed(1)} ms`);
      rows.push(row);
    }
  }

  const report = { startedAt: startedAt.toISOString(), elapsedS: (Date.now() - startedAt.getTime()) / 1000, git, loadAverage: loadavg(), options: opts, goal, rows };
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-').replace(/-\d\d\dZ$/, 'Z');
  mkdirSync(opts.out, { recursive: true });
  const base = join(opts.out, `${stamp}-lag`);
  const table = renderLagTable(rows, goal);
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.md`, `${table}`);
  writeFileSync(`${base}.svg`, renderLagChart(rows, goal, `chalkfs follower lag, ${commits} commits ${opts.intervalMs} ms apart, ${git.revision.slice(0, 10)}${git.dirty ? '+dirty' : ''}`));
  console.log(table);
  console.log(`wrote ${base}.json, .md, .svg`);
}

const session = await BenchSession.start(opts.workDir, 'lag', 'lag');
await main(session)
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => session.cleanup());
