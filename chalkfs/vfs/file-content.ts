/* Comparing two versions of a file by what they hold (no I/O). */
import type { FileInode } from '../meta/format.js';

/** Whether two versions of a file hold the same bytes and attributes (unchanged by a commit). */
export function sameContent(a: FileInode, b: FileInode): boolean {
  if (a.sizeBytes !== b.sizeBytes || a.mtimeMs !== b.mtimeMs || a.blocks.length !== b.blocks.length) return false;
  if (a.blocks.some((hash, i) => hash !== b.blocks[i])) return false;
  return JSON.stringify(a.patches ?? {}) === JSON.stringify(b.patches ?? {});
}
