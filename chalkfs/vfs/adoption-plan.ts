/*
 * Which blocks a read-only mount must have locally before it may adopt a new version.
 *
 * A reader that switched to a version whose changed blocks it does not have, and then
 * lost the store, could serve nothing of the files it was serving a moment before: every
 * read of a changed block would fail, although the complete older state was local
 * (issue: readers keep serving through a store outage). So adoption is made of two steps:
 * fetch what the new version changed in the files this host is using, then switch. While
 * the fetch fails, the mount stays on the version it can serve whole.
 *
 * "Using" a file means having at least one of its current base blocks locally (memory or
 * disk tier): a file this host never read costs nothing at adoption, and is no worse off
 * during an outage than before. In a file in use, a new base block that is not local is
 * needed where the host had the block it replaces, and where the file had no block
 * before (it grew, or a hole was filled): what the writer changed, in the places this
 * host reads, and no more. A block of a large file the host never read stays remote. A
 * patch-only commit whose bases are local needs nothing (patches travel in the version).
 */
import type { FileInode, Inode } from '../meta/format.js';

export function blocksToHaveBeforeAdopting(
  current: ReadonlyMap<number, Inode>,
  next: Readonly<Record<string, Inode>>,
  isLocal: (hash: string) => boolean,
): string[] {
  const needed = new Set<string>();
  for (const [inoKey, inode] of Object.entries(next)) {
    if (inode.type !== 'file') continue;
    const before = current.get(Number(inoKey));
    if (before?.type !== 'file' || !inUse(before, isLocal)) continue;
    inode.blocks.forEach((hash, index) => {
      if (!hash || isLocal(hash)) return;
      const replaced = before.blocks[index];
      if (replaced === undefined || replaced === null || isLocal(replaced)) needed.add(hash);
    });
  }
  return [...needed];
}

function inUse(inode: FileInode, isLocal: (hash: string) => boolean): boolean {
  return inode.blocks.some((hash) => hash !== null && isLocal(hash));
}
