/*
 * What a writer knows about the rollback journals of the SQLite databases it holds: which
 * journals have been seen hot, whether a sync may wait for the commit that ends a
 * transaction (deferred syncs), and whether the namespace is at a transaction-consistent
 * point (sqlite-consistency.ts). A journal's state is read from its first block in memory;
 * `loadHeaders` brings those blocks in before a commit asks synchronously.
 */
import type { FileInode } from '../../meta/format.js';
import type { Namespace } from '../../meta/namespace.js';
import { isTransactionConsistent } from './sqlite-consistency.js';
import { classify, isHot, JOURNAL_MAGIC_BYTES } from './sqlite-files.js';
import { endsCommitFrame, walRecovery } from './wal-recovery.js';

/** The file data a journal's header is read from (FileData). */
export interface FirstBlocks {
  /** The block if in memory (null for a hole), else undefined. */
  peekBlock(ino: number, inode: FileInode, index: number): Buffer | null | undefined;
  blockContent(ino: number, inode: FileInode, index: number): Promise<Buffer | null>;
  readonly blockSizeBytes: number;
}

export class SqliteJournals {
  /** Journals seen hot at least once: zeroed again, they no longer make a version inconsistent. */
  private readonly seenHot = new Set<number>();

  constructor(private readonly data: FirstBlocks) {}

  /**
   * The journals of the version a writer starts from were made by processes of an earlier
   * mount, consistent version or not: none is a journal being created right now, which is
   * what the never-hot rule is for. A zeroed one is idle (a PERSIST or TRUNCATE journal,
   * or one its process left); a hot one keeps versions inconsistent through its header
   * until SQLite rolls it back. Trusting them only after a consistent version kept every
   * later version inconsistent after a restart from an inconsistent one, whenever another
   * database's idle journal was never written again.
   */
  trustJournalsAtStart(ns: Namespace): void {
    for (const { ino, path, inode } of ns.walk()) if (inode.type === 'file' && classify(path).kind === 'journal') this.seenHot.add(ino);
  }

  /** The journal `ino` was removed for good: a new one under its number starts over. */
  forget(ino: number): void {
    this.seenHot.delete(ino);
  }

  /**
   * SQLite-aware durability (docs/CONSISTENCY.md): while a transaction is under way (a
   * rollback journal is hot, or new and not yet hot), a sync of that journal, of its
   * database or of their directory is deferred to the commit that ends the
   * transaction (journal deleted, truncated or zeroed, each followed by a sync). A
   * version is an atomic snapshot of every file, so the store holds either the state
   * before the transaction or after it; SQLite's COMMIT returns only after that final
   * sync, so nothing it acknowledged is lost, and one store commit serves the whole
   * transaction instead of three. The periodic commit still bounds what a crash loses
   * of an unfinished transaction (which SQLite would roll back anyway).
   */
  syncDeferred(ns: Namespace, path: string): boolean {
    const target = ns.tryResolve(path);
    if (target?.inode.type === 'dir') {
      // SQLite syncs the directory right after creating a journal: part of the same transaction.
      const base = path === '/' ? '' : path;
      return Object.keys(target.inode.entries).some((name) => classify(name).kind === 'journal' && this.transactionOpen(ns, `${base}/${name}`));
    }
    return this.transactionOpen(ns, classify(path).kind === 'journal' ? path : `${path}-journal`);
  }

  /** Whether `ns` is at a transaction-consistent point (sqlite-consistency.ts). */
  isConsistent(ns: Namespace): boolean {
    return isTransactionConsistent(ns, (ino, inode) => this.header(ino, inode), (ino) => this.seenHot.has(ino), (ino, inode) =>
      walRecovery(inode.sizeBytes, this.bytesInMemory(ino, inode).read),
    );
  }

  /**
   * A write to the journal `ino` at `offset` just landed. A journal is seen hot when its
   * magic is written, not only when a sync or a commit happens to look: with
   * synchronous=OFF SQLite syncs nothing, so in PERSIST mode a journal can be hot and
   * zeroed again between two periodic commits, and one never seen hot would keep every
   * later version inconsistent (its final state never reaching another host).
   */
  noteWrite(ino: number, inode: FileInode, offset: number): void {
    if (offset < JOURNAL_MAGIC_BYTES) this.header(ino, inode);
  }

  /** Whether a write that ended at `end` of the WAL `ino` finished a commit frame (wal-recovery.ts). */
  endsWalCommit(ino: number, inode: FileInode, end: number): boolean {
    return endsCommitFrame(end, this.bytesInMemory(ino, inode).read);
  }

  /** A reader of file `ino`'s bytes from the blocks in memory; `missing` is the first block it lacked. */
  private bytesInMemory(ino: number, inode: FileInode): { read: (offset: number, lengthBytes: number) => Buffer | undefined; missing: () => number | undefined } {
    const size = this.data.blockSizeBytes;
    let missing: number | undefined;
    const read = (offset: number, lengthBytes: number): Buffer | undefined => {
      const out = Buffer.alloc(lengthBytes);
      for (let index = Math.floor(offset / size); index * size < offset + lengthBytes; index++) {
        const block = this.data.peekBlock(ino, inode, index);
        if (block === undefined) {
          missing ??= index;
          return undefined;
        }
        if (block === null) continue; // a hole: zeros
        const start = Math.max(offset, index * size);
        const end = Math.min(offset + lengthBytes, index * size + block.length);
        if (end > start) block.copy(out, start - offset, start - index * size, end - index * size);
      }
      return out;
    };
    return { read, missing: () => missing };
  }

  /** The consistency check reads journal headers synchronously: bring them into memory first. */
  async loadHeaders(ns: Namespace): Promise<void> {
    const loads: Promise<unknown>[] = [];
    for (const { ino, path, inode } of ns.walk()) {
      if (inode.type === 'file' && classify(path).kind === 'wal') loads.push(this.loadWalStart(ino, inode));
      if (inode.type === 'file' && classify(path).kind === 'journal' && inode.sizeBytes > 0 && this.data.peekBlock(ino, inode, 0) === undefined) {
        loads.push(this.data.blockContent(ino, inode, 0));
      }
    }
    await Promise.all(loads);
  }

  /** Brings into memory the blocks of a WAL its consistency check reads (up to its first commit frame). */
  private async loadWalStart(ino: number, inode: FileInode): Promise<void> {
    for (;;) {
      const bytes = this.bytesInMemory(ino, inode);
      if (walRecovery(inode.sizeBytes, bytes.read) !== undefined) return;
      const index = bytes.missing();
      if (index === undefined) return;
      await this.data.blockContent(ino, inode, index);
    }
  }

  /**
   * A transaction is under way on the journal's database while the journal is hot, and
   * also while it is a new, non-empty journal that has never been hot: with
   * synchronous=FULL SQLite syncs a new journal once with a zeroed header before writing
   * its magic, and that sync orders nothing a version needs (the database is not
   * written before the journal is hot). A journal zeroed after being hot (PERSIST mode's
   * commit) ends the transaction: its sync commits.
   */
  private transactionOpen(ns: Namespace, journalPath: string): boolean {
    const journal = ns.tryResolve(journalPath);
    if (!journal || journal.inode.type !== 'file' || journal.inode.sizeBytes === 0) return false;
    const header = this.header(journal.ino, journal.inode);
    if (!header) return false;
    return isHot(header, journal.inode.sizeBytes) || !this.seenHot.has(journal.ino);
  }

  /** A journal's first block if in memory; seeing it hot is remembered. */
  private header(ino: number, inode: FileInode): Buffer | null | undefined {
    const header = this.data.peekBlock(ino, inode, 0);
    if (header && isHot(header, inode.sizeBytes)) this.seenHot.add(ino);
    return header;
  }
}
