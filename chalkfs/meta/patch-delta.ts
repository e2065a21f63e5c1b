/*
 * The change of one patched block's extents between two versions (docs/FORMAT.md, "Delta
 * log"): the ranges the extents cover after, and only the bytes in them that differ from
 * (or were not covered by) the extents before. A SQLite transaction rewrites whole pages
 * but changes a few bytes of each, and a block's extents grow and merge from commit to
 * commit: sending the extents whole would make every delta carry every pending page.
 */
import { ChalkError } from '../util/chalk-error.js';
import type { PatchChange, PatchExtent } from './format.js';

interface Extent {
  offset: number;
  data: Buffer;
}

/**
 * Two changed runs closer than this are sent as one: a run costs about this much in
 * framing (`[offset,"..."]`), and base64 of the bytes between costs 4/3 of them.
 */
const mergeGapBytes = 16;

const decode = (extents: readonly PatchExtent[]): Extent[] => extents.map(([offset, base64]) => ({ offset, data: Buffer.from(base64, 'base64') }));

/**
 * Byte ranges compared at once before looking closer: a SQLite page rewritten with a few
 * bytes changed is mostly equal runs, which `Buffer.compare` skips at memcmp speed; only
 * a differing 16-byte run is looked at byte by byte (a JavaScript loop over every patched
 * byte was 11 % of a writer's profile on small random updates).
 */
const compareChunkBytes = [4096, 256, 16];

/** What turns `before`'s extents (none: undefined) into `after`'s. */
export function diffPatches(before: readonly PatchExtent[] | undefined, after: readonly PatchExtent[]): PatchChange {
  const olds = decode(before ?? []);
  const ranges: [number, number][] = [];
  const writes: PatchExtent[] = [];
  let j = 0;
  for (const extent of decode(after)) {
    const start = extent.offset;
    const end = start + extent.data.length;
    ranges.push([start, end]);
    let runStart = -1;
    let runEnd = -1;
    const flush = () => {
      if (runStart >= 0) writes.push([runStart, extent.data.subarray(runStart - start, runEnd - start).toString('base64')]);
    };
    // Bytes [from, to) differ: they join the open run if it ends close enough, else start one.
    const differ = (from: number, to: number) => {
      if (runStart >= 0 && from - runEnd < mergeGapBytes) {
        runEnd = to;
        return;
      }
      flush();
      runStart = from;
      runEnd = to;
    };
    // Positions [from, to) lie in `old`: only the bytes that changed differ.
    const compare = (old: Extent, from: number, to: number, level: number) => {
      const chunk = compareChunkBytes[level];
      if (chunk === undefined) {
        for (let p = from; p < to; p++) if (old.data[p - old.offset] !== extent.data[p - start]) differ(p, p + 1);
        return;
      }
      for (let p = from; p < to; p += chunk) {
        const q = Math.min(p + chunk, to);
        if (extent.data.compare(old.data, p - old.offset, q - old.offset, p - start, q - start) !== 0) compare(old, p, q, level + 1);
      }
    };
    let p = start;
    while (p < end) {
      while (j < olds.length && olds[j]!.offset + olds[j]!.data.length <= p) j++;
      const old = olds[j];
      if (old === undefined || old.offset >= end) {
        differ(p, end);
        break;
      }
      if (old.offset > p) {
        differ(p, old.offset); // not covered before
        p = old.offset;
      }
      const to = Math.min(end, old.offset + old.data.length);
      compare(old, p, to, 0);
      p = to;
    }
    flush();
  }
  return { ranges, writes };
}

/** `before`'s extents changed by `change`; throws `corrupt` when the change does not fit them. */
export function applyPatchChange(before: readonly PatchExtent[] | undefined, change: PatchChange, where: string): PatchExtent[] {
  const bad = (why: string) => new ChalkError('corrupt', `${where}: ${why}`);
  if (!Array.isArray(change?.ranges) || !Array.isArray(change.writes)) throw bad('malformed patch change');
  const olds = decode(before ?? []);
  const writes = decode(change.writes);
  const out: PatchExtent[] = [];
  let w = 0;
  let previousEnd = -1;
  for (const range of change.ranges) {
    const [start, end] = range;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start <= previousEnd || end <= start) throw bad('patch ranges out of order');
    previousEnd = end;
    const data = Buffer.alloc(end - start);
    const covered = new Uint8Array(end - start);
    for (const old of olds) {
      const from = Math.max(old.offset, start);
      const to = Math.min(old.offset + old.data.length, end);
      if (from >= to) continue;
      old.data.copy(data, from - start, from - old.offset, to - old.offset);
      covered.fill(1, from - start, to - start);
    }
    for (; w < writes.length && writes[w]!.offset < end; w++) {
      const write = writes[w]!;
      if (write.offset < start || write.offset + write.data.length > end || write.data.length === 0) throw bad('a patch write lies outside its range');
      write.data.copy(data, write.offset - start);
      covered.fill(1, write.offset - start, write.offset - start + write.data.length);
    }
    if (covered.includes(0)) throw bad('a patch range holds bytes neither the parent nor the delta gives');
    out.push([start, data.toString('base64')]);
  }
  if (w !== writes.length) throw bad('a patch write lies outside every range');
  return out;
}
