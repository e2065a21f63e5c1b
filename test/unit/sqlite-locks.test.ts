// SQLite's rollback-journal locks taken from outside SQLite (chalkfs/host/sqlite-locks.ts)
// against real better-sqlite3 connections, in this process and in child processes, on a
// temporary database on local disk. Time in the lock wait is virtual (virtualClock): the
// tests say what happens between rounds, never how long anything takes.
import { mkdtempSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findBlocker } from '../../chalkfs/host/ofd-locks.js';
import { acquireDatabaseExclusive, PENDING_BYTE, RESERVED_BYTE, SHARED_FIRST, SHARED_SIZE } from '../../chalkfs/host/sqlite-locks.js';
import { Children } from '../support/multihost-children.js';
import { heldReadTransactionCode, oneReadCode, OpenFiles, TOTAL, virtualClock, writeBankVersions } from '../support/sqlite-lock-fixtures.js';

let dir: string;
let dbPath: string;
let versions: ReturnType<typeof writeBankVersions>;
let children: Children;
const files = new OpenFiles();
const openDb = (): number => files.open(dbPath);
const totalOf = (db: Database.Database) => (db.prepare('SELECT (SELECT version FROM meta) AS version, sum(amount) AS total FROM accounts').get() as { version: number; total: number });
const busyNow = (db: Database.Database) => {
  try {
    totalOf(db);
    return false;
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return true;
    throw err;
  }
};
/** Every rollback lock byte a daemon or reader could hold, free for a writer now? */
const noLockOn = (fd: number) =>
  [RESERVED_BYTE, PENDING_BYTE].every((b) => findBlocker(fd, 'write', { start: b, lengthBytes: 1 }) === null) &&
  findBlocker(fd, 'write', { start: SHARED_FIRST, lengthBytes: SHARED_SIZE }) === null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chalkfs-sqlite-locks-'));
  dbPath = join(dir, 'bank.db');
  versions = writeBankVersions(dbPath, join(dir, 'scratch.db'));
  children = new Children();
});

afterEach(async () => {
  await children.killAll();
  files.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('EXCLUSIVE on a rollback-journal database, from outside SQLite', () => {
  it('waits for a read transaction in flight, holding new readers back meanwhile, and is had once it commits', async () => {
    const inFlight = new Database(dbPath);
    inFlight.exec('BEGIN');
    expect(totalOf(inFlight).total).toBe(TOTAL);
    // A newcomer in another process: connections of one process share its SHARED lock.
    const newcomerReads: unknown[] = [];
    const newcomerRead = async () => {
      const child = children.spawn(oneReadCode, { db: dbPath, busyTimeoutMs: 0, sql: 'SELECT sum(amount) AS total FROM accounts' });
      const line = await child.waitForLine('the newcomer', 30_000, (l) => l.type === 'read' || l.type === 'error');
      return line.type === 'read' ? line.row : line.code;
    };
    const clock = virtualClock(async (n) => {
      newcomerReads.push(await newcomerRead());
      if (n === 3) inFlight.exec('COMMIT');
    });
    const result = await acquireDatabaseExclusive(openDb(), { timeoutMs: 60_000, retryMs: 5, clock });
    expect(result.acquired).toBe(true);
    expect(result.rounds).toBe(4);
    expect(newcomerReads).toEqual(['SQLITE_BUSY', 'SQLITE_BUSY', 'SQLITE_BUSY']);
    expect(await newcomerRead()).toBe('SQLITE_BUSY');
    if (result.acquired) result.held.release();
    expect(await newcomerRead()).toEqual({ total: TOTAL });
    inFlight.close();
  });

  it('gives up after its timeout when a reader never ends its transaction, names the reader, and holds nothing after', async () => {
    const holder = children.spawn(heldReadTransactionCode, { db: dbPath });
    await holder.waitForLine('the read transaction', 30_000, (l) => l.type === 'holding');
    const result = await acquireDatabaseExclusive(openDb(), { timeoutMs: 100, retryMs: 5, clock: virtualClock() });
    expect(result.acquired).toBe(false);
    if (result.acquired) return;
    expect(result.blockers).toEqual([{ lock: 'EXCLUSIVE', holder: { type: 'read', start: SHARED_FIRST, lengthBytes: SHARED_SIZE, pid: holder.pid } }]);
    const probe = openDb();
    expect([RESERVED_BYTE, PENDING_BYTE].map((b) => findBlocker(probe, 'write', { start: b, lengthBytes: 1 }))).toEqual([null, null]);
    const reader = new Database(dbPath, { timeout: 0 });
    expect(totalOf(reader).total).toBe(TOTAL);
    reader.close();
    holder.kill();
    await holder.exited;
    expect(noLockOn(probe)).toBe(true);
  });

  it('while held, refuses new readers (SQLITE_BUSY, or a wait with busy_timeout) and lets them read after release', async () => {
    const result = await acquireDatabaseExclusive(openDb(), { timeoutMs: 1000, retryMs: 5 });
    if (!result.acquired) throw new Error(`not acquired: ${JSON.stringify(result.blockers)}`);
    const impatient = new Database(dbPath, { timeout: 0 });
    expect(busyNow(impatient)).toBe(true);
    const patient = children.spawn(oneReadCode, { db: dbPath, busyTimeoutMs: 60_000, sql: 'SELECT sum(amount) AS total FROM accounts' });
    await patient.waitForLine('the patient reader to start', 30_000, (l) => l.type === 'starting');
    expect(patient.ofType('read')).toEqual([]);
    result.held.release();
    result.held.release(); // twice is harmless
    const read = await patient.waitForLine('the patient reader to read', 30_000, (l) => l.type === 'read' || l.type === 'error');
    expect(read).toEqual({ type: 'read', row: { total: TOTAL } });
    expect(totalOf(impatient).total).toBe(TOTAL);
    impatient.close();
    expect(noLockOn(openDb())).toBe(true);
  });

  it('lets the daemon switch the file under it: a long-lived connection reads the new version at its next transaction', async () => {
    const longLived = new Database(dbPath, { timeout: 0 });
    const seen = [{ ...totalOf(longLived), dataVersion: longLived.pragma('data_version', { simple: true }) }];
    const fd = openDb();
    for (const next of [versions.v2, versions.v1]) {
      const result = await acquireDatabaseExclusive(fd, { timeoutMs: 1000, retryMs: 5 });
      if (!result.acquired) throw new Error(`not acquired: ${JSON.stringify(result.blockers)}`);
      expect(writeSync(fd, next, 0, next.length, 0)).toBe(next.length);
      result.held.release();
      seen.push({ ...totalOf(longLived), dataVersion: longLived.pragma('data_version', { simple: true }) });
    }
    expect(seen.map(({ version, total }) => ({ version, total }))).toEqual([
      { version: 1, total: TOTAL },
      { version: 2, total: TOTAL },
      { version: 1, total: TOTAL },
    ]);
    expect(new Set(seen.map((s) => s.dataVersion)).size).toBe(3);
    const fingerprint = longLived.prepare('SELECT sum(id * amount) AS f FROM accounts').get() as { f: number };
    expect(fingerprint.f).toBe(versions.fingerprints[1]);
    expect(longLived.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(versions.v2.readUInt32BE(24)).toBe(versions.v1.readUInt32BE(24) + 1);
    longLived.close();
  });

  it('is not enough without the file change counter: a switch that leaves offset 24 alone keeps a long-lived connection on its cached pages', async () => {
    const longLived = new Database(dbPath, { timeout: 0 });
    expect(totalOf(longLived).version).toBe(1);
    const sameCounter = Buffer.from(versions.v2);
    versions.v1.copy(sameCounter, 24, 24, 28);
    const fd = openDb();
    const result = await acquireDatabaseExclusive(fd, { timeoutMs: 1000, retryMs: 5 });
    if (!result.acquired) throw new Error(`not acquired: ${JSON.stringify(result.blockers)}`);
    writeSync(fd, sameCounter, 0, sameCounter.length, 0);
    result.held.release();
    expect(totalOf(longLived).version).toBe(1);
    const fresh = new Database(dbPath, { timeout: 0 });
    expect(totalOf(fresh).version).toBe(2);
    fresh.close();
    longLived.close();
  });
});
