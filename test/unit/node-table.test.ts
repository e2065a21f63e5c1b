// The libfuse 3 layer's node ids → paths table (chalkfs/fuse/node-table.ts): pure logic.
import { describe, expect, it } from 'vitest';
import { NodeTable, ROOT_NODE } from '../../chalkfs/fuse/node-table.js';

describe('NodeTable', () => {
  it('names the root and the nodes the kernel was handed, through their parents', () => {
    const t = new NodeTable();
    t.remember(ROOT_NODE, 'a', 2);
    t.remember(2, 'b', 3);
    expect(t.path(ROOT_NODE)).toBe('/');
    expect(t.path(2)).toBe('/a');
    expect(t.path(3)).toBe('/a/b');
    expect(t.childPath(3, 'c')).toBe('/a/b/c');
    expect(t.childPath(ROOT_NODE, 'x')).toBe('/x');
    expect(t.child(2, 'b')).toBe(3);
    expect(t.path(99)).toBeUndefined();
    expect(t.childPath(99, 'x')).toBeUndefined();
  });

  it('forgets a node only when every lookup is given back', () => {
    const t = new NodeTable();
    t.remember(ROOT_NODE, 'f', 5);
    t.remember(ROOT_NODE, 'f', 5);
    t.forget(5, 1);
    expect(t.path(5)).toBe('/f');
    t.forget(5, 1);
    expect(t.has(5)).toBe(false);
    expect(t.path(5)).toBeUndefined();
    expect(t.child(ROOT_NODE, 'f')).toBeUndefined();
    expect(t.size).toBe(0);
  });

  it('never forgets the root', () => {
    const t = new NodeTable();
    t.remember(ROOT_NODE, 'ignored', ROOT_NODE);
    t.forget(ROOT_NODE, 10);
    expect(t.has(ROOT_NODE)).toBe(true);
    expect(t.path(ROOT_NODE)).toBe('/');
  });

  it('detaches an unlinked node: no path, but its last path for closing handles', () => {
    const t = new NodeTable();
    t.remember(ROOT_NODE, 'd', 2);
    t.remember(2, 'j', 3);
    t.removed(2, 'j');
    expect(t.has(3)).toBe(true);
    expect(t.path(3)).toBeUndefined();
    expect(t.lastPath(3)).toBe('/d/j');
    expect(t.child(2, 'j')).toBeUndefined();
    expect([...t.known()].map((n) => n.ino)).toEqual([2]);
    t.forget(3, 1);
    expect(t.has(3)).toBe(false);
  });

  it('moves a renamed node and detaches the one it replaced', () => {
    const t = new NodeTable();
    t.remember(ROOT_NODE, 'd', 2);
    t.remember(ROOT_NODE, 'tmp', 3);
    t.remember(2, 'db', 4);
    t.renamed(ROOT_NODE, 'tmp', 2, 'db');
    expect(t.path(3)).toBe('/d/db');
    expect(t.child(2, 'db')).toBe(3);
    expect(t.child(ROOT_NODE, 'tmp')).toBeUndefined();
    expect(t.path(4)).toBeUndefined();
    // A directory's rename moves everything below it.
    t.remember(ROOT_NODE, 'e', 5);
    t.renamed(ROOT_NODE, 'd', 5, 'inner');
    expect(t.path(3)).toBe('/e/inner/db');
  });

  it('leaves the table alone for a rename of a name the kernel never looked up', () => {
    const t = new NodeTable();
    t.remember(ROOT_NODE, 'kept', 2);
    t.renamed(ROOT_NODE, 'unknown', ROOT_NODE, 'other');
    expect(t.path(2)).toBe('/kept');
    expect(t.size).toBe(1);
  });

  it('follows an inode seen under a new name (keeping the old one), and a name now naming another inode', () => {
    const t = new NodeTable();
    t.remember(ROOT_NODE, 'old', 2);
    t.remember(ROOT_NODE, 'new', 2);
    expect(t.path(2)).toBe('/new');
    expect(t.child(ROOT_NODE, 'old')).toBe(2);
    t.remember(ROOT_NODE, 'new', 3);
    expect(t.path(3)).toBe('/new');
    expect(t.path(2)).toBe('/old');
    t.remember(ROOT_NODE, 'old', 3);
    expect(t.path(2)).toBeUndefined();
    // Both lookups of node 2 are still owed back.
    t.forget(2, 1);
    expect(t.has(2)).toBe(true);
    t.forget(2, 1);
    expect(t.has(2)).toBe(false);
    expect(t.child(ROOT_NODE, 'old')).toBe(3);
  });

  it('keeps every name of a linked node: unlinking one leaves the others, and the node detaches with its last', () => {
    const t = new NodeTable();
    t.remember(ROOT_NODE, 'd', 2);
    t.remember(ROOT_NODE, 'a', 5);
    t.remember(2, 'b', 5);
    expect(t.nameCount(5)).toBe(2);
    expect(t.path(5)).toBe('/d/b');
    expect([...t.known()].filter((n) => n.ino === 5).map((n) => n.path).sort()).toEqual(['/a', '/d/b']);
    t.removed(2, 'b');
    expect(t.path(5)).toBe('/a');
    expect(t.nameCount(5)).toBe(1);
    t.removed(ROOT_NODE, 'a');
    expect(t.path(5)).toBeUndefined();
    expect(t.lastPath(5)).toBe('/a');
    // Forgetting the node drops every name it still had.
    t.remember(ROOT_NODE, 'x', 6);
    t.remember(ROOT_NODE, 'y', 6);
    t.forget(6, 2);
    expect(t.child(ROOT_NODE, 'x')).toBeUndefined();
    expect(t.child(ROOT_NODE, 'y')).toBeUndefined();
  });

  it('leaves two names of one node alone on a rename of one onto the other; a rename onto a linked node takes one of its names', () => {
    const t = new NodeTable();
    t.remember(ROOT_NODE, 'a', 5);
    t.remember(ROOT_NODE, 'b', 5);
    t.renamed(ROOT_NODE, 'a', ROOT_NODE, 'b');
    expect(t.child(ROOT_NODE, 'a')).toBe(5);
    expect(t.child(ROOT_NODE, 'b')).toBe(5);
    t.remember(ROOT_NODE, 'c', 6);
    t.renamed(ROOT_NODE, 'c', ROOT_NODE, 'b');
    expect(t.child(ROOT_NODE, 'b')).toBe(6);
    expect(t.path(5)).toBe('/a');
    expect(t.nameCount(5)).toBe(1);
  });

  it('has no path below a detached directory', () => {
    const t = new NodeTable();
    t.remember(ROOT_NODE, 'd', 2);
    t.remember(2, 'f', 3);
    t.removed(ROOT_NODE, 'd');
    expect(t.path(3)).toBeUndefined();
    expect([...t.known()]).toEqual([]);
  });
});
