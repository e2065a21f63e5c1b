import type { BlockCache, BlockFetcher } from '../cache/block-cache.js';
import { blockHash, type FileInode } from '../meta/format.js';
import { blockCount, blockSlices, validBytesInBlock } from './block-math.js';

/** A block that a commit must upload before its version can be written. */
export interface PendingBlock {
  hash: string;
  data: Buffer;
}

/**
 * File contents of one mount: committed blocks (by hash, through the block cache),
 * dirty blocks written since the last commit (whole-block buffers, per inode), and
 * blocks hashed by a commit whose upload is not yet confirmed. Reads see, in order:
 * dirty, pending, cached/stored. Never touches FUSE or S3 directly.
 */
export class FileData {
  private readonly dirty = new Map<number, Map<number, Buffer>>();
  private readonly pending = new Map<string, Buffer>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly zeroBlock: Buffer;
  dirtyBytes = 0;

  constructor(
    readonly blockSizeBytes: number,
    private readonly cache: BlockCache,
    private readonly fetcher: BlockFetcher,
  ) {
    this.zeroBlock = Buffer.alloc(blockSizeBytes);
  }

  hasDirty(ino: number): boolean {
    return (this.dirty.get(ino)?.size ?? 0) > 0;
  }

  /** Reads up to `length` bytes at `offset` into `target`; returns the count (0 at EOF). */
  async read(ino: number, inode: FileInode, target: Buffer, length: number, offset: number): Promise<number> {
    const count = Math.max(0, Math.min(length, inode.sizeBytes - offset));
    if (count === 0) return 0;
    const slices = blockSlices(offset, count, this.blockSizeBytes);
    const contents = await Promise.all(slices.map((s) => this.blockContent(ino, inode, s.index)));
    slices.forEach((slice, i) => {
      const content = contents[i];
      const available = content ? Math.max(0, Math.min(slice.length, content.length - slice.blockOffset)) : 0;
      if (available > 0) content!.copy(target, slice.bufferOffset, slice.blockOffset, slice.blockOffset + available);
      if (available < slice.length) target.fill(0, slice.bufferOffset + available, slice.bufferOffset + slice.length);
    });
    return count;
  }

  /** Writes `data` (owned by the caller; never reused) at `offset`, growing the file. */
  async write(ino: number, inode: FileInode, data: Buffer, offset: number): Promise<void> {
    const slices = blockSlices(offset, data.length, this.blockSizeBytes);
    await Promise.all(slices.map((s) => this.writeSlice(ino, inode, s.index, s.blockOffset, data.subarray(s.bufferOffset, s.bufferOffset + s.length))));
    inode.sizeBytes = Math.max(inode.sizeBytes, offset + data.length);
  }

  async truncate(ino: number, inode: FileInode, sizeBytes: number): Promise<void> {
    const oldSize = inode.sizeBytes;
    inode.sizeBytes = sizeBytes;
    if (sizeBytes >= oldSize) return;
    const keepBlocks = blockCount(sizeBytes, this.blockSizeBytes);
    const dirty = this.dirty.get(ino);
    for (const index of [...(dirty?.keys() ?? [])]) {
      if (index >= keepBlocks) {
        dirty!.delete(index);
        this.dirtyBytes -= this.blockSizeBytes;
      }
    }
    if (inode.blocks.length > keepBlocks) inode.blocks.length = keepBlocks;
    const tail = sizeBytes % this.blockSizeBytes;
    const lastIndex = Math.floor(sizeBytes / this.blockSizeBytes);
    // Zero the cut-off part of the last block, so growing the file again reads zeros.
    if (tail !== 0 && (dirty?.has(lastIndex) || inode.blocks[lastIndex])) {
      await this.writeSlice(ino, inode, lastIndex, tail, this.zeroBlock.subarray(0, this.blockSizeBytes - tail));
    }
  }

  /** A block's bytes (possibly shorter than a block: the rest is zeros), or null for a hole. */
  async blockContent(ino: number, inode: FileInode, index: number): Promise<Buffer | null> {
    const dirty = this.dirty.get(ino)?.get(index);
    if (dirty) return dirty;
    const hash = inode.blocks[index];
    if (!hash) return null;
    return this.pending.get(hash) ?? this.cache.get(hash, this.fetcher);
  }

  /** Like blockContent without I/O: undefined when the block is not in memory. */
  peekBlock(ino: number, inode: FileInode, index: number): Buffer | null | undefined {
    const dirty = this.dirty.get(ino)?.get(index);
    if (dirty) return dirty;
    const hash = inode.blocks[index];
    if (!hash) return null;
    return this.pending.get(hash) ?? this.cache.peek(hash);
  }

  /** Starts loading blocks into the cache without waiting (readahead). */
  prefetch(inode: FileInode, fromIndex: number, count: number): void {
    for (let index = fromIndex; index < Math.min(fromIndex + count, inode.blocks.length); index++) {
      const hash = inode.blocks[index];
      if (hash && !this.pending.has(hash) && !this.cache.peek(hash)) this.cache.get(hash, this.fetcher).catch(() => undefined);
    }
  }

  /**
   * For a commit, synchronously: hashes this inode's dirty blocks, points its block list
   * at them, and moves their bytes to `pending` until the upload is confirmed. Returns
   * the blocks the commit must make sure exist in the store.
   */
  seal(ino: number, inode: FileInode): PendingBlock[] {
    const dirty = this.dirty.get(ino);
    const sealed: PendingBlock[] = [];
    if (dirty) {
      for (const [index, buffer] of dirty) {
        this.dirtyBytes -= this.blockSizeBytes;
        const valid = validBytesInBlock(index, inode.sizeBytes, this.blockSizeBytes);
        if (valid === 0) continue;
        while (inode.blocks.length < index) inode.blocks.push(null);
        const content = buffer.subarray(0, valid);
        if (content.equals(this.zeroBlock.subarray(0, valid))) {
          inode.blocks[index] = null;
          continue;
        }
        const hash = blockHash(content);
        inode.blocks[index] = hash;
        this.pending.set(hash, content);
        sealed.push({ hash, data: content });
      }
      this.dirty.delete(ino);
    }
    const count = blockCount(inode.sizeBytes, this.blockSizeBytes);
    if (inode.blocks.length > count) inode.blocks.length = count;
    while (inode.blocks.length > 0 && inode.blocks[inode.blocks.length - 1] === null) inode.blocks.pop();
    return sealed;
  }

  /** Every pending block, for a commit to retry uploads a failed commit left behind. */
  pendingBlocks(): PendingBlock[] {
    return [...this.pending].map(([hash, data]) => ({ hash, data }));
  }

  /** The store has the block: later reads go through the cache. */
  async confirmUploaded(hash: string): Promise<void> {
    const data = this.pending.get(hash);
    if (!data) return;
    await this.cache.add(hash, data);
    this.pending.delete(hash);
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

  private async writeSlice(ino: number, inode: FileInode, index: number, blockOffset: number, data: Buffer): Promise<void> {
    for (;;) {
      // Copy in the same synchronous step that finds the buffer: a commit between an
      // await and the copy would otherwise seal a buffer that is then modified.
      const buffer = this.dirty.get(ino)?.get(index);
      if (buffer) {
        data.copy(buffer, blockOffset);
        return;
      }
      if (blockOffset === 0 && data.length === this.blockSizeBytes) {
        this.setDirty(ino, index, Buffer.from(data));
        return;
      }
      await this.loadDirty(ino, inode, index);
    }
  }

  private loadDirty(ino: number, inode: FileInode, index: number): Promise<void> {
    const key = `${ino}:${index}`;
    let loading = this.loading.get(key);
    if (!loading) {
      loading = (async () => {
        try {
          const base = await this.blockContent(ino, inode, index);
          if (this.dirty.get(ino)?.has(index)) return;
          const buffer = Buffer.alloc(this.blockSizeBytes);
          base?.copy(buffer, 0, 0, Math.min(base.length, this.blockSizeBytes));
          this.setDirty(ino, index, buffer);
        } finally {
          this.loading.delete(key);
        }
      })();
      this.loading.set(key, loading);
    }
    return loading;
  }

  private setDirty(ino: number, index: number, buffer: Buffer): void {
    let blocks = this.dirty.get(ino);
    if (!blocks) {
      blocks = new Map();
      this.dirty.set(ino, blocks);
    }
    if (!blocks.has(index)) this.dirtyBytes += this.blockSizeBytes;
    blocks.set(index, buffer);
  }
}
