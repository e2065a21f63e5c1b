/*
 * Block patches (docs/FORMAT.md, "Patches"): a small change to a committed block is
 * stored inline in the version as extents over the block's unchanged base, so a small
 * SQLite transaction is one store round trip (the version PUT) instead of a whole-block
 * upload followed by it. These are the pure parts: decoding, overlaying, sizing, and
 * which blocks to fold back into whole blocks when a version carries too much inline.
 */
import { ChalkError } from '../util/chalk-error.js';
import type { PatchExtent } from '../meta/format.js';
import type { ByteRange } from './byte-ranges.js';

export interface DecodedExtent {
  offset: number;
  data: Buffer;
}

const decoded = new WeakMap<readonly PatchExtent[], DecodedExtent[]>();

/** The extents of a block, decoded once per extents array and checked against the block size. */
export function decodeExtents(extents: readonly PatchExtent[], blockSizeBytes: number, where: string): DecodedExtent[] {
  let result = decoded.get(extents);
  if (result) return result;
  result = extents.map(([offset, base64]) => {
    const data = Buffer.from(base64, 'base64');
    if (!Number.isSafeInteger(offset) || offset < 0 || data.length === 0 || offset + data.length > blockSizeBytes) {
      throw new ChalkError('corrupt', `${where}: a patch extent at ${offset} of ${data.length} bytes does not fit a block of ${blockSizeBytes}`);
    }
    return { offset, data };
  });
  decoded.set(extents, result);
  return result;
}

/** Encodes the bytes of `ranges` of `block` as extents. */
export function encodeExtents(block: Buffer, ranges: readonly ByteRange[]): PatchExtent[] {
  return ranges.map((r) => [r.start, block.subarray(r.start, r.end).toString('base64')]);
}

/** The byte ranges existing extents cover. */
export function extentRanges(extents: readonly PatchExtent[], blockSizeBytes: number, where: string): ByteRange[] {
  return decodeExtents(extents, blockSizeBytes, where).map((e) => ({ start: e.offset, end: e.offset + e.data.length }));
}

/**
 * Copies the patched bytes that fall inside [blockOffset, blockOffset + length) of the
 * block into `target` at `targetOffset` (the base's bytes are already there).
 */
export function overlayExtents(extents: readonly DecodedExtent[], target: Buffer, targetOffset: number, blockOffset: number, length: number): void {
  const end = blockOffset + length;
  for (const extent of extents) {
    const from = Math.max(extent.offset, blockOffset);
    const to = Math.min(extent.offset + extent.data.length, end);
    if (from < to) extent.data.copy(target, targetOffset + from - blockOffset, from - extent.offset, to - extent.offset);
  }
}

const materialized = new WeakMap<readonly DecodedExtent[], { base: Buffer | null; block: Buffer }>();

/**
 * A block's full content: its base (null: zeros) with the extents applied. Built once
 * per (extents, base) pair and shared: the SQLite checks peek a patched block's first
 * bytes at every write of a WAL and every open, and building it each time cost a 1 MiB
 * allocation and copy per 4 KiB frame. Like a base, the result must not be written to.
 */
export function materialize(base: Buffer | null, extents: readonly DecodedExtent[]): Buffer {
  const known = materialized.get(extents);
  if (known && known.base === base) return known.block;
  const length = Math.max(base?.length ?? 0, ...extents.map((e) => e.offset + e.data.length));
  const block = Buffer.alloc(length);
  base?.copy(block);
  for (const e of extents) e.data.copy(block, e.offset);
  materialized.set(extents, { base, block });
  return block;
}

/** Patch bytes of one block (decoded size, which is what the budget counts). */
export function extentBytes(extents: readonly PatchExtent[]): number {
  // base64: 4 characters per 3 bytes, minus padding.
  return extents.reduce((sum, [, b64]) => sum + Math.floor((b64.length * 3) / 4) - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0), 0);
}

export interface PatchedBlock {
  ino: number;
  index: number;
  bytes: number;
}

/**
 * When a namespace carries more than `budgetBytes` of patches, the blocks to fold back
 * into whole blocks: the largest first, until at most half the budget is left, so that
 * folding (a whole-block upload) happens once per many small commits, not on each.
 */
export function blocksToFold(patched: readonly PatchedBlock[], budgetBytes: number): PatchedBlock[] {
  let total = patched.reduce((sum, p) => sum + p.bytes, 0);
  if (total <= budgetBytes) return [];
  const fold: PatchedBlock[] = [];
  for (const p of [...patched].sort((a, b) => b.bytes - a.bytes || a.ino - b.ino || a.index - b.index)) {
    if (total <= budgetBytes / 2) break;
    fold.push(p);
    total -= p.bytes;
  }
  return fold;
}
