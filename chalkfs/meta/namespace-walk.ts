/*
 * Read-only passes over a namespace's inodes (meta/namespace.ts): every path depth first,
 * and totals. Pure; they only read the inodes they are given.
 */
import { ChalkError } from '../util/chalk-error.js';
import { rootIno, type Inode } from './format.js';

export interface NamespaceStats {
  files: number;
  directories: number;
  sizeBytes: number;
}

/** Every path under directory `dirIno` with its inode, depth first. */
export function* walkInodes(inodes: ReadonlyMap<number, Inode>, dirIno = rootIno, prefix = ''): Generator<{ path: string; ino: number; inode: Inode }> {
  const dir = inodes.get(dirIno);
  if (dir === undefined) throw new ChalkError('not-found', `inode ${dirIno} does not exist`);
  if (dir.type !== 'dir') return;
  for (const [name, ino] of Object.entries(dir.entries)) {
    const inode = inodes.get(ino);
    if (inode === undefined) throw new ChalkError('not-found', `inode ${ino} does not exist`);
    const path = `${prefix}/${name}`;
    yield { path, ino, inode };
    if (inode.type === 'dir') yield* walkInodes(inodes, ino, path);
  }
}

/** How many files and directories, and the files' bytes. */
export function inodeStats(inodes: Iterable<Inode>): NamespaceStats {
  const stats: NamespaceStats = { files: 0, directories: 0, sizeBytes: 0 };
  for (const inode of inodes) {
    if (inode.type === 'file') {
      stats.files++;
      stats.sizeBytes += inode.sizeBytes;
    } else if (inode.type === 'dir') stats.directories++;
  }
  return stats;
}
