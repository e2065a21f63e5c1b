/*
 * File contents of one mount: committed blocks (by hash, through the block cache, with
 * any inline patches over them), dirty blocks written since the last commit (per inode,
 * with the ranges written; a partial block's buffer holds its first bytes only:
 * dirty-block.ts), and blocks hashed by a commit whose upload is not yet confirmed.
 * Reads see, in order: dirty, pending, cached/stored (plus patches). Never touches FUSE
 * or S3 directly, and never changes an inode: what a write, truncation or seal means for
 * the inode is applied by the caller through Namespace.
 */
import type { BlockCache, BlockFetcher } from '../cache/block-cache.js';
import { blockHash, type FileInode, type PatchExtent } from '../meta/format.js';
import type { FileSeal, SealedBlock } from '../meta/namespace.js';
import { blockCount, blockSlices, validBytesInBlock } from './block-math.js';
import { addRange, rangeBytes, type ByteRange } from './byte-ranges.js';
import { decodeExtents, encodeExtents, extentRanges, materialize, overlayExtents } from './block-patches.js';
import { capacityFor, copyOf, grownFor, zeroPadded, type BlockSlice, type DirtyBlock } from './dirty-block.js';

/** A block that a commit must upload before its version can be written. */
export interface PendingBlock {
  hash: string;
  data: Buffer;
}

export class FileData {
  private readonly dirty = new Map<number, Map<number, DirtyBlock>>();
  private readonly pending = new Map<string, Buffer>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly zeroBlock: Buffer;
  /** Writes' memory kept as dirty blocks: a caller passing it again gets it copied, never two blocks on one buffer. */
  private readonly adopted = new WeakSet<ArrayBufferLike>();
  dirtyBytes = 0;
  /** Bytes of `pending`: sealed by a commit, not yet confirmed in the store. */
  private pendingBytes = 0;

  /**
   * @param maxPatchBytesPerBlock a sealed block whose changes since its committed base
   *   (earlier patches included) cover at most this many bytes is stored as a patch
   *   instead of a new block; 0 never patches.
   */
  constructor(
    readonly blockSizeBytes: number,
    private readonly cache: BlockCache,
    private readonly fetcher: BlockFetcher,
    private readonly maxPatchBytesPerBlock = 0,
  ) {
    this.zeroBlock = Buffer.alloc(blockSizeBytes);
  }

  /** Reads up to `length` bytes at `offset` into `target`; returns the count (0 at EOF). */
  async read(ino: number, inode: FileInode, target: Buffer, length: number, offset: number): Promise<number> {
    const count = Math.max(0, Math.min(length, inode.sizeBytes - offset));
    if (count === 0) return 0;
    const slices = blockSlices(offset, count, this.blockSizeBytes);
    // Each block's source is chosen in this synchronous step (dirty buffer, or base plus
    // the patches of this moment), so a commit during the await cannot mix two states.
    const sources = slices.map((s) => {
      const dirty = this.dirty.get(ino)?.get(s.index);
      return dirty ? { content: dirty.buffer, extents: undefined } : { content: this.baseContent(inode, s.index), extents: this.extentsOf(inode, s.index) };
    });
    const contents = await Promise.all(sources.map((source) => source.content));
    slices.forEach((slice, i) => {
      const content = contents[i];
      const available = content ? Math.max(0, Math.min(slice.length, content.length - slice.blockOffset)) : 0;
      if (available > 0) content!.copy(target, slice.bufferOffset, slice.blockOffset, slice.blockOffset + available);
      if (available < slice.length) target.fill(0, slice.bufferOffset + available, slice.bufferOffset + slice.length);
      const extents = sources[i]!.extents;
      if (extents) overlayExtents(extents, target, slice.bufferOffset, slice.blockOffset, slice.length);
    });
    return count;
  }

  /**
   * The bytes at `offset`, in order: views of the blocks themselves when every block the
   * range touches is committed with no patches, or a hole (blocks are immutable once
   * named: no copy, no new buffer), else one new buffer filled by read(). Views must not
   * be written to.
   */
  async readBytes(ino: number, inode: FileInode, length: number, offset: number): Promise<Buffer[]> {
    const count = Math.max(0, Math.min(length, inode.sizeBytes - offset));
    const slices = blockSlices(offset, count, this.blockSizeBytes);
    if (count > 0 && slices.every((s) => !this.dirty.get(ino)?.has(s.index) && !inode.patches?.[s.index])) {
      // The sources are chosen in this synchronous step, as in read().
      const contents = await Promise.all(slices.map((s) => this.baseContent(inode, s.index)));
      const views = slices.map((s, i) => {
        const content = contents[i] === null ? this.zeroBlock : contents[i]!;
        return content.length >= s.blockOffset + s.length ? content.subarray(s.blockOffset, s.blockOffset + s.length) : undefined;
      });
      if (views.every((v) => v !== undefined)) return views as Buffer[];
    }
    const target = Buffer.allocUnsafe(length);
    return [target.subarray(0, await this.read(ino, inode, target, length, offset))];
  }

  /**
   * Writes `data` (a private copy the caller never changes again: a whole block of it is
   * kept as that dirty block, not copied) at `offset`. The whole write lands
   * in one synchronous step, after every block it touches is in memory, and `landed`
   * runs in that step: the caller grows the file there (Namespace.extendTo). A commit
   * therefore seals all of a write or none of it; a seal between the two once sealed the
   * part past the old size away under that size, and the file then grew over zeros.
   */
  async write(ino: number, inode: FileInode, data: Buffer, offset: number, landed: () => void): Promise<PendingBlock[]> {
    const slices = blockSlices(offset, data.length, this.blockSizeBytes).map((s) => ({ index: s.index, blockOffset: s.blockOffset, data: data.subarray(s.bufferOffset, s.bufferOffset + s.length), owned: true }));
    await this.land(ino, inode, slices, landed);
    return this.filledBy(ino, inode, slices);
  }

  /**
   * The blocks this write filled (every byte written since the last commit, the file
   * reaching past their end), hashed once: the caller may upload them before the commit
   * that will name them. Each block is offered once between seals; a block of zeros is
   * left to the seal (it becomes a hole).
   */
  private filledBy(ino: number, inode: FileInode, slices: readonly BlockSlice[]): PendingBlock[] {
    const filled: PendingBlock[] = [];
    for (const { index } of slices) {
      const block = this.dirty.get(ino)?.get(index);
      if (!block || block.offered || inode.sizeBytes < (index + 1) * this.blockSizeBytes) continue;
      const [range] = block.written;
      if (block.written.length !== 1 || range!.start !== 0 || range!.end !== this.blockSizeBytes) continue;
      if (block.buffer.equals(this.zeroBlock)) continue;
      block.filledHash = blockHash(block.buffer);
      block.offered = true;
      filled.push({ hash: block.filledHash, data: block.buffer });
    }
    return filled;
  }

  /** Hashes of the blocks writes filled that no seal has taken yet (their uploads may be done already). */
  filledHashes(): Set<string> {
    const hashes = new Set<string>();
    for (const blocks of this.dirty.values()) for (const block of blocks.values()) if (block.filledHash) hashes.add(block.filledHash);
    return hashes;
  }

  /**
   * Follows a truncation the caller has just made (Namespace.setSize, in the same
   * synchronous step) from `oldSizeBytes` to the inode's size: forgets the dirty blocks
   * past the new end, and zeroes the cut-off part of the last block.
   */
  async truncated(ino: number, inode: FileInode, oldSizeBytes: number): Promise<void> {
    const sizeBytes = inode.sizeBytes;
    if (sizeBytes >= oldSizeBytes) return;
    const keepBlocks = blockCount(sizeBytes, this.blockSizeBytes);
    const dirty = this.dirty.get(ino);
    for (const index of [...(dirty?.keys() ?? [])]) {
      if (index >= keepBlocks) {
        dirty!.delete(index);
        this.dirtyBytes -= this.blockSizeBytes;
      }
    }
    const tail = sizeBytes % this.blockSizeBytes;
    const lastIndex = Math.floor(sizeBytes / this.blockSizeBytes);
    // Zero the cut-off part of the last block, so growing the file again reads zeros.
    if (tail !== 0 && (dirty?.has(lastIndex) || inode.blocks[lastIndex] || inode.patches?.[lastIndex])) {
      await this.land(ino, inode, [{ index: lastIndex, blockOffset: tail, data: this.zeroBlock.subarray(0, this.blockSizeBytes - tail) }]);
    }
  }

  /** A block's bytes (possibly shorter than a block: the rest is zeros), or null for a hole. */
  async blockContent(ino: number, inode: FileInode, index: number): Promise<Buffer | null> {
    const dirty = this.dirty.get(ino)?.get(index);
    if (dirty) return dirty.buffer;
    return this.withPatches(inode, index, await this.baseContent(inode, index));
  }

  /** Like blockContent without I/O: undefined when the block is not in memory. */
  peekBlock(ino: number, inode: FileInode, index: number): Buffer | null | undefined {
    const dirty = this.dirty.get(ino)?.get(index);
    if (dirty) return dirty.buffer;
    const hash = inode.blocks[index];
    const base = hash ? (this.pending.get(hash) ?? this.cache.peek(hash)) : null;
    return base === undefined ? undefined : this.withPatches(inode, index, base);
  }

  /**
   * Turns a patched block back into a whole block at the next seal (its content becomes
   * dirty in full), so the patches it carries leave the version.
   */
  async fold(ino: number, inode: FileInode, index: number): Promise<void> {
    if (!inode.patches?.[index]) return;
    await this.loadDirty(ino, inode, index);
    const block = this.dirty.get(ino)?.get(index);
    if (block) block.written = [{ start: 0, end: this.blockSizeBytes }];
  }

  /** Starts loading blocks into the cache without waiting (readahead). */
  prefetch(inode: FileInode, fromIndex: number, count: number): void {
    for (let index = fromIndex; index < Math.min(fromIndex + count, inode.blocks.length); index++) {
      const hash = inode.blocks[index];
      if (hash && !this.pending.has(hash)) this.cache.prefetch(hash, this.fetcher);
    }
  }

  /**
   * For a commit: hashes this inode's dirty blocks, moves their bytes to `pending` until
   * the upload is confirmed (pendingBlocks), and returns what the inode's block list
   * becomes, for the caller to apply (Namespace.applySeal) in the same synchronous step.
   */
  seal(ino: number, inode: FileInode): FileSeal {
    const blocks = new Map<number, SealedBlock>();
    const dirty = this.dirty.get(ino);
    if (dirty) {
      // In block order, whatever order the blocks became dirty in: uploads go in file order.
      for (const [index, { buffer, written, filledHash }] of [...dirty].sort(([a], [b]) => a - b)) {
        this.dirtyBytes -= this.blockSizeBytes;
        const valid = validBytesInBlock(index, inode.sizeBytes, this.blockSizeBytes);
        if (valid === 0) continue;
        if (filledHash !== undefined && valid === this.blockSizeBytes) {
          // Filled by a write and unchanged since: hashed then, maybe uploaded already.
          blocks.set(index, { hash: filledHash });
          if (!this.pending.has(filledHash)) this.pendingBytes += buffer.length;
          this.pending.set(filledHash, buffer);
          continue;
        }
        // A partial block's buffer may end before the file's bytes in it do: zeros follow.
        const content = zeroPadded(buffer, valid);
        const patch = this.patchFor(inode, index, content, written, valid);
        if (patch) {
          blocks.set(index, { patch });
          continue;
        }
        if (content.equals(this.zeroBlock.subarray(0, valid))) {
          blocks.set(index, { hash: null });
          continue;
        }
        const hash = blockHash(content);
        blocks.set(index, { hash });
        if (!this.pending.has(hash)) this.pendingBytes += content.length;
        this.pending.set(hash, content);
      }
      this.dirty.delete(ino);
    }
    return { blocks, blockCount: blockCount(inode.sizeBytes, this.blockSizeBytes) };
  }

  /**
   * The extents to store for a sealed block instead of a new block, or undefined: only
   * over a committed base (never a hole), only when everything changed since that base
   * fits the per-block limit, and only inside the file (a block a truncation cut is
   * stored whole: its patch would mostly carry the zeros the truncation wrote).
   */
  private patchFor(inode: FileInode, index: number, buffer: Buffer, written: ByteRange[], valid: number): PatchExtent[] | undefined {
    if (this.maxPatchBytesPerBlock === 0 || !inode.blocks[index]) return undefined;
    let ranges = extentRanges(inode.patches?.[index] ?? [], this.blockSizeBytes, `block ${index}`);
    for (const r of written) ranges = addRange(ranges, r.start, r.end);
    if (rangeBytes(ranges) > this.maxPatchBytesPerBlock || ranges.some((r) => r.end > valid)) return undefined;
    return encodeExtents(buffer, ranges);
  }

  /** Every pending block, for a commit to retry uploads a failed commit left behind. */
  pendingBlocks(): PendingBlock[] {
    return [...this.pending].map(([hash, data]) => ({ hash, data }));
  }

  /** The store has the block: later reads go through the cache. */
  confirmUploaded(hash: string): void {
    const data = this.pending.get(hash);
    if (!data) return;
    this.cache.add(hash, data);
    this.pending.delete(hash);
    this.pendingBytes -= data.length;
  }

  /**
   * Everything written that the store does not hold yet: dirty blocks and sealed blocks
   * whose upload failed. The dirty limit bounds this, not dirty alone: a failed commit
   * moves dirty blocks to pending, and a limit on dirty only then let memory grow
   * without bound while the store was down.
   */
  get unuploadedBytes(): number {
    return this.dirtyBytes + this.pendingBytes;
  }

  /**
   * Forgets pending blocks `isReferenced` says nothing names any more (overwritten,
   * truncated or deleted since a failed commit sealed them): no version needs them, and
   * keeping them held memory and made every later commit upload them.
   */
  dropUnreferencedPending(isReferenced: (hash: string) => boolean): void {
    for (const [hash, data] of this.pending) {
      if (isReferenced(hash)) continue;
      this.pending.delete(hash);
      this.pendingBytes -= data.length;
    }
  }

  /** Forgets the dirty blocks of an inode nothing refers to any more. */
  discard(ino: number): void {
    const dirty = this.dirty.get(ino);
    if (!dirty) return;
    this.dirtyBytes -= dirty.size * this.blockSizeBytes;
    this.dirty.delete(ino);
  }

  dirtyInodes(): number[] {
    return [...this.dirty.keys()];
  }

  /**
   * Puts `slices` into their dirty blocks, all in the step that returns: first loads
   * (and loads again, if a seal took them meanwhile) every block a slice only partly
   * covers, then copies with no await in between, so a seal never sees half a write
   * and never seals a buffer that is then changed; then `landed`, in that same step
   * (after `await land()` a seal may already have run: e73725c).
   */
  private async land(ino: number, inode: FileInode, slices: readonly BlockSlice[], landed: () => void = () => {}): Promise<void> {
    for (;;) {
      const missing = slices.filter((s) => !this.dirty.get(ino)?.has(s.index) && !this.coversBlock(s));
      if (missing.length === 0) break;
      await Promise.all(missing.map((s) => this.loadDirty(ino, inode, s.index)));
    }
    const memory = slices[0]?.data.buffer;
    const adopt = memory !== undefined && slices[0]!.owned === true && !this.adopted.has(memory);
    for (const slice of slices) {
      const block = this.dirty.get(ino)?.get(slice.index);
      if (block) {
        if (block.filledHash !== undefined) {
          // An upload may be reading the filled buffer: write into a copy of it.
          block.buffer = copyOf(block.buffer);
          block.filledHash = undefined;
        }
        block.buffer = grownFor(block.buffer, slice.blockOffset, slice.blockOffset + slice.data.length, this.blockSizeBytes);
        slice.data.copy(block.buffer, slice.blockOffset);
        block.written = addRange(block.written, slice.blockOffset, slice.blockOffset + slice.data.length);
      } else {
        // Here the slice covers the block (else loadDirty made it dirty above).
        this.setDirty(ino, slice.index, adopt ? slice.data : copyOf(slice.data), [{ start: 0, end: slice.data.length }]);
      }
    }
    if (adopt) this.adopted.add(memory);
    landed();
  }

  private coversBlock(slice: BlockSlice): boolean {
    return slice.blockOffset === 0 && slice.data.length === this.blockSizeBytes;
  }

  private loadDirty(ino: number, inode: FileInode, index: number): Promise<void> {
    const key = `${ino}:${index}`;
    let loading = this.loading.get(key);
    if (!loading) {
      loading = (async () => {
        try {
          const base = await this.baseContent(inode, index);
          if (this.dirty.get(ino)?.has(index)) return;
          // Base and patches straight into the buffer: blockContent built a patched block
          // once more (1 MiB allocated and copied per block a small transaction touches).
          // The buffer holds what the block has, base or patches, and grows with writes.
          const extents = this.extentsOf(inode, index);
          const held = Math.max(base ? Math.min(base.length, this.blockSizeBytes) : 0, ...(extents ?? []).map((e) => e.offset + e.data.length));
          const buffer = Buffer.allocUnsafe(capacityFor(held, this.blockSizeBytes));
          const copied = base ? base.copy(buffer, 0, 0, Math.min(base.length, buffer.length)) : 0;
          buffer.fill(0, copied);
          if (extents) overlayExtents(extents, buffer, 0, 0, buffer.length);
          this.setDirty(ino, index, buffer, []);
        } finally {
          this.loading.delete(key);
        }
      })();
      this.loading.set(key, loading);
    }
    return loading;
  }

  private setDirty(ino: number, index: number, buffer: Buffer, written: ByteRange[]): void {
    let blocks = this.dirty.get(ino);
    if (!blocks) {
      blocks = new Map();
      this.dirty.set(ino, blocks);
    }
    if (!blocks.has(index)) this.dirtyBytes += this.blockSizeBytes;
    blocks.set(index, { buffer, written });
  }

  /** A committed block's base bytes, without its patches; null for a hole. */
  private baseContent(inode: FileInode, index: number): Promise<Buffer | null> | Buffer | null {
    const hash = inode.blocks[index];
    if (!hash) return null;
    return this.pending.get(hash) ?? this.cache.get(hash, this.fetcher);
  }

  private extentsOf(inode: FileInode, index: number) {
    const extents = inode.patches?.[index];
    return extents ? decodeExtents(extents, this.blockSizeBytes, `block ${index}`) : undefined;
  }

  private withPatches(inode: FileInode, index: number, base: Buffer | null): Buffer | null {
    const extents = this.extentsOf(inode, index);
    return extents ? materialize(base, extents) : base;
  }
}
