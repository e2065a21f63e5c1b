/*
 * Child processes for the multi-host tests (test/integration/multihost-*.test.ts): SQLite
 * writers, readers and checkers that run in their own node processes and read and
 * write through chalkfs mounts made with chalkfs-fixture.ts, reporting JSON lines. The
 * test process itself never opens a file on a mount. `Children.killAll()` (in a
 * finally) makes sure none outlives its test.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { projectRoot } from '../../chalkfs/util/paths.js';
import { processAlive } from '../../chalkfs/host/process-liveness.js';
import type { UnprivilegedProject } from './unprivileged-project.js';

export { processAlive };

/** Polls `probe` until it returns a value (not undefined/false); bounded; a throw ends the wait. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | false | Promise<T | undefined | false>, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A child process whose stdout is JSON lines, collected as they arrive. */
export class JsonChild {
  readonly lines: Record<string, unknown>[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  /**
   * Set at 'close', which comes after the child's stdout and stderr have ended; its exit
   * code can be set earlier, while its last lines are still on their way.
   */
  private closed = false;
  private readonly listeners = new Set<() => void>();

  constructor(readonly process: ChildProcess) {
    let buffered = '';
    process.stdout!.setEncoding('utf8');
    process.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.trim()) continue;
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ type: 'garbled', line });
        }
      }
      for (const l of this.listeners) l();
    });
    process.stderr!.setEncoding('utf8');
    process.stderr!.on('data', (chunk: string) => {
      if (this.stderr.length < 100_000) this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      process.once('close', (code) => {
        this.closed = true;
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  ofType(type: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.type === type);
  }

  /** Waits (bounded) for a line matching `match`. */
  async waitForLine(what: string, timeoutMs: number, match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    return waitFor(what, timeoutMs, () => {
      const found = this.lines.find(match);
      if (found) return found;
      if (this.closed) throw new Error(`child ${this.pid} exited (${this.process.exitCode ?? this.process.signalCode}): ${this.stderr.slice(-2000)}`);
      return undefined;
    });
  }

  kill(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
  }
}

/** Tracks every child a test starts, so a finally can kill them all. */
export class Children {
  private readonly all = new Set<JsonChild>();

  /** `unprivileged`: where children run as another uid find the project (see UnprivilegedProject). */
  constructor(private readonly unprivileged?: UnprivilegedProject) {}

  /**
   * Runs `code` (CommonJS; better-sqlite3 resolves from the project, or from its
   * unprivileged copy for `asUid`) with `options` as JSON in argv[1].
   */
  spawn(code: string, options: object, env: NodeJS.ProcessEnv = process.env, asUid?: number): JsonChild {
    const node = [process.execPath, '-e', code, JSON.stringify(options)];
    let cwd = projectRoot;
    if (asUid !== undefined) {
      if (!this.unprivileged) throw new Error(`a child as uid ${asUid} needs the project where that uid can reach it: new Children(await UnprivilegedProject.create())`);
      cwd = this.unprivileged.root;
    }
    // As an unprivileged uid (and gid), with no supplementary groups: setpriv needs no passwd entry.
    const [command, ...args] = asUid === undefined ? node : ['setpriv', `--reuid=${asUid}`, `--regid=${asUid}`, '--clear-groups', ...node];
    const child = new JsonChild(spawn(command!, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    this.all.add(child);
    return child;
  }

  async killAll(): Promise<void> {
    for (const child of this.all) child.kill();
    await Promise.all([...this.all].map((c) => Promise.race([c.exited, new Promise((r) => setTimeout(r, 5000))])));
    this.all.clear();
  }
}

/**
 * SQLite children. The writer commits transactions of seeded random size (rows inserted,
 * rows updated, about 2% large blobs) and prints a line after each COMMIT returns with
 * the state a reader must then see: the transaction number kept in `meta`, the row
 * count, the sum of `v` and the total blob bytes. It prints `begin` before each COMMIT,
 * so a crash test knows which transaction may or may not have landed.
 */
export const sqliteWriterCode = String.raw`
const Database = require('better-sqlite3');
const o = JSON.parse(process.argv[1]);
const crypto = require('node:crypto');
let seed = o.seed >>> 0;
const rand = () => { seed = (seed + 0x6d2b79f5) >>> 0; let t = seed; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
let db;
try {
  db = new Database(o.db, { timeout: 10000 });
  const mode = db.pragma('journal_mode=' + o.journalMode, { simple: true });
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, data BLOB NOT NULL);' +
    'CREATE TABLE IF NOT EXISTS meta (k INTEGER PRIMARY KEY, txn INTEGER NOT NULL); INSERT OR IGNORE INTO meta VALUES (1, 0);');
  const stateQuery = db.prepare('SELECT (SELECT txn FROM meta WHERE k = 1) AS txn, count(*) AS n, coalesce(sum(v), 0) AS s, coalesce(sum(length(data)), 0) AS b FROM t');
  const insert = db.prepare('INSERT INTO t (v, data) VALUES (?, ?)');
  const update = db.prepare('UPDATE t SET v = v + ?, data = CASE WHEN ? THEN ? ELSE data END WHERE id = ?');
  const setTxn = db.prepare('UPDATE meta SET txn = ? WHERE k = 1');
  const maxId = db.prepare('SELECT coalesce(max(id), 0) AS m FROM t');
  let state = stateQuery.get();
  out({ type: 'ready', mode, ...state });
  for (let i = 0; i < o.transactions; i++) {
    const next = state.txn + 1;
    const inserts = 1 + Math.floor(rand() * 8);
    const updates = Math.floor(rand() * 6);
    const tx = db.transaction(() => {
      for (let k = 0; k < inserts; k++) {
        const size = rand() < 0.02 ? 32768 + Math.floor(rand() * 131072) : 16 + Math.floor(rand() * 2000);
        insert.run(Math.floor(rand() * 1000), crypto.randomBytes(size));
      }
      const top = maxId.get().m;
      for (let k = 0; k < updates; k++) {
        const replace = rand() < 0.2 ? 1 : 0;
        update.run(1 + Math.floor(rand() * 10), replace, crypto.randomBytes(16 + Math.floor(rand() * 4000)), 1 + Math.floor(rand() * top));
      }
      setTxn.run(next);
    });
    out({ type: 'begin', txn: next });
    tx();
    state = stateQuery.get();
    out({ type: 'commit', at: Date.now(), ...state });
    if (o.pauseMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, o.pauseMs);
  }
  db.close();
  out({ type: 'done', ...state });
} catch (err) {
  out({ type: 'error', message: String(err && err.message), code: err && err.code });
  process.exitCode = 3;
}
`;

/** Reader: open read-only -> state in one read transaction -> quick_check -> close, until the stop file exists. */
export const sqliteReaderCode = String.raw`
const Database = require('better-sqlite3');
const fs = require('node:fs');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
let reads = 0;
while (!fs.existsSync(o.stopFile) && (!o.maxReads || reads < o.maxReads)) {
  try {
    const db = new Database(o.db, { readonly: true, fileMustExist: true });
    try {
      const state = db.transaction(() => db.prepare('SELECT (SELECT txn FROM meta WHERE k = 1) AS txn, count(*) AS n, coalesce(sum(v), 0) AS s, coalesce(sum(length(data)), 0) AS b FROM t').get())();
      const check = o.quickCheck === false ? 'ok' : db.pragma('quick_check', { simple: true });
      out({ type: 'read', at: Date.now(), ...state, check });
    } finally {
      db.close();
    }
  } catch (err) {
    out({ type: 'error', message: String(err && err.message), code: err && err.code });
  }
  reads++;
  sleep(o.pauseMs ?? 10);
}
out({ type: 'stopped', reads });
`;

/**
 * Waits until a one-shot reader on a host reads a state `accepts` (each probe a child
 * process: open, read, close). A reader started before its host serves the database
 * fails with "no such table" or SQLITE_CANTOPEN, which is not what a test then asserts on.
 */
export async function waitForServedState(children: Children, what: string, db: string, env: NodeJS.ProcessEnv, accepts: (state: DbState) => boolean): Promise<void> {
  await waitFor(what, 30_000, async () => {
    const probe = children.spawn(sqliteReaderCode, { db, stopFile: `${db}.never`, maxReads: 1, quickCheck: false }, env);
    await probe.exited;
    return (probe.ofType('read') as unknown as DbState[]).some(accepts);
  }, 200);
}

/** Opens a database read-write once: integrity_check, state; for checks after a crash. */
export const sqliteCheckCode = String.raw`
const Database = require('better-sqlite3');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
try {
  const db = new Database(o.db, { readonly: Boolean(o.readonly), fileMustExist: true, timeout: 10000 });
  const check = db.pragma('integrity_check', { simple: true });
  const state = db.prepare('SELECT (SELECT txn FROM meta WHERE k = 1) AS txn, count(*) AS n, coalesce(sum(v), 0) AS s, coalesce(sum(length(data)), 0) AS b FROM t').get();
  db.close();
  out({ type: 'checked', check, ...state });
} catch (err) {
  out({ type: 'error', message: String(err && err.message), code: err && err.code });
  process.exitCode = 3;
}
`;

export interface DbState {
  txn: number;
  n: number;
  s: number;
  b: number;
}

export const stateKey = (s: DbState): string => `${s.txn}:${s.n}:${s.s}:${s.b}`;

/**
 * A writer that keeps going through store faults: after a failed transaction it logs the
 * error, reopens the database and continues from the state it finds there, until the
 * stop file exists. Acknowledged states are the `commit` lines.
 */
export const sqliteResilientWriterCode = String.raw`
const Database = require('better-sqlite3');
const fs = require('node:fs');
const crypto = require('node:crypto');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const Q = 'SELECT (SELECT txn FROM meta WHERE k = 1) AS txn, count(*) AS n, coalesce(sum(v), 0) AS s, coalesce(sum(length(data)), 0) AS b FROM t';
let db;
const open = () => {
  db = new Database(o.db, { timeout: 10000 });
  db.pragma('journal_mode=' + o.journalMode);
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, data BLOB NOT NULL);' +
    'CREATE TABLE IF NOT EXISTS meta (k INTEGER PRIMARY KEY, txn INTEGER NOT NULL); INSERT OR IGNORE INTO meta VALUES (1, 0);');
};
let opened = false;
while (!fs.existsSync(o.stopFile)) {
  try {
    if (!opened) { open(); opened = true; out({ type: 'opened', ...db.prepare(Q).get() }); }
    const next = db.prepare('SELECT txn FROM meta WHERE k = 1').get().txn + 1;
    out({ type: 'begin', txn: next, at: Date.now() });
    db.transaction(() => {
      db.prepare('INSERT INTO t (v, data) VALUES (?, ?)').run(next, crypto.randomBytes(100 + (next % 7) * 500));
      db.prepare('UPDATE t SET v = v + 1 WHERE id = ?').run(1 + (next % 13));
      db.prepare('UPDATE meta SET txn = ? WHERE k = 1').run(next);
    })();
    out({ type: 'commit', at: Date.now(), ...db.prepare(Q).get() });
  } catch (err) {
    out({ type: 'error', at: Date.now(), message: String(err && err.message), code: err && err.code });
    try { db && db.close(); } catch {}
    opened = false;
    sleep(200);
  }
  sleep(o.pauseMs ?? 20);
}
try { db && db.close(); } catch {}
out({ type: 'stopped' });
`;
