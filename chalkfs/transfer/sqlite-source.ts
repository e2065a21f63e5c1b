/*
 * Reading a host file for `volume import`, with SQLite databases that may be live copied
 * consistently: what is imported is a state the database was in after some committed
 * transaction, never a mix of pages from before and after one.
 *
 * A file is a database when its first 16 bytes are "SQLite format 3\0"; its header then
 * says the journal mode (bytes 18 and 19: 1 rollback, 2 WAL; vfs/sqlite/sqlite-files.ts).
 *
 * Rollback-journal databases (DELETE, TRUNCATE, PERSIST): we hold SQLite's SHARED lock on
 * the file for the whole copy, taken from outside SQLite with open-file-description locks
 * (host/sqlite-locks.ts; OFD locks conflict with the POSIX locks SQLite takes), exactly as a
 * local reader holds it for a read transaction. No writer can reach EXCLUSIVE, the only
 * state in which SQLite writes the database file, until we let go: a writer waits in its
 * busy handler (writers need a busy timeout longer than the copy, as for any long reader).
 * Under SHARED the file is consistent unless a hot journal is beside it (a writer crashed
 * mid-commit: the file holds a partial transaction that SQLite would roll back on the next
 * open); the copy is then refused, naming the journal. The -journal itself is never copied:
 * one that is not hot is meaningless, and a writer inside a transaction (RESERVED held)
 * has not touched the file yet.
 *
 * WAL databases: SQLite's online backup API, through better-sqlite3 when it can be loaded.
 * A WAL read transaction taken from outside through the -shm (choosing and validating a
 * read mark, re-reading the wal-index header, then copying the database file and the WAL
 * frames up to the mark while checkpoints may run) would reimplement the subtle half of
 * wal.c; the backup API is SQLite's own answer, a consistent snapshot written to a private
 * file, restarted by SQLite if a writer commits meanwhile. better-sqlite3 is not a runtime
 * dependency of chalkfs (it compiles native code at install): it is used when present
 * (`npm install better-sqlite3` beside chalkfs), and without it a WAL database is refused
 * with that advice, rather than copied inconsistently. The copy is a WAL-mode database with
 * everything checkpointed into it, so its -wal and -shm are not copied.
 */
import { closeSync, openSync, readSync, fstatSync, rmSync, mkdtempSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { ChalkError } from '../util/chalk-error.js';
import { acquireLocks, type LockWait } from '../host/lock-acquisition.js';
import { databaseSharedSteps, reservedHeld } from '../host/sqlite-locks.js';
import { classify, headerSaysWal, isHot } from '../vfs/sqlite/sqlite-files.js';

const sqliteMagic = Buffer.from('SQLite format 3\0', 'latin1');
const chunkBytes = 1024 * 1024;

/** A host file opened for copying: exactly `sizeBytes` of content, then `close()`. */
export interface SourceFile {
  sizeBytes: number;
  /** 'sqlite-shared' or 'sqlite-backup' when a database was copied consistently. */
  method: 'plain' | 'sqlite-shared' | 'sqlite-backup';
  content(): AsyncIterable<Buffer>;
  close(): void;
}

/**
 * How long to wait for SHARED while a writer commits. Polled often: a writer that runs
 * transaction after transaction, spilling pages mid-transaction (a small cache), leaves
 * PENDING free only for the moments between them, as SQLite's own busy handler finds.
 */
export const sharedLockWait: LockWait = { timeoutMs: 30_000, retryMs: 1, maxRetryMs: 5 };

function firstBytes(fd: number): Buffer {
  const buf = Buffer.alloc(100);
  const n = readSync(fd, buf, 0, buf.length, 0);
  return buf.subarray(0, n);
}

function isDatabaseHeader(header: Buffer): boolean {
  return header.length >= 100 && header.subarray(0, sqliteMagic.length).equals(sqliteMagic);
}

/** Whether `path` is a SQLite database (by its header). */
export function isSqliteDatabase(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    return isDatabaseHeader(firstBytes(fd));
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether the file named `name` in a directory is a database's journal, WAL or -shm that
 * is not copied: its database (`isDatabase` of the sibling name) is copied consistently
 * without it. A -shm is never copied (host-local shared memory).
 */
export function isSkippedCompanion(name: string, isDatabase: (dbName: string) => boolean): boolean {
  const file = classify(name);
  if (file.kind === 'shm') return true;
  return file.kind !== 'db' && isDatabase(file.database);
}

async function* readRange(fd: number, sizeBytes: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < sizeBytes; ) {
    const buf = Buffer.allocUnsafe(Math.min(chunkBytes, sizeBytes - offset));
    const n = readSync(fd, buf, 0, buf.length, offset);
    if (n === 0) throw new ChalkError('io', `short read at ${offset} of ${sizeBytes} bytes`);
    offset += n;
    yield buf.subarray(0, n);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Opens the host file at `path` for a copy that is consistent if it is a live SQLite database. */
export async function openSourceFile(path: string, wait: LockWait = sharedLockWait): Promise<SourceFile> {
  const fd = openSync(path, 'r');
  try {
    const header = firstBytes(fd);
    if (!isDatabaseHeader(header)) return plainFile(fd);
    if (headerSaysWal(header)) {
      closeSync(fd);
      return await backupCopy(path);
    }
    return await sharedCopy(path, fd, wait);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // closed already (the WAL path)
    }
    throw err;
  }
}

function plainFile(fd: number): SourceFile {
  const sizeBytes = fstatSync(fd).size;
  return { sizeBytes, method: 'plain', content: () => readRange(fd, sizeBytes), close: () => closeSync(fd) };
}

async function sharedCopy(path: string, fd: number, wait: LockWait): Promise<SourceFile> {
  const got = await acquireLocks(databaseSharedSteps(fd), wait);
  if (!got.acquired) {
    const who = got.blockers.map((b) => `${b.lock} held${b.holder ? ` by pid ${b.holder.pid}` : ''}`).join(', ');
    throw new ChalkError('timeout', `${path}: could not take SQLite's SHARED lock within ${wait.timeoutMs} ms (${who}): a writer kept the database locked`);
  }
  try {
    if (hotJournal(path, fd)) {
      throw new ChalkError('invalid', `${path}: a hot journal (${basename(path)}-journal) is beside it: a writer stopped in the middle of a commit. Open the database with SQLite once (it rolls the journal back), then import again`);
    }
  } catch (err) {
    got.held.release();
    throw err;
  }
  // The size is read under the lock: no writer changes it until we let go.
  const sizeBytes = fstatSync(fd).size;
  return {
    sizeBytes,
    method: 'sqlite-shared',
    content: () => readRange(fd, sizeBytes),
    close: () => {
      got.held.release();
      closeSync(fd);
    },
  };
}

/** SQLite's rule (pager.c hasHotJournal): a non-empty journal with a live header, and no RESERVED lock held. */
function hotJournal(path: string, dbFd: number): boolean {
  let jfd: number;
  try {
    jfd = openSync(`${path}-journal`, 'r');
  } catch {
    return false;
  }
  try {
    const size = fstatSync(jfd).size;
    if (size === 0) return false;
    if (reservedHeld(dbFd)) return false;
    return isHot(firstBytes(jfd), size);
  } finally {
    closeSync(jfd);
  }
}

interface BackupDatabase {
  backup(destination: string): Promise<unknown>;
  close(): void;
}
type DatabaseConstructor = new (path: string, options: { readonly: boolean; fileMustExist: boolean }) => BackupDatabase;

async function loadBetterSqlite(): Promise<DatabaseConstructor | undefined> {
  try {
    const module = (await import('better-sqlite3')) as unknown as { default: DatabaseConstructor };
    return module.default;
  } catch {
    return undefined;
  }
}

async function backupCopy(path: string): Promise<SourceFile> {
  const Database = await loadBetterSqlite();
  if (!Database) {
    throw new ChalkError(
      'unsupported',
      `${path}: a WAL-mode SQLite database is copied with SQLite's backup API, which needs better-sqlite3 (npm install better-sqlite3 beside chalkfs); or stop its writers and run PRAGMA wal_checkpoint(TRUNCATE), or switch it to journal_mode=DELETE`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'chalkfs-import-'));
  const copy = join(dir, basename(path));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const source = new Database(path, { readonly: true, fileMustExist: true });
    try {
      await source.backup(copy);
    } finally {
      source.close();
    }
    const file = plainFile(openSync(copy, 'r'));
    return {
      ...file,
      method: 'sqlite-backup',
      close: () => {
        file.close();
        cleanup();
      },
    };
  } catch (err) {
    cleanup();
    if (err instanceof ChalkError) throw err;
    throw new ChalkError('io', `${path}: SQLite's backup of the database failed: ${(err as Error).message}`, { cause: err });
  }
}
