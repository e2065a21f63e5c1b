/*
 * The inodes meta/namespace.ts holds: the wire types' fields, mutable, and the small
 * rules every namespace operation shares (copying, touching, forgetting patches past a
 * file's end). Only namespace.ts imports this: everyone else sees inodes through the
 * readonly types of meta/format.ts.
 */
import type { Inode, PatchExtent } from './format.js';

interface LiveBase { mode: number; uid: number; gid: number; atimeMs: number; mtimeMs: number; ctimeMs: number }

export interface LiveFile extends LiveBase {
  type: 'file';
  sizeBytes: number;
  blocks: (string | null)[];
  /** Each block's extents are replaced whole, never changed in place: snapshots share them. */
  patches?: Record<string, readonly PatchExtent[]>;
}

export interface LiveDir extends LiveBase {
  type: 'dir';
  entries: Record<string, number>;
}

export interface LiveSymlink extends LiveBase {
  type: 'symlink';
  target: string;
}

export interface LiveSpecial extends LiveBase {
  type: 'fifo' | 'socket';
}

/** An inode as the namespace holds it: the wire type's fields, mutable. */
export type LiveInode = LiveFile | LiveDir | LiveSymlink | LiveSpecial;

export function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part.length > 0);
}

/** The content changed (a file's data, a directory's entries): mtime and ctime. */
export function touch(inode: LiveInode, nowMs: number): void {
  inode.mtimeMs = nowMs;
  inode.ctimeMs = nowMs;
}

/** Forgets the patches of blocks from `index` on (the file no longer reaches them). */
export function dropPatchesFrom(file: LiveFile, index: number): void {
  if (!file.patches) return;
  for (const key of Object.keys(file.patches)) if (Number(key) >= index) delete file.patches[key];
  if (Object.keys(file.patches).length === 0) delete file.patches;
}

/**
 * A deep copy, key order kept (the encoding is byte for byte the same). Patch extents
 * are shared: they are never changed in place.
 */
export function copyInode(inode: Inode): LiveInode {
  if (inode.type === 'file') {
    return inode.patches ? { ...inode, blocks: [...inode.blocks], patches: { ...inode.patches } } : { ...inode, blocks: [...inode.blocks] };
  }
  if (inode.type === 'dir') return { ...inode, entries: { ...inode.entries } };
  return { ...inode };
}
