/*
 * The `-shm` a follower serves beside a WAL database (docs/CONSISTENCY.md, "WAL mode").
 * A `-shm` is host-local and never stored, but SQLite cannot read a WAL database without
 * one: a reader opens it for writing, then, refused (EROFS), read-only, and fails
 * ("unable to open database file") when there is none. So a follower serves an empty,
 * read-only `X-shm` wherever a version holds `X` and `X-wal`. SQLite (3.22 or later)
 * finds that shared memory read-only with no connection holding its DMS lock, calls it
 * unreliable (os_unix.c unixLockSharedMemory: SQLITE_READONLY_CANTINIT) and builds a
 * private wal-index in heap memory from the WAL itself (wal.c walIndexReadHdr,
 * walBeginShmUnreliable): only frames up to the WAL's last valid commit frame count, so
 * any snapshot of the database and its WAL reads as a committed state. At each read
 * transaction it holds a read lock on WAL_READ_LOCK(0) of this file, which is what the
 * daemon takes from outside to switch versions (host/sqlite-locks.ts).
 *
 * Its inode number is derived from the database's (stable across versions, never one a
 * writer hands out: those count up from 1), so the kernel keeps one inode for it, on
 * which readers' and the daemon's locks meet, across adoptions. Its attributes are fixed
 * for the same reason: every version's copy is the same file.
 */
import type { FileInode, Inode } from '../../meta/format.js';
import { classify } from './sqlite-files.js';

/** Far above any inode number a writer hands out (they count up from 1), below 2^53. */
export const SHARED_MEMORY_INO_BASE = 2 ** 48;

export function sharedMemoryIno(databaseIno: number): number {
  return SHARED_MEMORY_INO_BASE + databaseIno;
}

/**
 * A version's inodes with an empty `X-shm` beside every `X` that has an `X-wal` (for a
 * follower; the caller's objects are left alone: directories that gain one are copied).
 * `stillOpen` gives the `-shm` a connection on this host still holds open, by its inode
 * number: it stays served beside its database, unchanged, even when the version holds no
 * `X-wal` any more (the writer's last connection closed and deleted it): the lock that
 * connection's read transactions take on it is what its database's switch waits for
 * (sqlite/live-databases.ts).
 */
export function withSharedMemoryFiles(inodes: Record<string, Inode>, stillOpen: (shmIno: number) => FileInode | undefined = () => undefined): Record<string, Inode> {
  let out: Record<string, Inode> | undefined;
  for (const [parentIno, dir] of Object.entries(inodes)) {
    if (dir.type !== 'dir') continue;
    const added: Record<string, number> = {};
    for (const [name, dbIno] of Object.entries(dir.entries)) {
      if (classify(name).kind !== 'db' || inodes[String(dbIno)]?.type !== 'file' || dir.entries[`${name}-shm`] !== undefined) continue;
      const ino = sharedMemoryIno(dbIno);
      const wal = inodes[String(dir.entries[`${name}-wal`])];
      const shm: FileInode | undefined =
        stillOpen(ino) ?? (wal?.type === 'file' ? { type: 'file', mode: wal.mode, uid: wal.uid, gid: wal.gid, atimeMs: 0, mtimeMs: 0, ctimeMs: 0, sizeBytes: 0, blocks: [] } : undefined);
      if (shm === undefined) continue;
      out ??= { ...inodes };
      out[String(ino)] = shm;
      added[`${name}-shm`] = ino;
    }
    if (Object.keys(added).length > 0) out![parentIno] = { ...dir, entries: { ...dir.entries, ...added } };
  }
  return out ?? inodes;
}
