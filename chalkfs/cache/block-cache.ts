/*
 * Content-addressed block cache: a byte-bounded LRU in memory (lru-cache) in front of
 * an optional disk tier, in front of the store. Concurrent misses of one block share
 * one fetch (lru-cache's fetchMethod). Every block coming from disk or store is
 * verified against its hash; a block that fails is never returned. Fetched blocks are
 * written to the disk tier in the background: the reader waiting for a block never waits
 * for the disk.
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { ChalkError } from '../util/chalk-error.js';
import { blockHash } from '../meta/format.js';
import type { Metrics } from '../util/metrics.js';
import type { DiskBlockCache } from './disk-block-cache.js';
import { KeyedTaskQueue } from './keyed-task-queue.js';

/** Fetches a block's bytes from the store (the caller knows the volume and key). */
export type BlockFetcher = (hash: string) => Promise<Buffer>;

export interface BlockCacheOptions {
  /**
   * Readahead GETs in flight at once. Prefetches start in the order they were asked for,
   * so the block a sequential reader needs next is always the oldest request: with all
   * of a 32-block window in flight at once, the store (on the same two cores, in the
   * bench) shares itself among all of them and the first one arrives last. 8 (1 MiB
   * blocks: 8 MiB in flight) beat 4 and 16 in a cold cat of 256 MiB (issue 16).
   */
  prefetchConcurrency?: number;
  /** Readahead requests waiting for a slot; beyond this, readahead is skipped. */
  maxQueuedPrefetches?: number;
  /** Disk-tier writes waiting to be done; beyond this, blocks are not written to disk. */
  maxQueuedDiskWrites?: number;
}

/** The memory tier in front of the disk tier and the store, with readahead. */
export class BlockCache {
  private readonly memory: LRUCache<string, Buffer, BlockFetcher>;
  private readonly prefetches: KeyedTaskQueue;
  private readonly diskWrites: KeyedTaskQueue;

  constructor(
    memoryBytes: number,
    private readonly disk: DiskBlockCache | undefined,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
    options: BlockCacheOptions = {},
  ) {
    // A failed prefetch is not an error: the read that needs the block fetches it again.
    this.prefetches = new KeyedTaskQueue(options.prefetchConcurrency ?? 8, options.maxQueuedPrefetches ?? 256);
    // One at a time: the disk tier competes with reads for the libuv thread pool.
    this.diskWrites = new KeyedTaskQueue(1, options.maxQueuedDiskWrites ?? 128, (err, hash) =>
      this.logger.warn({ err, hash }, 'could not write block to the disk cache'),
    );
    this.memory = new LRUCache<string, Buffer, BlockFetcher>({
      maxSize: Math.max(1, memoryBytes),
      sizeCalculation: (value) => Math.max(1, value.length),
      fetchMethod: (hash, _stale, { context }) => this.load(hash, context),
      // A fetch still in flight when its entry is evicted (a memory tier smaller than the
      // readahead window) would otherwise reject with "evicted", and the read waiting for
      // it would fail with EIO: let it finish and hand the block to its waiters uncached.
      ignoreFetchAbort: true,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.metrics?.cacheEvictions.inc({ tier: 'memory' });
      },
    });
  }

  /** The block if it is in memory, without I/O. */
  peek(hash: string): Buffer | undefined {
    return this.memory.get(hash);
  }

  /** Whether the block can be had without the store: in memory, or in the disk tier. */
  isLocal(hash: string): boolean {
    return this.memory.has(hash) || (this.disk?.has(hash) ?? false);
  }

  async get(hash: string, fetcher: BlockFetcher): Promise<Buffer> {
    const inMemory = this.memory.get(hash);
    if (inMemory) {
      this.metrics?.cacheLookups.inc({ tier: 'memory', result: 'hit' });
      return inMemory;
    }
    this.metrics?.cacheLookups.inc({ tier: 'memory', result: 'miss' });
    const value = await this.memory.fetch(hash, { context: fetcher });
    if (!value) throw new ChalkError('io', `block ${hash} could not be loaded`);
    return value;
  }

  /**
   * Starts loading a block in the background (readahead), after the prefetches asked for
   * before it. A read that needs the block meanwhile shares the same load.
   */
  prefetch(hash: string, fetcher: BlockFetcher): void {
    if (this.memory.has(hash) || this.prefetches.has(hash)) return;
    this.prefetches.add(hash, () => this.get(hash, fetcher));
  }

  /** Resolves once background work (prefetches, disk-tier writes) is done: before unmount, and for tests. */
  async settled(): Promise<void> {
    await this.prefetches.idle();
    await this.diskWrites.idle();
  }

  /**
   * Adds a block this mount just wrote (already hashed by the caller, and in the store).
   * The disk tier gets it in the background, like a fetched block: a commit never waits
   * for the cache disk (a read that misses memory meanwhile reads the store).
   */
  add(hash: string, data: Buffer): void {
    this.memory.set(hash, data);
    this.writeToDisk(hash, data);
    this.updateGauges();
  }

  stats(): { memoryBytes: number; memoryBlocks: number; diskBytes: number; diskBlocks: number } {
    return {
      memoryBytes: this.memory.calculatedSize ?? 0,
      memoryBlocks: this.memory.size,
      diskBytes: this.disk?.sizeBytes ?? 0,
      diskBlocks: this.disk?.blockCount ?? 0,
    };
  }

  private async load(hash: string, fetcher: BlockFetcher): Promise<Buffer> {
    const fromDisk = await this.disk?.get(hash);
    if (fromDisk) {
      this.metrics?.cacheLookups.inc({ tier: 'disk', result: 'hit' });
      return fromDisk;
    }
    if (this.disk) this.metrics?.cacheLookups.inc({ tier: 'disk', result: 'miss' });
    let data = await fetcher(hash);
    if (blockHash(data) !== hash) {
      this.metrics?.corruptBlocks.inc({ source: 'store' });
      this.logger.error({ hash }, 'block from the store failed verification; fetching it once more');
      data = await fetcher(hash);
      if (blockHash(data) !== hash) throw new ChalkError('corrupt', `block ${hash} in the store is corrupt (content does not match its hash)`);
    }
    this.writeToDisk(hash, data);
    return data;
  }

  /** Queues a verified block for the disk tier; a full queue skips it (the tier is only a cache), counted. */
  private writeToDisk(hash: string, data: Buffer): void {
    const disk = this.disk;
    if (!disk) return;
    const queued = this.diskWrites.add(hash, async () => {
      await disk.put(hash, data);
      this.updateGauges();
    });
    if (!queued && !this.diskWrites.has(hash)) this.metrics?.cacheDiskWritesSkipped.inc();
  }

  private updateGauges(): void {
    if (!this.metrics) return;
    this.metrics.cacheBytes.set({ tier: 'memory' }, this.memory.calculatedSize ?? 0);
    this.metrics.cacheBytes.set({ tier: 'disk' }, this.disk?.sizeBytes ?? 0);
  }
}
