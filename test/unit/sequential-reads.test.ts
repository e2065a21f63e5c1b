// vfs/sequential-reads.ts: which read patterns count as sequential (and start readahead)
// and which, like a SQLite point query, do not.
import { describe, expect, it } from 'vitest';
import { SequentialReads } from '../../chalkfs/vfs/sequential-reads.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('SequentialReads', () => {
  it('a SQLite point query (header page, root page, pages far apart) is never sequential', () => {
    const reads = new SequentialReads(4 * MiB, 2 * MiB);
    // Page 1 and the root page (page 2) with the kernel's initial readahead, then an
    // interior and a leaf page tens of MiB away.
    expect(reads.observe(0, 16 * KiB)).toBe(false);
    expect(reads.observe(16 * KiB, 32 * KiB)).toBe(false);
    expect(reads.observe(60 * MiB, 16 * KiB)).toBe(false);
    expect(reads.observe(9 * MiB, 16 * KiB)).toBe(false);
    expect(reads.observe(9 * MiB + 16 * KiB, 16 * KiB)).toBe(false);
  });

  it('a scan becomes sequential after the threshold, even with reads out of order inside the window', () => {
    const reads = new SequentialReads(4 * MiB, 2 * MiB);
    const chunk = 128 * KiB;
    const seen: boolean[] = [];
    // The kernel's readahead: 128 KiB reads, each group of four arriving in reverse order.
    for (let group = 0; group < 8; group++) {
      for (const i of [3, 2, 1, 0]) seen.push(reads.observe((group * 4 + i) * chunk, chunk));
    }
    // 2 MiB is 16 reads of 128 KiB: sequential from the 16th read on, never before.
    expect(seen.indexOf(true)).toBe(15);
    expect(seen.slice(15).every(Boolean)).toBe(true);
    expect(reads.nextOffset).toBe(32 * chunk);
  });

  it('two scans of one file through one shared handle keep their own runs; a fifth stream evicts the oldest', () => {
    const reads = new SequentialReads(4 * MiB, 1 * MiB);
    const chunk = 128 * KiB;
    let a = 0;
    let b = 50 * MiB;
    const seenA: boolean[] = [];
    const seenB: boolean[] = [];
    for (let i = 0; i < 12; i++) {
      seenA.push(reads.observe(a, chunk));
      a += chunk;
      seenB.push(reads.observe(b, chunk));
      b += chunk;
    }
    // 1 MiB is 8 reads of 128 KiB: each scan is sequential from its 8th read on.
    expect(seenA.indexOf(true)).toBe(7);
    expect(seenB.indexOf(true)).toBe(7);
    expect(reads.nextOffset).toBe(b);
    // Four other far-apart reads push both scans' runs out (four runs at most).
    for (const at of [200, 300, 400, 500]) reads.observe(at * MiB, 4 * KiB);
    expect(reads.observe(a, chunk)).toBe(false);
  });

  it('a jump outside the window starts a new run; end of file (0 bytes) prefetches nothing', () => {
    const reads = new SequentialReads(4 * MiB, 1 * MiB);
    for (let i = 0; i < 8; i++) reads.observe(i * 128 * KiB, 128 * KiB);
    expect(reads.observe(1 * MiB, 128 * KiB)).toBe(true);
    expect(reads.observe(100 * MiB, 128 * KiB)).toBe(false);
    expect(reads.nextOffset).toBe(100 * MiB + 128 * KiB);
    expect(reads.observe(100 * MiB + 128 * KiB, 0)).toBe(false);
  });
});
