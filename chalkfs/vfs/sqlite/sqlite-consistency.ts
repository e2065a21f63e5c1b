/*
 * The consistency rule: is this namespace at a SQLite transaction-consistent point? Not while any rollback
 * journal is "hot": a `*-journal` file that is non-empty and whose header (its first 8
 * bytes, the journal magic) is not zeroed. That covers the DELETE (journal gone),
 * TRUNCATE (size 0) and PERSIST (header zeroed) journal modes. A header that is not in
 * memory counts as hot: a reader is never shown a state that might be torn.
 *
 * Nor while a journal exists that has never been hot (`established` says which have):
 * SQLite syncs a new journal once before writing its magic, so every DELETE-mode
 * transaction starts with a zero-header journal that vanishes at its COMMIT. A reader
 * shown that state races the deletion: its access() finds the journal, its open() does
 * not, and SQLite takes a journal it cannot open for a hot one (SQLITE_READONLY_ROLLBACK
 * on a read-only connection). A PERSIST or TRUNCATE journal that has been hot stays.
 *
 * Nor while a `-wal` has a valid header but no valid commit frame after it (a WAL just
 * restarted, or new, with its first transaction under way): followers' readers keep a
 * private wal-index that recovery from such a WAL leaves unable to see that WAL's later
 * commits (wal-recovery.ts). A WAL whose bytes are not in memory counts the same.
 */
import type { FileInode } from '../../meta/format.js';
import type { Namespace } from '../../meta/namespace.js';
import { classify, isHot } from './sqlite-files.js';
import type { WalRecovery } from './wal-recovery.js';

export function isTransactionConsistent(
  ns: Namespace,
  firstBlock: (ino: number, inode: FileInode) => Buffer | null | undefined,
  established: (ino: number) => boolean = () => true,
  walRecovery: (ino: number, inode: FileInode) => WalRecovery | undefined = () => 'committed',
): boolean {
  for (const { ino, path, inode } of ns.walk()) {
    if (inode.type !== 'file') continue;
    const kind = classify(path).kind;
    if (kind === 'wal') {
      const found = walRecovery(ino, inode);
      if (found === undefined || found === 'no-commit') return false;
      continue;
    }
    if (kind !== 'journal' || inode.sizeBytes === 0) continue;
    const block = firstBlock(ino, inode);
    if (block === undefined) return false;
    if (block === null) continue;
    if (isHot(block, inode.sizeBytes)) return false;
    if (!established(ino)) return false;
  }
  return true;
}
