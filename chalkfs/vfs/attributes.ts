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
}

export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;

export function attributesOf(ino: number, inode: Inode, nlink: number, blockSizeBytes: number): Attributes {
  const typeBits = inode.type === 'file' ? S_IFREG : inode.type === 'dir' ? S_IFDIR : S_IFLNK;
  const size = inode.type === 'file' ? inode.sizeBytes : inode.type === 'dir' ? 4096 : Buffer.byteLength(inode.target);
  return {
    ino,
    mode: typeBits | (inode.mode & 0o7777),
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
