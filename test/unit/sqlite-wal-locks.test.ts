// SQLite's WAL locks taken from outside SQLite on the -shm (chalkfs/host/sqlite-locks.ts)
// against real better-sqlite3 connections in WAL mode, in this process and in child
// processes, on a temporary database on local disk.
import { mkdtempSync, readSync, rmSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findBlocker } from '../../chalkfs/host/ofd-locks.js';
import {
  acquireWalExclusive,
  READMARK_NOT_USED,
  SQLITE_SHM_NLOCK,
  WAL_NREADER,
  WALINDEX_LOCK_OFFSET,
  WALINDEX_READMARK_OFFSET,
  walReadLock,
} from '../../chalkfs/host/sqlite-locks.js';
import { Children } from '../support/multihost-children.js';
import { heldReadTransactionCode, oneReadCode, OpenFiles, TOTAL, virtualClock, writeBankVersions } from '../support/sqlite-lock-fixtures.js';

let dir: string;
let dbPath: string;
let keeper: Database.Database;
let children: Children;
const files = new OpenFiles();
const openShm = (): number => files.open(`${dbPath}-shm`);
const totalOf = (db: Database.Database) => (db.prepare('SELECT sum(amount) AS total FROM accounts').get() as { total: number }).total;
const readMarks = (fd: number): number[] => {
  const buf = Buffer.alloc(4 * WAL_NREADER);
  readSync(fd, buf, 0, buf.length, WALINDEX_READMARK_OFFSET);
  return Array.from({ length: WAL_NREADER }, (_, i) => (endianness() === 'LE' ? buf.readUInt32LE(4 * i) : buf.readUInt32BE(4 * i)));
};
/** The WAL locks (0..7) another open holds against a write lock, as [lock, pid]. */
const walLocksHeld = (fd: number) =>
  Array.from({ length: SQLITE_SHM_NLOCK }, (_, n) => [n, findBlocker(fd, 'write', { start: WALINDEX_LOCK_OFFSET + n, lengthBytes: 1 })?.pid] as const).filter(
    ([, pid]) => pid !== undefined,
  );

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chalkfs-wal-locks-'));
  dbPath = join(dir, 'bank.db');
  writeBankVersions(dbPath, join(dir, 'scratch.db'));
  // A connection that stays open: the WAL keeps its frames (no checkpoint on the last close).
  keeper = new Database(dbPath);
  keeper.pragma('journal_mode = wal');
  keeper.pragma('wal_autocheckpoint = 0');
  keeper.exec('UPDATE accounts SET amount = amount - 5 WHERE id = 1; UPDATE accounts SET amount = amount + 5 WHERE id = 2;');
  expect(totalOf(keeper)).toBe(TOTAL);
  children = new Children();
});

afterEach(async () => {
  await children.killAll();
  files.closeAll();
  keeper.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('every WAL lock on the -shm, from outside SQLite', () => {
  it('waits for a read transaction in flight and is had once it commits', async () => {
    const inFlight = new Database(dbPath);
    inFlight.exec('BEGIN');
    expect(totalOf(inFlight)).toBe(TOTAL);
    const shm = openShm();
    const readerLocks = walLocksHeld(shm);
    expect(readerLocks).toHaveLength(1);
    const [slotLock, pid] = readerLocks[0]!;
    expect(pid).toBe(process.pid);
    const clock = virtualClock((n) => {
      if (n === 3) inFlight.exec('COMMIT');
    });
    const result = await acquireWalExclusive(shm, { timeoutMs: 1000, retryMs: 5, clock });
    expect(result.acquired).toBe(true);
    expect(result.rounds).toBe(4);
    expect(walLocksHeld(openShm())).toEqual(Array.from({ length: SQLITE_SHM_NLOCK }, (_, n) => [n, -1]));
    if (result.acquired) result.held.release();
    expect(walLocksHeld(openShm())).toEqual([]);
    expect(slotLock).toBeGreaterThanOrEqual(walReadLock(1));
    expect(totalOf(inFlight)).toBe(TOTAL);
    inFlight.close();
  });

  it('gives up after its timeout when a reader never ends its transaction, names it, and leaves no lock and no steered mark', async () => {
    const holder = children.spawn(heldReadTransactionCode, { db: dbPath });
    await holder.waitForLine('the read transaction', 30_000, (l) => l.type === 'holding');
    const shm = openShm();
    const marksBefore = readMarks(shm);
    const result = await acquireWalExclusive(shm, { timeoutMs: 100, retryMs: 5, clock: virtualClock() });
    expect(result.acquired).toBe(false);
    if (result.acquired) return;
    const stillHeld = walLocksHeld(shm);
    expect(stillHeld).toHaveLength(1);
    const heldSlot = stillHeld[0]![0];
    expect(stillHeld).toEqual([[heldSlot, holder.pid]]);
    const slot = heldSlot - walReadLock(0);
    expect(result.blockers).toEqual([{ lock: `WAL_READ_LOCK(${slot})`, holder: { type: 'read', start: WALINDEX_LOCK_OFFSET + heldSlot, lengthBytes: 1, pid: holder.pid } }]);
    // Slots 2..4 the daemon had were steered and then marked unused again; the reader's is untouched.
    const marksAfter = readMarks(shm);
    for (let s = 2; s < WAL_NREADER; s++) if (s !== slot) expect(marksAfter[s]).toBe(READMARK_NOT_USED);
    expect(marksAfter[slot]).toBe(marksBefore[slot]);
    const reader = new Database(dbPath);
    expect(totalOf(reader)).toBe(TOTAL);
    reader.close();
  });

  it('while held, a new reader waits inside SQLite and reads after release', async () => {
    const result = await acquireWalExclusive(openShm(), { timeoutMs: 1000, retryMs: 5 });
    if (!result.acquired) throw new Error(`not acquired: ${JSON.stringify(result.blockers)}`);
    const patient = children.spawn(oneReadCode, { db: dbPath, busyTimeoutMs: 0, sql: 'SELECT sum(amount) AS total FROM accounts' });
    await patient.waitForLine('the reader to start', 30_000, (l) => l.type === 'starting');
    expect(patient.ofType('read')).toEqual([]);
    result.held.release();
    const read = await patient.waitForLine('the reader to read', 30_000, (l) => l.type === 'read' || l.type === 'error');
    expect(read).toEqual({ type: 'read', row: { total: TOTAL } });
  });

  it('holds a new reader back for as long as it is held, until SQLite gives that reader up with SQLITE_PROTOCOL (why the wait is limited)', async () => {
    await expect(acquireWalExclusive(openShm(), { timeoutMs: 5_001, retryMs: 5 })).rejects.toMatchObject({ kind: 'invalid' });
    const result = await acquireWalExclusive(openShm(), { timeoutMs: 1000, retryMs: 5 });
    if (!result.acquired) throw new Error(`not acquired: ${JSON.stringify(result.blockers)}`);
    const heldBack = children.spawn(oneReadCode, { db: dbPath, busyTimeoutMs: 60_000, sql: 'SELECT sum(amount) AS total FROM accounts' });
    const outcome = await heldBack.waitForLine('SQLite to give the reader up', 60_000, (l) => l.type === 'read' || l.type === 'error');
    result.held.release();
    expect(outcome).toMatchObject({ type: 'error', code: 'SQLITE_PROTOCOL' });
  });
});
