import type { FileInode } from '../meta/format.js';
import type { Namespace } from '../meta/namespace.js';

/**
 * Is this namespace at a SQLite transaction-consistent point? Not while any rollback
 * journal is "hot": a `*-journal` file that is non-empty and whose header (its first 8
 * bytes, the journal magic) is not zeroed. That covers the DELETE (journal gone),
 * TRUNCATE (size 0) and PERSIST (header zeroed) journal modes. A header that is not in
 * memory counts as hot: a reader is never shown a state that might be torn.
 */
export function isTransactionConsistent(
  ns: Namespace,
  firstBlock: (ino: number, inode: FileInode) => Buffer | null | undefined,
): boolean {
  for (const { ino, path, inode } of ns.walk()) {
    if (inode.type !== 'file' || !path.endsWith('-journal') || inode.sizeBytes === 0) continue;
    const block = firstBlock(ino, inode);
    if (block === undefined) return false;
    if (block === null) continue;
    const header = block.subarray(0, Math.min(8, inode.sizeBytes));
    if (header.some((byte) => byte !== 0)) return false;
  }
  return true;
}
