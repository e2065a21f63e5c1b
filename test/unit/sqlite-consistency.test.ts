// vfs/sqlite/sqlite-consistency.ts: when a version is transaction-consistent, that is, when
// no rollback journal in it is hot.
import { describe, expect, it } from 'vitest';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import type { FileInode } from '../../chalkfs/meta/format.js';
import { isTransactionConsistent } from '../../chalkfs/vfs/sqlite/sqlite-consistency.js';

const owner = { uid: 0, gid: 0 };
const magic = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);

function withJournal(sizeBytes: number): { ns: Namespace; ino: number } {
  const ns = Namespace.empty(owner, 1);
  ns.mkdir('/data', 0o755, owner, 1);
  const db = ns.createFile('/data/db.sqlite', 0o644, owner, 1);
  ns.setSize(db.inode, 4096, 4096);
  const { ino, inode } = ns.createFile('/data/db.sqlite-journal', 0o644, owner, 1);
  ns.setSize(inode, sizeBytes, 4096);
  return { ns, ino };
}

describe('isTransactionConsistent', () => {
  it('a hot journal (magic header) is not consistent', () => {
    const { ns, ino } = withJournal(1024);
    const block = Buffer.concat([magic, Buffer.alloc(100, 7)]);
    expect(isTransactionConsistent(ns, (i) => (i === ino ? block : null))).toBe(false);
  });

  it('a header with any nonzero byte in its first 8 bytes is hot', () => {
    const { ns } = withJournal(1024);
    const block = Buffer.alloc(512);
    block[7] = 1;
    expect(isTransactionConsistent(ns, () => block)).toBe(false);
  });

  it('an empty (truncated) journal is consistent without reading it', () => {
    const { ns } = withJournal(0);
    expect(isTransactionConsistent(ns, () => undefined)).toBe(true);
  });

  it('a zeroed header (PERSIST mode) is consistent, whatever follows it', () => {
    const { ns } = withJournal(1024);
    const block = Buffer.concat([Buffer.alloc(8), Buffer.alloc(100, 9)]);
    expect(isTransactionConsistent(ns, () => block)).toBe(true);
  });

  it('a journal whose first block is a hole reads as zeros: consistent', () => {
    const { ns } = withJournal(1024);
    expect(isTransactionConsistent(ns, () => null)).toBe(true);
  });

  it('no journal at all is consistent', () => {
    const ns = Namespace.empty(owner, 1);
    ns.setSize(ns.createFile('/db.sqlite', 0o644, owner, 1).inode, 8192, 4096);
    expect(isTransactionConsistent(ns, () => magic)).toBe(true);
  });

  it('a header that is not in memory counts as hot', () => {
    const { ns } = withJournal(1024);
    expect(isTransactionConsistent(ns, () => undefined)).toBe(false);
  });

  it('only looks at files named *-journal, and only at their first block', () => {
    const { ns, ino } = withJournal(1024);
    const seen: number[] = [];
    isTransactionConsistent(ns, (i: number, inode: FileInode) => {
      seen.push(i);
      expect(inode.type).toBe('file');
      return Buffer.alloc(8);
    });
    expect(seen).toEqual([ino]);
  });
});
