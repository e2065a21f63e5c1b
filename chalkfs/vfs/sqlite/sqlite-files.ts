/*
 * SQLite's file names and headers, in one place (like LiteFS's ParseFilename): which
 * file of a database a path is, which files are host-local and so never stored in a
 * version, whether a rollback journal's header is hot, and whether a database header
 * says WAL mode. Everything else in chalkfs switches on `classify(path).kind` instead of
 * matching suffixes. Pure: no I/O.
 */
import type { Inode } from '../../meta/format.js';

/**
 * `db` is every name that is not a journal, WAL or shared-memory file: it may be a
 * SQLite database (its header says whether it is) or any other file. A name alone
 * cannot tell a database from another file (SQLite databases have any name), so there
 * is no separate kind for "other": code that must know reads the header (mayBeDatabase,
 * headerSaysWal).
 */
export type SqliteFileKind = 'db' | 'journal' | 'wal' | 'shm';

export interface SqliteFile {
  kind: SqliteFileKind;
  /** The database this file belongs to (the path itself for `db`). */
  database: string;
}

const suffixes: readonly (readonly [string, SqliteFileKind])[] = [
  ['-journal', 'journal'],
  ['-wal', 'wal'],
  ['-shm', 'shm'],
];

export function classify(path: string): SqliteFile {
  for (const [suffix, kind] of suffixes) {
    if (path.endsWith(suffix)) return { kind, database: path.slice(0, -suffix.length) };
  }
  return { kind: 'db', database: path };
}

/** A rollback journal's header starts with an 8-byte magic, zeroed when no transaction is under way. */
export const JOURNAL_MAGIC_BYTES = 8;

/**
 * Whether a rollback journal whose first bytes are `firstBytes` is hot: non-empty, with
 * a header (its first 8 bytes, the journal magic) that is not zeroed. DELETE mode ends
 * a transaction by removing the journal, TRUNCATE by emptying it, PERSIST by zeroing
 * this header.
 */
export function isHot(firstBytes: Buffer, sizeBytes: number): boolean {
  return firstBytes.subarray(0, Math.min(JOURNAL_MAGIC_BYTES, sizeBytes)).some((byte) => byte !== 0);
}

/**
 * A WAL database's `-shm` is the shared memory of the processes of one host (SQLite maps
 * it): meaningless anywhere else, and harmful there, since SQLite trusts a WAL index it
 * finds and reads the wrong frames. It lives only in its writer's mount.
 */
export function isHostLocal(path: string): boolean {
  return classify(path).kind === 'shm';
}

/**
 * A version's inodes without host-local files: directories that name one are copied
 * without the entry (the caller's objects are left alone), and the file's inode is
 * dropped, with every other name of it (a hard link of a `-shm` is host-local too, or
 * the version would name a dropped inode). `left` holds the inode numbers left out.
 */
export function withoutHostLocalFiles(inodes: Record<string, Inode>): { inodes: Record<string, Inode>; left: Set<number> } {
  const left = new Set<number>();
  for (const inode of Object.values(inodes)) {
    if (inode.type === 'dir') for (const [name, child] of Object.entries(inode.entries)) if (isHostLocal(name)) left.add(child);
  }
  if (left.size === 0) return { inodes, left };
  const kept: Record<string, Inode> = { ...inodes };
  for (const [ino, inode] of Object.entries(inodes)) {
    if (inode.type !== 'dir' || !Object.values(inode.entries).some((child) => left.has(child))) continue;
    kept[ino] = { ...inode, entries: Object.fromEntries(Object.entries(inode.entries).filter(([, child]) => !left.has(child))) };
  }
  for (const ino of left) delete kept[String(ino)];
  return { inodes: kept, left };
}

const headerMagic = Buffer.from('SQLite format 3\0', 'latin1');
/** The smallest page size, and every page size is a multiple of it: so is a database's size. */
const minPageBytes = 512;

/** Whether a file of this size can be a SQLite database with a header (cheap filter before reading one). */
export function mayBeDatabase(sizeBytes: number): boolean {
  return sizeBytes >= minPageBytes && sizeBytes % minPageBytes === 0;
}

/** Whether a file's first bytes are a SQLite database header (any journal mode). */
export function hasDatabaseHeader(firstBytes: Buffer): boolean {
  return firstBytes.length >= headerMagic.length && firstBytes.subarray(0, headerMagic.length).equals(headerMagic);
}

/**
 * Whether a database's first bytes are a SQLite header that says WAL mode: bytes 18 and
 * 19 (file format write and read versions) are 2 in WAL mode, 1 otherwise.
 */
export function headerSaysWal(firstBytes: Buffer): boolean {
  if (firstBytes.length < 20 || !firstBytes.subarray(0, headerMagic.length).equals(headerMagic)) return false;
  return firstBytes[18] === 2 || firstBytes[19] === 2;
}

/**
 * Whether a database's first bytes are a SQLite header of a rollback-journal database
 * (DELETE, TRUNCATE, PERSIST, MEMORY): bytes 18 and 19 are both 1.
 */
export function headerSaysRollback(firstBytes: Buffer): boolean {
  if (firstBytes.length < 20 || !firstBytes.subarray(0, headerMagic.length).equals(headerMagic)) return false;
  return firstBytes[18] === 1 && firstBytes[19] === 1;
}
