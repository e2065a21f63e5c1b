/*
 * The empty read-only `-wal` a follower serves beside a WAL-mode database whose version
 * holds no `-wal` (docs/CONSISTENCY.md, "WAL mode"). The writer's last connection
 * checkpoints the WAL whole and deletes it: the database alone is then complete, but its
 * header still says WAL, and SQLite in WAL mode must open `X-wal` (read-write with create,
 * then read-only once refused: os_unix.c unixOpen), which a read-only mount without one
 * cannot give (ENOENT). Served empty, SQLite opens it read-only, finds it shorter than a
 * WAL header and reads the database file alone (wal.c walBeginShmUnreliable). Its `-shm`
 * comes with it (sqlite/wal-shared-memory.ts).
 *
 * It must exist only while the database served says WAL: any `-wal` puts SQLite in WAL
 * mode (pager.c pagerOpenWalIfPresent), which would bypass the rollback-mode locks
 * live-databases.ts relies on. The header is known only once its first block is read, so
 * one is added at open of the database (ReaderVolume.open), and kept at adoption only
 * while the new version has no `-wal` and its database's header is known to say WAL.
 * Never stored, never on the writer; `readdir` on the follower shows it once added.
 *
 * Its inode number is derived from the database's, like a `-shm`'s, so it is one kernel
 * inode across versions.
 */
import type { FileInode, Inode } from '../../meta/format.js';
import type { Namespace } from '../../meta/namespace.js';
import { sharedMemoryIno } from './wal-shared-memory.js';

/** Above the -shm numbers (2^48 + n), below ctoc's 2^52 node ids and 2^53. */
export const EMPTY_WAL_INO_BASE = 2 ** 49;

export function emptyWalIno(databaseIno: number): number {
  return EMPTY_WAL_INO_BASE + databaseIno;
}

/** A database served with an empty `-wal`: where it is named. */
interface ServedEmpty {
  dirIno: number;
  name: string;
}

export class EmptyWals {
  /** By directory and database name (directory numbers outlive versions). */
  private readonly served = new Map<string, ServedEmpty>();

  /**
   * Adds an empty `-wal` (and a `-shm` unless one is served) beside the database at
   * `path` in `ns`. False when its name is taken or `path` is not a file.
   */
  add(ns: Namespace, path: string): boolean {
    const { parentIno, name } = ns.parentOf(path);
    if (!addBeside(ns, parentIno, name)) return false;
    this.served.set(`${parentIno}/${name}`, { dirIno: parentIno, name });
    return true;
  }

  /**
   * Puts into `next` (a version about to be served) the empty `-wal` files still due:
   * where it holds no `-wal` and `saysWal` of its database is true (known, not guessed).
   * The others are forgotten.
   */
  carry(next: Namespace, saysWal: (ino: number, inode: FileInode) => boolean): void {
    for (const [key, { dirIno, name }] of this.served) {
      const dir = next.inodes.get(dirIno);
      const dbIno = dir?.type === 'dir' ? dir.entries[name] : undefined;
      const db = dbIno === undefined ? undefined : next.inodes.get(dbIno);
      const due = dir?.type === 'dir' && dir.entries[`${name}-wal`] === undefined && db?.type === 'file' && saysWal(dbIno!, db);
      if (!due || !addBeside(next, dirIno, name)) this.served.delete(key);
    }
  }
}

function addBeside(ns: Namespace, dirIno: number, name: string): boolean {
  const dir = ns.inodes.get(dirIno);
  const dbIno = dir?.type === 'dir' ? dir.entries[name] : undefined;
  const db = dbIno === undefined ? undefined : ns.inodes.get(dbIno);
  if (dir?.type !== 'dir' || db?.type !== 'file' || dir.entries[`${name}-wal`] !== undefined) return false;
  const empty = (): Inode => ({ type: 'file', mode: db.mode, uid: db.uid, gid: db.gid, atimeMs: 0, mtimeMs: 0, ctimeMs: 0, sizeBytes: 0, blocks: [] });
  if (!ns.addLocal(dirIno, `${name}-wal`, emptyWalIno(dbIno!), empty())) return false;
  if (dir.entries[`${name}-shm`] === undefined) ns.addLocal(dirIno, `${name}-shm`, sharedMemoryIno(dbIno!), empty());
  return true;
}
