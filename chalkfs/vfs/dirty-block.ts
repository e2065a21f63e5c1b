/*
 * The shapes FileData keeps a write in: the part of a write inside one block, and a
 * block written since the last commit. Kept apart so file-data.ts holds behaviour only.
 */
import type { ByteRange } from './byte-ranges.js';

/** Part of a write inside one block. */
export interface BlockSlice {
  readonly index: number;
  readonly blockOffset: number;
  readonly data: Buffer;
  /** A view of a write's private bytes: a whole block of them may become the dirty block itself. */
  readonly owned?: boolean;
}

export interface DirtyBlock {
  /**
   * The block's bytes from its start; past its length, zeros. Whole for a block written
   * whole or loaded whole; a partial block (a file's last, a SQLite journal) holds what
   * it has, and grows as writes reach further (`capacityFor`).
   */
  buffer: Buffer;
  /** What was written since the last commit: a seal may store just these as a patch. */
  written: ByteRange[];
  /**
   * Set when a write filled the block (every byte written, inside the file): its hash,
   * which the seal uses instead of hashing again. From then on an upload may be reading
   * `buffer`, so it is never changed in place: a later write copies it first.
   */
  filledHash?: string;
  /**
   * A write filled it once since the last seal: it is not offered for upload again. A
   * SQLite file rewrites pages inside full blocks; offering the block after each such
   * write hashed and uploaded a whole block per page written.
   */
  offered?: boolean;
}

/** A copy in new memory (allocUnsafe and copy: Buffer.from of 1 MiB took 2-3x as long here). */
export function copyOf(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafe(bytes.length);
  bytes.copy(copy);
  return copy;
}

/** Partial blocks' buffers grow in steps of this. */
const GROWTH_STEP_BYTES = 64 * 1024;

/**
 * The buffer size for the first `bytes` of a block. A transaction of a small database
 * makes two partial blocks dirty (the database's last, the new journal's first), and a
 * whole 1 MiB buffer for each, zeroed, was 9 % of a writer's CPU in a loop of one-row
 * commits, with one major GC every 16 commits (docs/BENCHMARKS.md, part 6).
 */
export function capacityFor(bytes: number, blockSizeBytes: number): number {
  return Math.min(blockSizeBytes, Math.ceil(bytes / GROWTH_STEP_BYTES) * GROWTH_STEP_BYTES);
}

/** The first `length` bytes of a block held in `bytes`: a view when it holds them, else a copy padded with zeros. */
export function zeroPadded(bytes: Buffer, length: number): Buffer {
  if (bytes.length >= length) return bytes.subarray(0, length);
  const padded = Buffer.alloc(length);
  bytes.copy(padded);
  return padded;
}

/**
 * A partial block's buffer grown to hold its first `end` bytes, for a write starting at
 * `start` (the same buffer when it holds them). A write that continues the buffer past
 * its end takes the whole block at once: a file growing page by page (a bulk insert)
 * would otherwise copy its bytes at each step (measured: bulk insert 11-14 % slower
 * when every growth doubled).
 */
export function grownFor(buffer: Buffer, start: number, end: number, blockSizeBytes: number): Buffer {
  const held = buffer.length;
  if (held >= end) return buffer;
  const appends = held > 0 && start <= held;
  return zeroPadded(buffer, appends ? blockSizeBytes : capacityFor(Math.max(end, 2 * held), blockSizeBytes));
}
