/*
 * Sorted sets of byte ranges within a block: file-data.ts records which bytes of a dirty
 * block were written since the last commit, so a seal may store just those bytes as a
 * patch (docs/FORMAT.md, "Patches") instead of the whole block.
 */
/** A half-open byte range [start, end). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Adds [start, end) to `ranges` (sorted, disjoint, non-adjacent) and returns the new
 * list, merging what it touches. Pure: `ranges` is not modified.
 */
export function addRange(ranges: readonly ByteRange[], start: number, end: number): ByteRange[] {
  if (end <= start) return [...ranges];
  const merged: ByteRange[] = [];
  let current = { start, end };
  let placed = false;
  for (const range of ranges) {
    if (range.end < current.start) merged.push(range);
    else if (range.start > current.end) {
      if (!placed) {
        merged.push(current);
        placed = true;
      }
      merged.push(range);
    } else current = { start: Math.min(range.start, current.start), end: Math.max(range.end, current.end) };
  }
  if (!placed) merged.push(current);
  return merged;
}

/** Total bytes the ranges cover. */
export function rangeBytes(ranges: readonly ByteRange[]): number {
  return ranges.reduce((sum, r) => sum + r.end - r.start, 0);
}
