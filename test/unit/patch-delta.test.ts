// diffPatches (meta/patch-delta.ts) compares extents in chunks before looking at bytes.
// Its answer must be exactly what a byte-by-byte comparison gives (the delta format is
// a contract, and a reader's applyPatchChange must rebuild the extents): checked here
// against such a comparison, written plainly, on random extents and random edits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PatchChange, PatchExtent } from '../../chalkfs/meta/format.js';
import { applyPatchChange, diffPatches } from '../../chalkfs/meta/patch-delta.js';

const blockBytes = 64 * 1024;
const mergeGapBytes = 16;

/** The plain byte loop: every position of `after` that `before` does not hold identically. */
function byteByByte(before: readonly PatchExtent[], after: readonly PatchExtent[]): PatchChange {
  const old = new Map<number, number>();
  for (const [offset, b64] of before) Buffer.from(b64, 'base64').forEach((byte, i) => old.set(offset + i, byte));
  const ranges: [number, number][] = [];
  const writes: PatchExtent[] = [];
  for (const [start, b64] of after) {
    const data = Buffer.from(b64, 'base64');
    ranges.push([start, start + data.length]);
    let run: [number, number] | undefined;
    const flush = () => run && writes.push([run[0], data.subarray(run[0] - start, run[1] - start).toString('base64')]);
    for (let p = start; p < start + data.length; p++) {
      if (old.get(p) === data[p - start]) continue;
      if (run && p - run[1] < mergeGapBytes) run[1] = p + 1;
      else {
        flush();
        run = [p, p + 1];
      }
    }
    flush();
  }
  return { ranges, writes };
}

/** Extents cut from `block` over the union of the [offset, length] spans (merged, as a block's ranges are). */
function extentsOf(block: Buffer, spans: [number, number][]): PatchExtent[] {
  const merged: [number, number][] = [];
  for (const [offset, length] of [...spans].sort((a, b) => a[0] - b[0])) {
    const end = Math.min(offset + length, blockBytes);
    const last = merged.at(-1);
    if (last && offset <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([offset, end]);
  }
  return merged.map(([from, to]) => [from, block.subarray(from, to).toString('base64')]);
}

const span = fc.tuple(fc.integer({ min: 0, max: blockBytes - 1 }), fc.integer({ min: 1, max: 12_000 }));
const edit = fc.tuple(fc.integer({ min: 0, max: blockBytes - 1 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 255 }));

describe('diffPatches', () => {
  it('gives exactly the byte-by-byte answer, and applying it rebuilds the extents', () => {
    fc.assert(
      fc.property(fc.array(span, { maxLength: 6 }), fc.array(span, { minLength: 1, maxLength: 6 }), fc.array(edit, { maxLength: 30 }), (beforeSpans, afterSpans, edits) => {
        const base = Buffer.alloc(blockBytes);
        for (let i = 0; i < blockBytes; i++) base[i] = (i * 31) & 0xff;
        const changed = Buffer.from(base);
        for (const [offset, length, value] of edits) changed.fill(value, offset, Math.min(offset + length, blockBytes));
        // After the commit, the block's extents cover what they covered plus what was written.
        const before = extentsOf(base, beforeSpans);
        const after = extentsOf(changed, [...beforeSpans, ...afterSpans]);
        const change = diffPatches(before, after);
        expect(change).toEqual(byteByByte(before, after));
        expect(applyPatchChange(before, change, 'test')).toEqual(after);
      }),
      { numRuns: 300 },
    );
  });

  it('finds a single changed byte inside a large equal run, and nothing when all is equal', () => {
    const block = Buffer.alloc(blockBytes, 7);
    const before: PatchExtent[] = [[0, block.toString('base64')]];
    expect(diffPatches(before, before).writes).toEqual([]);
    const changed = Buffer.from(block);
    changed[40_000] = 8;
    const after: PatchExtent[] = [[0, changed.toString('base64')]];
    expect(diffPatches(before, after)).toEqual({ ranges: [[0, blockBytes]], writes: [[40_000, Buffer.from([8]).toString('base64')]] });
  });
});
