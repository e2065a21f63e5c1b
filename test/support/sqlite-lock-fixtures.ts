/*
 * Fixtures for the tests of SQLite's locks taken from outside SQLite (test/unit/sqlite-*locks*.test.ts),
 * all on local disk: a bank database in two versions whose bytes the "daemon" switches,
 * reader children (better-sqlite3 in their own node processes, long-lived connections or
 * open→query→close) that check every read, and a virtual clock for the lock wait.
 */
import { closeSync, copyFileSync, openSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { WaitClock } from '../../chalkfs/host/lock-acquisition.js';

export const ACCOUNTS = 200;
export const TOTAL = ACCOUNTS * 1000;

/**
 * Writes a bank at `path` in `journalMode` (200 accounts of 1000 on several pages, padded
 * so they span pages) and returns its bytes in two versions of the same size: version 1, and
 * version 2 where money moved between accounts far apart. Both sum to TOTAL; their
 * fingerprints (sum of id * amount) differ, and a torn read would match neither.
 */
export function writeBankVersions(path: string, scratchPath: string): { v1: Buffer; v2: Buffer; fingerprints: Record<number, number> } {
  const db = new Database(path);
  db.pragma('journal_mode = delete');
  db.exec('CREATE TABLE meta (k INTEGER PRIMARY KEY, version INTEGER NOT NULL); INSERT INTO meta VALUES (1, 1);');
  db.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, pad BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO accounts VALUES (?, 1000, zeroblob(300))');
  db.transaction(() => {
    for (let id = 1; id <= ACCOUNTS; id++) insert.run(id);
  })();
  const fingerprint = (): number => (db.prepare('SELECT sum(id * amount) AS f FROM accounts').get() as { f: number }).f;
  const f1 = fingerprint();
  db.close();
  copyFileSync(path, scratchPath);
  const other = new Database(scratchPath);
  other.transaction(() => {
    for (let id = 1; id <= ACCOUNTS / 2; id++) {
      other.prepare('UPDATE accounts SET amount = amount - ? WHERE id = ?').run(id, id);
      other.prepare('UPDATE accounts SET amount = amount + ? WHERE id = ?').run(id, ACCOUNTS + 1 - id);
    }
    other.exec('UPDATE meta SET version = 2');
  })();
  const f2 = (other.prepare('SELECT sum(id * amount) AS f FROM accounts').get() as { f: number }).f;
  other.close();
  const v1 = readFileSync(path);
  const v2 = readFileSync(scratchPath);
  if (v1.length !== v2.length) throw new Error(`the two versions differ in size (${v1.length}, ${v2.length})`);
  return { v1, v2, fingerprints: { 1: f1, 2: f2 } };
}

/**
 * A reader child: `mode` 'long' keeps one connection, 'short' opens, reads and closes each
 * time. Each read is one transaction: the version, the total and the fingerprint, checked
 * against `fingerprints`. Prints a `version` line each time the version read changes.
 * Runs until `stopFile` exists, then prints a summary line:
 * reads, wrong reads, errors by code (busy errors included: busy_timeout must absorb them),
 * the versions seen, and how often PRAGMA data_version moved on a long-lived connection.
 */
export const bankReaderCode = String.raw`
const Database = require('better-sqlite3');
const fs = require('node:fs');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
let reads = 0, wrong = 0, dataVersionMoves = 0, lastDataVersion = null, lastVersion = null;
const errors = {};
const versions = new Set();
const readOnce = (db) => {
  const row = db.transaction(() => ({
    version: db.prepare('SELECT version FROM meta WHERE k = 1').get().version,
    total: db.prepare('SELECT sum(amount) AS s FROM accounts').get().s,
    fingerprint: db.prepare('SELECT sum(id * amount) AS f FROM accounts').get().f,
  }))();
  if (row.total !== o.total || row.fingerprint !== o.fingerprints[row.version]) wrong++;
  if (!versions.has(row.version) || row.version !== lastVersion) out({ type: 'version', version: row.version });
  lastVersion = row.version;
  versions.add(row.version);
  reads++;
  if (o.mode === 'long') {
    const dv = db.pragma('data_version', { simple: true });
    if (lastDataVersion !== null && dv !== lastDataVersion) dataVersionMoves++;
    lastDataVersion = dv;
  }
};
const open = () => new Database(o.db, { timeout: o.busyTimeoutMs });
let db = o.mode === 'long' ? open() : null;
while (!fs.existsSync(o.stopFile)) {
  try {
    if (o.mode === 'long') readOnce(db);
    else { const d = open(); try { readOnce(d); } finally { d.close(); } }
    if (reads === 1) out({ type: 'ready' });
  } catch (e) {
    errors[e.code || e.message] = (errors[e.code || e.message] || 0) + 1;
    if (o.mode === 'long') { try { db.close(); } catch {} db = open(); }
  }
}
out({ type: 'summary', reads, wrong, errors, versions: [...versions].sort(), dataVersionMoves });
if (db) db.close();
`;

/** A child that opens `db`, begins a read transaction, reads, says so, and holds it until killed. */
export const heldReadTransactionCode = String.raw`
const Database = require('better-sqlite3');
const o = JSON.parse(process.argv[1]);
const db = new Database(o.db);
db.exec('BEGIN');
db.prepare('SELECT count(*) AS n FROM sqlite_schema').get();
process.stdout.write(JSON.stringify({ type: 'holding' }) + '\n');
setInterval(() => {}, 1 << 30);
`;

/** A child that says it starts, reads one row with a busy timeout, and prints it (or the error). */
export const oneReadCode = String.raw`
const Database = require('better-sqlite3');
const o = JSON.parse(process.argv[1]);
process.stdout.write(JSON.stringify({ type: 'starting' }) + '\n');
try {
  const db = new Database(o.db, { timeout: o.busyTimeoutMs });
  const row = db.prepare(o.sql).get();
  db.close();
  process.stdout.write(JSON.stringify({ type: 'read', row }) + '\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ type: 'error', code: e.code, message: e.message }) + '\n');
}
`;

/**
 * A clock where time moves only when the lock wait sleeps, and each sleep first runs
 * `onSleep(n)` (n = 1, 2, ...): tests say what happens between rounds, with no real time.
 */
export function virtualClock(onSleep: (n: number) => void | Promise<void> = () => {}): WaitClock & { sleeps: number } {
  let nowMs = 0;
  const clock = {
    sleeps: 0,
    now: () => nowMs,
    sleep: async (ms: number) => {
      clock.sleeps++;
      nowMs += ms;
      await onSleep(clock.sleeps);
    },
  };
  return clock;
}

/** Descriptors a test opens (read and write), all closed by `closeAll()` in its afterEach. */
export class OpenFiles {
  private readonly fds: number[] = [];

  open(path: string): number {
    const fd = openSync(path, 'r+');
    this.fds.push(fd);
    return fd;
  }

  closeAll(): void {
    for (const fd of this.fds.splice(0)) closeSync(fd);
  }
}
