/*
 * The SQL the bench runs (seed, point reads, open-query-close, cold query, range scans, full
 * scan, concurrent reader loop, writer; the mixed workload is in mixed-workload.ts), with better-sqlite3 inside a workload child. The
 * same code runs on every target, so only the filesystem under it differs.
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { LatencyRecorder, timed } from './latency-recorder.js';
import { randomKeys, seededRandom } from '../chalkfs/util/seeded-random.js';
import type { WorkloadResult, WorkloadSpec } from './workload-spec.js';
import { runMixedWorkload } from './mixed-workload.js';

const pointQuery = 'SELECT id, name, email, created_at, bio FROM users WHERE id = ?';

/** Runs one workload with better-sqlite3 in this process. */
export function runWorkload(spec: WorkloadSpec): WorkloadResult {
  switch (spec.kind) {
    case 'seed':
      return seedUsers(spec.dbPath, spec.rows, spec.seed);
    case 'btree-depth':
      return btreeDepth(spec.dbPath);
    case 'point-reads': {
      const db = openReadOnly(spec.dbPath);
      const stmt = db.prepare(pointQuery);
      const nextKey = randomKeys(spec.seed, spec.rows);
      const out = loop(spec.iterations, spec.maxDurationMs, (rec) => timed(rec, () => stmt.get(nextKey())));
      db.close();
      return out;
    }
    case 'open-query-close': {
      const nextKey = randomKeys(spec.seed, spec.rows);
      return loop(spec.iterations, spec.maxDurationMs, (rec) =>
        timed(rec, () => {
          // The seed's reader: a fresh read-only connection per request.
          const db = openReadOnly(spec.dbPath);
          db.prepare(pointQuery).get(nextKey());
          db.close();
        }),
      );
    }
    case 'cold-query':
      return coldQuery(spec.dbPath, randomKeys(spec.seed, spec.rows)());
    case 'range-scans': {
      const db = openReadOnly(spec.dbPath);
      const stmt = db.prepare('SELECT id, name, email, created_at, bio FROM users WHERE id >= ? ORDER BY id LIMIT ?');
      const nextKey = randomKeys(spec.seed, Math.max(1, spec.rows - spec.rowsPerScan));
      const out = loop(spec.iterations, spec.maxDurationMs, (rec) => timed(rec, () => stmt.all(nextKey(), spec.rowsPerScan)));
      db.close();
      return out;
    }
    case 'full-scan':
      return fullScan(spec.dbPath);
    case 'reader-loop':
      return readerLoop(spec);
    case 'writer':
      return writer(spec);
    case 'mixed':
      return runMixedWorkload(spec.dbPath, spec.journalMode, spec.size, spec.seed);
  }
}

function openReadOnly(dbPath: string): Database.Database {
  return new Database(dbPath, { readonly: true, fileMustExist: true });
}

function loop(iterations: number, maxDurationMs: number, step: (rec: LatencyRecorder) => void): WorkloadResult {
  const rec = new LatencyRecorder();
  const start = performance.now();
  const deadline = start + maxDurationMs;
  let stoppedEarly = false;
  for (let i = 0; i < iterations; i++) {
    step(rec);
    // Checked every 16 iterations: the clock read is cheap but not free at 2 µs per query.
    if ((i & 15) === 15 && performance.now() > deadline) {
      stoppedEarly = i + 1 < iterations;
      break;
    }
  }
  return { kind: 'latencies', latency: rec.summary(), elapsedMs: performance.now() - start, stoppedEarly };
}

/**
 * The users table of the seed scenario, widened to about 100 bytes a row so that a
 * million rows make a ~100 MB file. Deterministic for a given seed.
 */
function seedUsers(dbPath: string, rows: number, seed: number): WorkloadResult {
  const start = performance.now();
  const db = new Database(dbPath);
  db.pragma('journal_mode = DELETE');
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, created_at INTEGER NOT NULL, bio TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO users (id, name, email, created_at, bio) VALUES (?, ?, ?, ?, ?)');
  const rnd = seededRandom(seed);
  const batch = db.transaction((from: number, to: number) => {
    for (let id = from; id < to; id++) {
      const name = `user-${id.toString(36)}-${word(rnd, 6)}`;
      insert.run(id, name, `${name}@example.com`, 1_600_000_000 + Math.floor(rnd() * 1e8), sentence(rnd, 40 + Math.floor(rnd() * 20)));
    }
  });
  for (let from = 1; from <= rows; from += 50_000) batch(from, Math.min(rows + 1, from + 50_000));
  db.close();
  return { kind: 'seed', rows, sizeBytes: statSync(dbPath).size, elapsedMs: performance.now() - start };
}

function word(rnd: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(97 + Math.floor(rnd() * 26));
  return out;
}

function sentence(rnd: () => number, length: number): string {
  let out = '';
  while (out.length < length) out += `${word(rnd, 2 + Math.floor(rnd() * 7))} `;
  return out.slice(0, length);
}

/** Levels of the users table's B-tree (root = 1), from SQLite's dbstat table. */
function btreeDepth(dbPath: string): WorkloadResult {
  const db = openReadOnly(dbPath);
  const row = db
    .prepare(
      "SELECT max(length(path) - length(replace(path, '/', ''))) AS depth, count(*) AS pages FROM dbstat WHERE name = 'users' AND pagetype != 'overflow'",
    )
    .get() as { depth: number; pages: number };
  const pageSizeBytes = db.pragma('page_size', { simple: true }) as number;
  db.close();
  return { kind: 'btree-depth', depth: row.depth, tablePages: row.pages, pageSizeBytes };
}

function coldQuery(dbPath: string, key: number): WorkloadResult {
  const t0 = process.hrtime.bigint();
  const db = openReadOnly(dbPath);
  const t1 = process.hrtime.bigint();
  const row = db.prepare(pointQuery).get(key);
  const t2 = process.hrtime.bigint();
  db.close();
  const t3 = process.hrtime.bigint();
  if (!row) throw new Error(`cold query: row ${key} not found in ${dbPath}`);
  const us = (a: bigint, b: bigint): number => Number(b - a) / 1000;
  return { kind: 'cold-query', openUs: us(t0, t1), queryUs: us(t1, t2), closeUs: us(t2, t3), totalUs: us(t0, t3) };
}

function fullScan(dbPath: string): WorkloadResult {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const db = openReadOnly(dbPath);
  // Reads every column of every row, so every table page (and overflow page) is read.
  const row = db.prepare('SELECT count(*) AS n, sum(length(name) + length(email) + length(bio) + created_at % 7) AS s FROM users').get() as {
    n: number;
  };
  db.close();
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { kind: 'full-scan', rows: row.n, sizeBytes: statSync(dbPath).size, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function readerLoop(spec: Extract<WorkloadSpec, { kind: 'reader-loop' }>): WorkloadResult {
  const db = openReadOnly(spec.dbPath);
  const stmt = db.prepare(pointQuery);
  const nextKey = randomKeys(spec.seed, spec.rows);
  for (let i = 0; i < 50; i++) stmt.get(nextKey()); // prepares caches before the barrier
  // All readers start together; a short sleep-spin keeps the start within ~1 ms.
  while (Date.now() < spec.startAtMs - 5) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
  while (Date.now() < spec.startAtMs) {
    /* spin */
  }
  const start = performance.now();
  const end = start + spec.durationMs;
  let queries = 0;
  while (true) {
    stmt.get(nextKey());
    queries++;
    if ((queries & 7) === 0 && performance.now() >= end) break;
  }
  const elapsedMs = performance.now() - start;
  db.close();
  return { kind: 'reader-loop', queries, elapsedMs };
}

/**
 * The writer of the seed: single-row transactions in SQLite's default rollback-journal
 * mode with synchronous=FULL (each commit is an fsync of the journal and the database),
 * then one bulk transaction.
 */
function writer(spec: Extract<WorkloadSpec, { kind: 'writer' }>): WorkloadResult {
  const db = new Database(spec.dbPath);
  db.pragma('journal_mode = DELETE');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL, at INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO events (kind, payload, at) VALUES (?, ?, ?)');
  const rnd = seededRandom(spec.seed);
  const rec = new LatencyRecorder();
  const deadline = performance.now() + spec.maxDurationMs;
  let commitsStoppedEarly = false;
  for (let i = 0; i < spec.commits; i++) {
    const payload = sentence(rnd, 80);
    timed(rec, () => insert.run('single', payload, Date.now())); // autocommit: one transaction
    if (performance.now() > deadline) {
      commitsStoppedEarly = i + 1 < spec.commits;
      break;
    }
  }
  const bulk = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) insert.run('bulk', sentence(rnd, 80), i);
  });
  const bulkStart = performance.now();
  bulk(spec.bulkRows);
  const bulkMs = performance.now() - bulkStart;
  db.close();
  return { kind: 'writer', commit: rec.summary(), commitsStoppedEarly, bulkRows: spec.bulkRows, bulkMs };
}
