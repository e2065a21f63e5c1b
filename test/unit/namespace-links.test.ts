// meta/namespace.ts: hard links, FIFOs and sockets (format chalkfs-version/3): names
// per inode, link counts, renames onto links, and records counted again on load.
import { describe, expect, it } from 'vitest';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { kindOf, owner, sample, tree } from '../support/namespace-fixtures.js';

describe('Namespace hard links and special files', () => {
  it('link gives an inode a second name: same inode, nlink 2, ctime of the inode and mtime of the new parent', () => {
    const ns = sample();
    const f = ns.resolve('/a/f');
    expect(ns.link('/a/f', '/empty/g', 7)).toBe(f.ino);
    expect(ns.resolve('/empty/g')).toEqual(f);
    expect(ns.nlink(f.ino)).toBe(2);
    expect(f.inode).toMatchObject({ ctimeMs: 7, mtimeMs: 2 });
    expect(ns.resolve('/empty').inode).toMatchObject({ mtimeMs: 7, ctimeMs: 7 });
    // Directories keep counting subdirectories only.
    expect(ns.nlink(ns.resolve('/empty').ino)).toBe(2);
    expect(tree(ns)).toEqual(['/a/b:dir', '/a/f:file', '/a:dir', '/empty/g:file', '/empty:dir', '/link:symlink']);
  });

  it('unlink drops one name; the inode goes with its last one', () => {
    const ns = sample();
    const f = ns.resolve('/a/f');
    ns.link('/a/f', '/g', 3);
    ns.link('/g', '/a/h', 3);
    expect(ns.nlink(f.ino)).toBe(3);
    expect(ns.unlink('/a/f', 4)).toBe(f.ino);
    expect(ns.inodes.has(f.ino)).toBe(true);
    expect(ns.nlink(f.ino)).toBe(2);
    expect(f.inode.ctimeMs).toBe(4);
    ns.unlink('/g', 5);
    expect(ns.resolve('/a/h').inode).toBe(f.inode);
    ns.unlink('/a/h', 6);
    expect(ns.inodes.has(f.ino)).toBe(false);
    expect(ns.nlink(f.ino)).toBe(0);
  });

  it('rename onto another name of the same inode changes nothing; onto a linked file drops one of its names', () => {
    const ns = sample();
    const f = ns.resolve('/a/f').ino;
    ns.link('/a/f', '/g', 3);
    const before = tree(ns);
    expect(ns.rename('/a/f', '/g', 4)).toBeUndefined();
    expect(tree(ns)).toEqual(before);
    expect(ns.nlink(f)).toBe(2);
    const other = ns.createFile('/other', 0o644, owner, 5).ino;
    expect(ns.rename('/other', '/g', 6)).toBeUndefined(); // /a/f still names the replaced inode
    expect(ns.resolve('/g').ino).toBe(other);
    expect(ns.nlink(f)).toBe(1);
    expect(ns.resolve('/a/f').inode.ctimeMs).toBe(6);
    expect(ns.rename('/g', '/a/f', 7)).toBe(f); // its last name: gone
    expect(ns.inodes.has(f)).toBe(false);
  });

  it('links symlinks, FIFOs and sockets, never directories, and refuses what link(2) refuses', () => {
    const ns = sample();
    ns.link('/link', '/link2', 3);
    expect(ns.resolve('/link2').inode).toMatchObject({ type: 'symlink', target: '/a/f' });
    const fifo = ns.mknod('/p', 'fifo', 0o640, owner, 4);
    const sock = ns.mknod('/s', 'socket', 0o100755, owner, 4);
    expect(ns.resolve('/p').inode).toMatchObject({ type: 'fifo', mode: 0o640, uid: 1000, ctimeMs: 4 });
    expect(ns.resolve('/s').inode).toMatchObject({ type: 'socket', mode: 0o755 });
    ns.link('/p', '/a/p2', 5);
    expect(ns.resolve('/a/p2').ino).toBe(fifo);
    expect(ns.nlink(sock)).toBe(1);
    const before = tree(ns);
    expect(kindOf(() => ns.link('/a', '/a2', 6))).toBe('not-permitted');
    expect(kindOf(() => ns.link('/a/f', '/p', 6))).toBe('exists');
    expect(kindOf(() => ns.link('/nope', '/x', 6))).toBe('not-found');
    expect(kindOf(() => ns.link('/a/f', '/nope/x', 6))).toBe('not-found');
    expect(kindOf(() => ns.mknod('/p', 'fifo', 0o644, owner, 6))).toBe('exists');
    expect(tree(ns)).toEqual(before);
  });

  it('counts names again from a record: links, FIFOs and sockets round trip through JSON', () => {
    const ns = sample();
    ns.link('/a/f', '/g', 3);
    ns.mknod('/p', 'fifo', 0o644, owner, 3);
    ns.mknod('/s', 'socket', 0o644, owner, 3);
    const back = Namespace.fromRecord(JSON.parse(JSON.stringify(ns.snapshot())));
    expect(tree(back)).toEqual(tree(ns));
    const f = back.resolve('/g').ino;
    expect(back.nlink(f)).toBe(2);
    expect(back.nlink(back.resolve('/p').ino)).toBe(1);
    back.unlink('/a/f', 4);
    expect(back.resolve('/g').inode.type).toBe('file');
    back.unlink('/g', 5);
    expect(back.inodes.has(f)).toBe(false);
  });

  it('restore puts a removed name back, also of an inode that kept another name', () => {
    const ns = sample();
    const { ino, inode } = ns.resolve('/a/f');
    const { parentIno } = ns.parentOf('/a/f');
    ns.link('/a/f', '/g', 3);
    ns.unlink('/a/f', 4);
    expect(ns.restore(parentIno, 'f', ino, inode)).toBe(true);
    expect(ns.nlink(ino)).toBe(2);
    ns.unlink('/a/f', 5);
    ns.unlink('/g', 5);
    expect(ns.restore(parentIno, 'f', ino, inode)).toBe(true);
    expect(ns.nlink(ino)).toBe(1);
    expect(ns.resolve('/a/f').inode).toBe(inode);
  });
});
