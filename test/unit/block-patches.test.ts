// vfs/block-patches.ts: encoding written ranges as patch extents, keeping only the chunks
// that differ from the base, materializing them over a block, and rejecting extents that
// are corrupt.
import { describe, expect, it } from 'vitest';
import { blocksToFold, CHANGE_CHUNK_BYTES, changedRanges, decodeExtents, encodeExtents, extentBytes, materialize, overlayExtents } from '../../chalkfs/vfs/block-patches.js';
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

  it('overlays the extents a slice touches among many, found by bisection', () => {
    const many: PatchExtent[] = Array.from({ length: 200 }, (_, i) => [i * 80 + 10, Buffer.alloc(20, i + 1).toString('base64')]);
    const extents = decodeExtents(many, 16_384, 'block 0');
    const target = Buffer.alloc(100);
    // Bytes 7,990-8,090: the end of extent 99 (7,930-7,950 is before), extent 100 (8,010-8,030), extent 101 (8,090-...) not reached.
    overlayExtents(extents, target, 0, 7_990, 100);
    const expected = Buffer.alloc(100);
    expected.fill(101, 8_010 - 7_990, 8_030 - 7_990);
    expect(target).toEqual(expected);
    const head = Buffer.alloc(30);
    overlayExtents(extents, head, 0, 15, 30);
    expect(head).toEqual(Buffer.concat([Buffer.alloc(15, 1), Buffer.alloc(15)]));
  });

  it('overlays only the part of each extent inside the slice being read', () => {
    const extents = decodeExtents([[2, Buffer.from('1234').toString('base64')], [12, Buffer.from('89').toString('base64')]], 16, 'b');
    const target = Buffer.from('........');
    // The slice covers block bytes [4, 12) and lands at target offset 0.
    overlayExtents(extents, target, 0, 4, 8);
    expect(target.toString()).toBe('34......');
  });

  it('rejects an extent that leaves its block, is empty, or overlaps the one before, as corrupt', () => {
    const bad: PatchExtent[][] = [
      [[15, Buffer.from('ab').toString('base64')]],
      [[-1, 'YQ==']],
      [[0, '']],
      [
        [0, Buffer.from('abcd').toString('base64')],
        [3, 'YQ=='],
      ],
    ];
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

describe('changedRanges', () => {
  const c = CHANGE_CHUNK_BYTES;
  const base = Buffer.alloc(8 * c, 0x11);

  it('keeps the aligned chunks of the ranges that differ from the base, adjacent ones merged', () => {
    const content = Buffer.from(base);
    content[c + 5] = 0x22; // chunk 1
    content[3 * c] = 0x22; // chunk 3
    content[4 * c + c - 1] = 0x22; // chunk 4: adjacent to 3
    // A page rewrite of chunks 0-5: only 1 and 3-4 differ.
    expect(changedRanges(content, base, [{ start: 0, end: 6 * c }])).toEqual([
      { start: c, end: 2 * c },
      { start: 3 * c, end: 5 * c },
    ]);
    // A change outside the ranges is not looked at; ranges that start mid-chunk keep their edges.
    content[7 * c] = 0x22;
    expect(changedRanges(content, base, [{ start: c + 3, end: c + 10 }])).toEqual([{ start: c + 3, end: c + 10 }]);
    expect(changedRanges(content, base, [{ start: 0, end: c }])).toEqual([]);
  });

  it('reads bytes past a short base, and a hole, as zeros', () => {
    const short = base.subarray(0, 2 * c + 10);
    const content = Buffer.alloc(4 * c);
    short.copy(content);
    // Past the base: zeros equal, so only the chunk where the base ends and content does not differ.
    content[3 * c + 1] = 1;
    expect(changedRanges(content, short, [{ start: 0, end: 4 * c }])).toEqual([{ start: 3 * c, end: 4 * c }]);
    // The chunk the base ends in compares its base part and its zero part.
    content[2 * c + 20] = 7;
    expect(changedRanges(content, short, [{ start: 2 * c, end: 3 * c }])).toEqual([{ start: 2 * c, end: 3 * c }]);
    expect(changedRanges(Buffer.alloc(2 * c), null, [{ start: 0, end: 2 * c }])).toEqual([]);
    expect(changedRanges(content, null, [{ start: 0, end: c }])).toEqual([{ start: 0, end: c }]);
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
