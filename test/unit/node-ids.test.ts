// fuse/node-ids.ts: a file's first content is the node of its inode number; each later
// content generation gets a node id of its own, above every volume inode number, kept
// until the kernel forgets it.
import { describe, expect, it } from 'vitest';
import { FRESH_NODE_BASE, NodeIds } from '../../chalkfs/fuse/node-ids.js';

describe('NodeIds', () => {
  it('generation 0 is the inode number; later generations get fresh ids, the same one for the same content', () => {
    const ids = new NodeIds();
    expect(ids.nodeOf(42)).toBe(42);
    expect(ids.nodeOf(42, 0)).toBe(42);
    expect(ids.contentOf(42)).toEqual({ ino: 42, generation: 0 });
    const later = ids.nodeOf(42, 3);
    expect(later).toBeGreaterThanOrEqual(FRESH_NODE_BASE);
    expect(ids.nodeOf(42, 3)).toBe(later);
    expect(ids.contentOf(later)).toEqual({ ino: 42, generation: 3 });
    const other = ids.nodeOf(7, 4);
    expect(other).not.toBe(later);
    expect(ids.known(42, 3)).toBe(later);
    expect(ids.known(42, 5)).toBeUndefined();
    expect(ids.known(42)).toBe(42);
  });

  it('a forgotten node stands for nothing any more; its content, looked up again, gets a new id', () => {
    const ids = new NodeIds();
    const first = ids.nodeOf(9, 1);
    ids.forgotten(first);
    expect(ids.known(9, 1)).toBeUndefined();
    expect(ids.size).toBe(0);
    const again = ids.nodeOf(9, 1);
    expect(again).not.toBe(first);
    ids.forgotten(9); // a first content's node: nothing kept for it
    expect(ids.contentOf(again)).toEqual({ ino: 9, generation: 1 });
  });
});
