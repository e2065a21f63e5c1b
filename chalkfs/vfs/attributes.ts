/*
 * An inode as getattr reports it: the fields of struct stat, the file type bits, and how
 * st_blocks and st_blksize are derived. The volumes answer getattr with these; the FUSE
 * layer passes them on.
 */
import type { Inode } from '../meta/format.js';

/** What getattr answers: the fields of struct stat the FUSE layer passes on. */
export interface Attributes {
  ino: number;
  mode: number; // type and permission bits
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  blocks: number; // 512-byte units
  blksize: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  /**
   * A follower's content generation of a file, when not 0 (vfs/file-generations.ts): the
   * kernel needs a node of its own for each content it is handed.
   */
  generation?: number;
}

export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
export const S_IFIFO = 0o010000;
export const S_IFSOCK = 0o140000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

const typeBitsOf: Record<Inode['type'], number> = { file: S_IFREG, dir: S_IFDIR, symlink: S_IFLNK, fifo: S_IFIFO, socket: S_IFSOCK };

function sizeOf(inode: Inode): number {
  if (inode.type === 'file') return inode.sizeBytes;
  if (inode.type === 'dir') return 4096;
  if (inode.type === 'symlink') return Buffer.byteLength(inode.target);
  return 0; // a FIFO or socket holds no data here: the kernel serves its I/O
}

export function attributesOf(ino: number, inode: Inode, nlink: number, blockSizeBytes: number): Attributes {
  const size = sizeOf(inode);
  return {
    ino,
    mode: typeBitsOf[inode.type] | (inode.mode & 0o7777),
    nlink,
    uid: inode.uid,
    gid: inode.gid,
    size,
    // Reported as fully allocated: tools such as tar treat st_blocks == 0 as "all hole"
    // and would skip reading data that is only dirty in memory.
    blocks: Math.ceil(size / 512),
    blksize: Math.min(blockSizeBytes, 1 << 20),
    atimeMs: inode.atimeMs,
    mtimeMs: inode.mtimeMs,
    ctimeMs: inode.ctimeMs,
  };
}
