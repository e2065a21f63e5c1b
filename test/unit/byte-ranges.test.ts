// vfs/byte-ranges.ts: adding ranges keeps them sorted and merged, and covers exactly their
// union (property test).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addRange, rangeBytes, type ByteRange } from '../../chalkfs/vfs/byte-ranges.js';

describe('addRange', () => {
  it('merges overlapping and adjacent ranges and keeps the rest sorted', () => {
    let r: ByteRange[] = [];
    r = addRange(r, 10, 20);
    r = addRange(r, 30, 40);
    expect(r).toEqual([{ start: 10, end: 20 }, { start: 30, end: 40 }]);
    expect(addRange(r, 20, 30)).toEqual([{ start: 10, end: 40 }]);
    expect(addRange(r, 0, 5)).toEqual([{ start: 0, end: 5 }, { start: 10, end: 20 }, { start: 30, end: 40 }]);
    expect(addRange(r, 15, 35)).toEqual([{ start: 10, end: 40 }]);
    expect(addRange(r, 50, 50)).toEqual(r);
    expect(r).toEqual([{ start: 10, end: 20 }, { start: 30, end: 40 }]);
  });

  it('covers exactly the union of what was added (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(200), fc.nat(50)), { maxLength: 30 }), (adds) => {
        const covered = new Set<number>();
        let ranges: ByteRange[] = [];
        for (const [start, len] of adds) {
          ranges = addRange(ranges, start, start + len);
          for (let i = start; i < start + len; i++) covered.add(i);
        }
        ranges.forEach((r, i) => {
          if (r.end <= r.start) throw new Error('empty range kept');
          if (i > 0 && r.start <= ranges[i - 1]!.end) throw new Error('ranges overlap, touch or are unsorted');
        });
        expect(rangeBytes(ranges)).toBe(covered.size);
        for (const b of covered) expect(ranges.some((r) => r.start <= b && b < r.end)).toBe(true);
      }),
    );
  });
});
