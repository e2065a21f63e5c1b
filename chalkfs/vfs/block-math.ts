/*
 * Arithmetic of fixed-size blocks: which blocks a byte range touches, where each piece
 * falls inside its block and inside the caller's buffer, how much of the last block a file
 * fills, and the length of a read answered in pieces. Pure, so the caches, the namespace
 * and file data share one tested version.
 */
/** A piece of a byte range that falls inside one block. */
export interface BlockSlice {
  index: number;
  /** Offset inside the block. */
  blockOffset: number;
  /** Offset inside the caller's buffer. */
  bufferOffset: number;
  length: number;
}

/** Splits [offset, offset+length) into per-block slices. */
export function blockSlices(offset: number, length: number, blockSizeBytes: number): BlockSlice[] {
  const slices: BlockSlice[] = [];
  let position = offset;
  const end = offset + length;
  while (position < end) {
    const index = Math.floor(position / blockSizeBytes);
    const blockOffset = position - index * blockSizeBytes;
    const sliceLength = Math.min(blockSizeBytes - blockOffset, end - position);
    slices.push({ index, blockOffset, bufferOffset: position - offset, length: sliceLength });
    position += sliceLength;
  }
  return slices;
}

/** Number of blocks a file of `sizeBytes` spans. */
export function blockCount(sizeBytes: number, blockSizeBytes: number): number {
  return Math.ceil(sizeBytes / blockSizeBytes);
}

/** How many bytes of block `index` lie inside a file of `sizeBytes` (0 past the end). */
export function validBytesInBlock(index: number, sizeBytes: number, blockSizeBytes: number): number {
  return Math.max(0, Math.min(blockSizeBytes, sizeBytes - index * blockSizeBytes));
}

/** The bytes in `parts` together (a read answered with several views). */
export function totalLength(parts: readonly Uint8Array[]): number {
  let total = 0;
  for (const part of parts) total += part.length;
  return total;
}
