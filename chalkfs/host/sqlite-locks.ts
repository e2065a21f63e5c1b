/*
 * SQLite's own locks, taken from outside SQLite exactly as a local SQLite writer takes them,
 * so the daemon can change what a database file's readers see between their read
 * transactions (issue 15; docs/ARCHITECTURE.md, "Taking SQLite's locks from the daemon").
 * The lock bytes are SQLite's file format, not a choice: src/os_unix.c and src/wal.c.
 *
 * Rollback-journal databases (DELETE, TRUNCATE, PERSIST), on the database file, opened for
 * writing (a write lock needs it):
 *  - RESERVED (write on RESERVED_BYTE): what a local writer takes first; no local
 *    connection can start a write transaction, and a -journal is not hot while it is held.
 *  - PENDING (write on PENDING_BYTE): a reader takes a read lock on PENDING_BYTE on its way
 *    to SHARED, so from here on no new read transaction starts (SQLITE_BUSY, retried by
 *    the connection's busy handler). This is what keeps a stream of short readers from
 *    starving the daemon: only the read transactions already in flight remain.
 *  - EXCLUSIVE (write on the SHARED range, SHARED_SIZE bytes from SHARED_FIRST): granted
 *    once every read transaction in flight has ended (each holds a read lock there).
 *  One caveat is SQLite's, not ours: connections of one process share that process's
 *  SHARED lock (os_unix.c counts them in memory), so a process whose connections overlap
 *  without a gap holds SHARED throughout and delays any writer, local or ours.
 *
 * WAL databases, on the host-local -shm (opened for writing), whose lock bytes start at
 * WALINDEX_LOCK_OFFSET: a WAL reader holds a read lock on WAL_READ_LOCK(i) for the whole
 * of its read transaction, i being the slot whose aReadMark (its snapshot's last frame) it
 * chose; slot 0 means "the WAL is fully checkpointed: read the database file only". The
 * database file's own locks are no use here: every WAL connection holds SHARED on it for
 * as long as it is open. So the daemon takes, in this order:
 *  - DMS (read on UNIX_SHM_DMS), as every connection does while it uses the -shm: a
 *    connection that opens meanwhile then does not think itself the first and does not
 *    truncate and rebuild the wal-index under the daemon.
 *  - WAL_WRITE_LOCK, WAL_CKPT_LOCK, WAL_RECOVER_LOCK (write): no local writer,
 *    checkpointer or recovery runs (a read-only host has none; this makes sure).
 *  - WAL_READ_LOCK(4) down to (0) (write), each kept as soon as it is had: a slot held
 *    write-locked cannot be chosen by a new reader, and once all five are held no reader
 *    is inside a read transaction. Readers that find their slot locked retry inside
 *    SQLite (walTryBeginRead) for up to about 10 s and then fail with SQLITE_PROTOCOL, not
 *    SQLITE_BUSY: the busy timeout does not apply. A WAL wait plus hold must stay well
 *    under that, which acquireWalExclusive enforces for the wait (WAL_WAIT_LIMIT_MS).
 *  - New readers would all pile onto the slot with the highest index among those whose
 *    mark is the newest frame (walTryBeginRead picks it), and a stream of them on a slot
 *    the daemon waits for would starve it. So, as a reader itself does while holding a
 *    slot write-locked, the daemon sets the mark of each slot 2..4 it gets to the
 *    wal-index's last frame: new readers then choose that slot, find it locked and wait,
 *    and only the readers in flight remain. On release it sets those marks to
 *    READMARK_NOT_USED, as SQLite's checkpointer does, so the next acquisition finds those
 *    slots free (slot 1 is left alone: SQLite never marks it unused). (Readers reach slot 0 before looking at marks, only while the WAL is
 *    fully checkpointed; for them the order of slots gives no such guarantee.)
 *
 * WAL databases on a follower, whose `-shm` the daemon serves empty and read-only
 * (vfs/sqlite/wal-shared-memory.ts): no connection can hold its DMS lock, so every reader
 * treats it as unreliable and keeps a private wal-index (wal.c walBeginShmUnreliable),
 * holding a read lock on WAL_READ_LOCK(0) for the whole of each read transaction. A write
 * lock there (acquireUnreliableWalExclusive) waits for the read transactions in flight and
 * holds new ones back (they retry inside SQLite, as above, then fail with SQLITE_PROTOCOL).
 * The daemon must not take DMS on such a -shm: a reader that finds it held would trust the
 * empty file as a wal-index.
 */
import { endianness } from 'node:os';
import { readSync, writeSync } from 'node:fs';
import { ChalkError } from '../util/chalk-error.js';
import { acquireLocks, type Acquisition, type LockStep, type LockWait } from './lock-acquisition.js';
import { findBlocker } from './ofd-locks.js';

// src/os_unix.c, src/pager.h: the rollback lock bytes of the database file.
export const PENDING_BYTE = 0x40000000;
export const RESERVED_BYTE = PENDING_BYTE + 1;
export const SHARED_FIRST = PENDING_BYTE + 2;
export const SHARED_SIZE = 510;

// src/wal.c, src/os_unix.c: the wal-index (-shm) lock bytes and fields.
export const WALINDEX_LOCK_OFFSET = 120;
export const SQLITE_SHM_NLOCK = 8;
export const WAL_WRITE_LOCK = 0;
export const WAL_CKPT_LOCK = 1;
export const WAL_RECOVER_LOCK = 2;
export const WAL_NREADER = SQLITE_SHM_NLOCK - 3;
export const walReadLock = (slot: number): number => 3 + slot;
export const UNIX_SHM_DMS = WALINDEX_LOCK_OFFSET + SQLITE_SHM_NLOCK;
/** WalIndexHdr.mxFrame (u32, the host's byte order) in the first copy of the header. */
export const WALINDEX_MXFRAME_OFFSET = 16;
/** WalCkptInfo.aReadMark[0] (u32 each): after the two 48-byte header copies and nBackfill. */
export const WALINDEX_READMARK_OFFSET = 2 * 48 + 4;
export const READMARK_NOT_USED = 0xffffffff;

/** The longest a WAL acquisition may wait: readers it holds back fail after about 10 s. */
export const WAL_WAIT_LIMIT_MS = 5_000;

const byte = (start: number) => ({ start, lengthBytes: 1 });
const shmLock = (n: number) => byte(WALINDEX_LOCK_OFFSET + n);

/** EXCLUSIVE on a rollback-journal database: RESERVED, PENDING, then the SHARED range. */
export function databaseExclusiveSteps(dbFd: number): LockStep[] {
  return [
    { name: 'RESERVED', fd: dbFd, type: 'write', range: byte(RESERVED_BYTE), gate: true },
    { name: 'PENDING', fd: dbFd, type: 'write', range: byte(PENDING_BYTE), gate: true },
    { name: 'EXCLUSIVE', fd: dbFd, type: 'write', range: { start: SHARED_FIRST, lengthBytes: SHARED_SIZE }, gate: true },
  ];
}

/**
 * SHARED on a rollback-journal database, as a local reader takes it (os_unix.c): a read
 * lock on PENDING_BYTE (refused while a writer is on its way to EXCLUSIVE), then a read
 * lock on the SHARED range (refused while a writer holds EXCLUSIVE). Held, no writer can
 * change the database file; SQLite's reader drops PENDING once in, and holding it too
 * only keeps a writer at PENDING rather than at EXCLUSIVE, both of which wait for us.
 */
export function databaseSharedSteps(dbFd: number): LockStep[] {
  return [
    { name: 'PENDING', fd: dbFd, type: 'read', range: byte(PENDING_BYTE), gate: true },
    { name: 'SHARED', fd: dbFd, type: 'read', range: { start: SHARED_FIRST, lengthBytes: SHARED_SIZE }, gate: true },
  ];
}

/**
 * Whether another open holds EXCLUSIVE (a write lock on the SHARED range): a writer is
 * writing the database file, or about to, in the middle of a transaction. A rollback-mode
 * writer writes the file only while it holds EXCLUSIVE, and keeps it to the transaction's
 * end. A read lock query: readers' SHARED locks do not answer it.
 */
export function exclusiveHeld(dbFd: number): boolean {
  return findBlocker(dbFd, 'read', { start: SHARED_FIRST, lengthBytes: SHARED_SIZE }) !== null;
}

/** Whether another open holds RESERVED (a writer inside a transaction): its journal is then not hot. */
export function reservedHeld(dbFd: number): boolean {
  return findBlocker(dbFd, 'write', byte(RESERVED_BYTE)) !== null;
}

/**
 * Takes EXCLUSIVE on the rollback-journal database open behind `dbFd` (opened for writing),
 * waiting at most `wait.timeoutMs` for the read transactions in flight; on giving up it
 * holds nothing and reports who held what it lacked.
 */
export function acquireDatabaseExclusive(dbFd: number, wait: LockWait): Promise<Acquisition> {
  return acquireLocks(databaseExclusiveSteps(dbFd), wait);
}

function u32Buffer(): Buffer {
  return Buffer.alloc(4);
}

function readU32(fd: number, position: number): number | null {
  const buf = u32Buffer();
  if (readSync(fd, buf, 0, 4, position) !== 4) return null;
  return endianness() === 'LE' ? buf.readUInt32LE(0) : buf.readUInt32BE(0);
}

function writeU32(fd: number, position: number, value: number): void {
  const buf = u32Buffer();
  if (endianness() === 'LE') buf.writeUInt32LE(value, 0);
  else buf.writeUInt32BE(value, 0);
  if (writeSync(fd, buf, 0, 4, position) !== 4) throw new ChalkError('io', `short write of a WAL read mark at ${position}`);
}

/** Every lock of the WAL protocol, with the read-mark steering described at the top. */
export function walExclusiveSteps(shmFd: number, steered: Set<number>): LockStep[] {
  const steer = (slot: number) => (): void => {
    const lastFrame = readU32(shmFd, WALINDEX_MXFRAME_OFFSET);
    if (lastFrame === null) return; // no wal-index yet: no reader can be choosing a slot
    writeU32(shmFd, WALINDEX_READMARK_OFFSET + 4 * slot, lastFrame);
    steered.add(slot);
  };
  const readSlots: LockStep[] = [];
  for (let slot = WAL_NREADER - 1; slot >= 0; slot--) {
    const name = `WAL_READ_LOCK(${slot})`;
    const step = { name, fd: shmFd, type: 'write' as const, range: shmLock(walReadLock(slot)), gate: false };
    readSlots.push(slot >= 2 ? { ...step, onHeld: steer(slot) } : step);
  }
  return [
    { name: 'DMS', fd: shmFd, type: 'read', range: byte(UNIX_SHM_DMS), gate: true },
    { name: 'WAL_WRITE_LOCK', fd: shmFd, type: 'write', range: shmLock(WAL_WRITE_LOCK), gate: true },
    { name: 'WAL_CKPT_LOCK', fd: shmFd, type: 'write', range: shmLock(WAL_CKPT_LOCK), gate: true },
    { name: 'WAL_RECOVER_LOCK', fd: shmFd, type: 'write', range: shmLock(WAL_RECOVER_LOCK), gate: true },
    ...readSlots,
  ];
}

/**
 * Takes every WAL lock on the -shm open behind `shmFd` (opened for reading and writing), so
 * that no reader is inside a read transaction until the returned locks are released.
 */
export async function acquireWalExclusive(shmFd: number, wait: LockWait): Promise<Acquisition> {
  if (wait.timeoutMs > WAL_WAIT_LIMIT_MS) {
    throw new ChalkError('invalid', `a WAL lock wait of ${wait.timeoutMs} ms would make held-back readers fail (limit ${WAL_WAIT_LIMIT_MS} ms)`);
  }
  const steered = new Set<number>();
  const unsteer = (): void => {
    for (const slot of steered) writeU32(shmFd, WALINDEX_READMARK_OFFSET + 4 * slot, READMARK_NOT_USED);
    steered.clear();
  };
  // Runs while the slots are still held: a mark may only change under its slot's write lock.
  return acquireLocks(walExclusiveSteps(shmFd, steered), wait, unsteer);
}

/** The one lock every reader of an unreliable (read-only, served empty) -shm takes: WAL_READ_LOCK(0). */
export function unreliableWalExclusiveSteps(shmFd: number): LockStep[] {
  return [{ name: 'WAL_READ_LOCK(0)', fd: shmFd, type: 'write', range: shmLock(walReadLock(0)), gate: true }];
}

/**
 * Holds back every read transaction of the WAL database whose served, read-only -shm is
 * open behind `shmFd` (opened for writing: a write lock needs it), with a bounded wait.
 */
export function acquireUnreliableWalExclusive(shmFd: number, wait: LockWait): Promise<Acquisition> {
  if (wait.timeoutMs > WAL_WAIT_LIMIT_MS) {
    throw new ChalkError('invalid', `a WAL lock wait of ${wait.timeoutMs} ms would make held-back readers fail (limit ${WAL_WAIT_LIMIT_MS} ms)`);
  }
  return acquireLocks(unreliableWalExclusiveSteps(shmFd), wait);
}
