// vfs/block-math.ts: slicing byte ranges into blocks, with a property test that the slices
// tile the range exactly.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { blockCount, blockSlices, validBytesInBlock } from '../../chalkfs/vfs/block-math.js';

describe('blockSlices', () => {
  it('splits a range crossing two block boundaries into three slices', () => {
    expect(blockSlices(3000, 6000, 4096)).toEqual([
      { index: 0, blockOffset: 3000, bufferOffset: 0, length: 1096 },
      { index: 1, blockOffset: 0, bufferOffset: 1096, length: 4096 },
      { index: 2, blockOffset: 0, bufferOffset: 5192, length: 808 },
    ]);
  });

  it('returns nothing for an empty range and one slice for an exact block', () => {
    expect(blockSlices(100, 0, 4096)).toEqual([]);
    expect(blockSlices(8192, 4096, 4096)).toEqual([{ index: 2, blockOffset: 0, bufferOffset: 0, length: 4096 }]);
  });

  it('tiles the range exactly, each slice inside one block (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 << 24 }), fc.integer({ min: 0, max: 1 << 16 }), fc.integer({ min: 6, max: 16 }), (offset, length, shift) => {
        const blockSize = 1 << shift;
        const slices = blockSlices(offset, length, blockSize);
        let covered = 0;
        slices.forEach((s, i) => {
          if (s.bufferOffset !== covered) throw new Error(`gap or overlap at slice ${i}`);
          if (s.length <= 0 || s.blockOffset < 0 || s.blockOffset + s.length > blockSize) throw new Error(`slice ${i} leaves its block`);
          if (s.index * blockSize + s.blockOffset !== offset + s.bufferOffset) throw new Error(`slice ${i} is misplaced`);
          if (i > 0 && s.index !== slices[i - 1]!.index + 1) throw new Error(`slice ${i} skips a block`);
          covered += s.length;
        });
        expect(covered).toBe(length);
        expect(slices.length).toBe(length === 0 ? 0 : Math.floor((offset + length - 1) / blockSize) - Math.floor(offset / blockSize) + 1);
      }),
    );
  });
});

describe('blockCount and validBytesInBlock', () => {
  it('counts blocks of a file', () => {
    expect(blockCount(0, 4096)).toBe(0);
    expect(blockCount(1, 4096)).toBe(1);
    expect(blockCount(4096, 4096)).toBe(1);
    expect(blockCount(4097, 4096)).toBe(2);
  });

  it('gives the valid bytes of full, partial and past-the-end blocks', () => {
    expect(validBytesInBlock(0, 10_000, 4096)).toBe(4096);
    expect(validBytesInBlock(2, 10_000, 4096)).toBe(10_000 - 8192);
    expect(validBytesInBlock(3, 10_000, 4096)).toBe(0);
    expect(validBytesInBlock(5, 10_000, 4096)).toBe(0);
  });

  it('valid bytes over all blocks sum to the file size (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 << 22 }), fc.integer({ min: 8, max: 16 }), (size, shift) => {
        const bs = 1 << shift;
        const count = blockCount(size, bs);
        let sum = 0;
        for (let i = 0; i < count; i++) {
          const v = validBytesInBlock(i, size, bs);
          if (v <= 0) throw new Error(`block ${i} of ${count} has no valid bytes`);
          sum += v;
        }
        expect(sum).toBe(size);
        expect(validBytesInBlock(count, size, bs)).toBe(0);
      }),
    );
  });
});
