// vfs/block-patches.ts: encoding written ranges as patch extents, materializing them over a
// block, and rejecting extents that are corrupt.
import { describe, expect, it } from 'vitest';
import { blocksToFold, decodeExtents, encodeExtents, extentBytes, materialize, overlayExtents } from '../../chalkfs/vfs/block-patches.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';
import type { PatchExtent } from '../../chalkfs/meta/format.js';

describe('block patches', () => {
  const block = Buffer.from('abcdefghijklmnop');

  it('encodes the written ranges and materializes them over the base', () => {
    const changed = Buffer.from(block);
    changed.write('XY', 2);
    changed.write('Z', 10);
    const extents = encodeExtents(changed, [{ start: 2, end: 4 }, { start: 10, end: 11 }]);
    expect(extentBytes(extents)).toBe(3);
    expect(materialize(block, decodeExtents(extents, 16, 'b')).toString()).toBe('abXYefghijZlmnop');
  });

  it('materializes past a short base with zeros in between, and over a hole', () => {
    const extents = decodeExtents([[6, Buffer.from('Q').toString('base64')]], 16, 'b');
    expect(materialize(Buffer.from('abc'), extents)).toEqual(Buffer.from([97, 98, 99, 0, 0, 0, 81]));
    expect(materialize(null, extents)).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 81]));
  });

  it('builds a patched block once per base and extents: a WAL write peeking the header copied 1 MiB each time', () => {
    const extents = decodeExtents([[2, Buffer.from('XY').toString('base64')]], 16, 'b');
    const first = materialize(block, extents);
    expect(materialize(block, extents)).toBe(first);
    const otherBase = Buffer.from('ponmlkjihgfedcba');
    expect(materialize(otherBase, extents).toString()).toBe('poXYlkjihgfedcba');
    expect(materialize(block, decodeExtents([[2, Buffer.from('XY').toString('base64')]], 16, 'b'))).toEqual(first);
  });

  it('overlays only the part of each extent inside the slice being read', () => {
    const extents = decodeExtents([[2, Buffer.from('1234').toString('base64')], [12, Buffer.from('89').toString('base64')]], 16, 'b');
    const target = Buffer.from('........');
    // The slice covers block bytes [4, 12) and lands at target offset 0.
    overlayExtents(extents, target, 0, 4, 8);
    expect(target.toString()).toBe('34......');
  });

  it('rejects an extent that leaves its block, or is empty, as corrupt', () => {
    const bad: PatchExtent[][] = [[[15, Buffer.from('ab').toString('base64')]], [[-1, 'YQ==']], [[0, '']]];
    for (const extents of bad) {
      let kind = 'none';
      try {
        decodeExtents(extents, 16, 'block 3');
      } catch (err) {
        kind = isChalkError(err, 'corrupt') ? 'corrupt' : 'other';
      }
      expect(kind).toBe('corrupt');
    }
  });

  it('extentBytes counts decoded bytes, padding included', () => {
    for (const n of [1, 2, 3, 4, 5, 4096]) expect(extentBytes([[0, Buffer.alloc(n, 7).toString('base64')]])).toBe(n);
  });
});

describe('blocksToFold', () => {
  it('folds nothing within the budget', () => {
    expect(blocksToFold([{ ino: 2, index: 0, bytes: 100 }], 100)).toEqual([]);
  });

  it('over the budget, folds the largest first until at most half is left', () => {
    const patched = [
      { ino: 2, index: 0, bytes: 30 },
      { ino: 2, index: 5, bytes: 50 },
      { ino: 3, index: 1, bytes: 40 },
    ];
    expect(blocksToFold(patched, 100).map((p) => [p.ino, p.index])).toEqual([
      [2, 5],
      [3, 1],
    ]);
  });
});
