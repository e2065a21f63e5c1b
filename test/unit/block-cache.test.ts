// BlockCache and its disk tier against fake fetchers: single flight, hash checks, memory
// bounded by bytes, readahead order, and a disk tier that evicts, rebuilds its index and
// drops corrupt files.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlockCache } from '../../chalkfs/cache/block-cache.js';
import { DiskBlockCache } from '../../chalkfs/cache/disk-block-cache.js';
import { blockHash } from '../../chalkfs/meta/format.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';
import { Metrics } from '../../chalkfs/util/metrics.js';
import { UncachedFileWriter } from '../../chalkfs/host/uncached-file-write.js';

const logger = silentLogger();
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chalkfs-unit-cache-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function block(n: number, size = 100): { hash: string; data: Buffer } {
  const data = Buffer.alloc(size, n);
  return { hash: blockHash(data), data };
}

/** A fetcher over a map that counts calls and can hand out wrong bytes. */
function storeFetcher(blocks: { hash: string; data: Buffer }[]) {
  const map = new Map(blocks.map((b) => [b.hash, b.data]));
  const calls: string[] = [];
  let corruptLeft = 0;
  const fetcher = async (hash: string) => {
    calls.push(hash);
    await new Promise((r) => setImmediate(r));
    const data = map.get(hash);
    if (!data) throw new Error('missing');
    if (corruptLeft > 0) {
      corruptLeft--;
      const bad = Buffer.from(data);
      bad[0] ^= 0xff;
      return bad;
    }
    return Buffer.from(data);
  };
  return { fetcher, calls, corrupt: (n: number) => (corruptLeft = n) };
}

describe('BlockCache', () => {
  it('merges concurrent gets of one block into one fetch (single flight)', async () => {
    const b = block(1);
    const s = storeFetcher([b]);
    const cache = new BlockCache(1 << 20, undefined, logger);
    const [x, y] = await Promise.all([cache.get(b.hash, s.fetcher), cache.get(b.hash, s.fetcher)]);
    expect(x).toEqual(b.data);
    expect(y).toEqual(b.data);
    expect(s.calls).toEqual([b.hash]);
    expect(cache.peek(b.hash)).toEqual(b.data);
    await cache.get(b.hash, s.fetcher);
    expect(s.calls).toHaveLength(1);
  });

  it('refetches a corrupt store block once and returns the good copy', async () => {
    const b = block(2);
    const s = storeFetcher([b]);
    s.corrupt(1);
    const cache = new BlockCache(1 << 20, undefined, logger);
    expect(await cache.get(b.hash, s.fetcher)).toEqual(b.data);
    expect(s.calls).toHaveLength(2);
  });

  it('a block corrupt twice is a corrupt error and is not cached', async () => {
    const b = block(3);
    const s = storeFetcher([b]);
    s.corrupt(2);
    const cache = new BlockCache(1 << 20, undefined, logger);
    await expect(cache.get(b.hash, s.fetcher)).rejects.toSatisfy((err) => isChalkError(err, 'corrupt'));
    expect(s.calls).toHaveLength(2);
    expect(cache.peek(b.hash)).toBeUndefined();
    expect(await cache.get(b.hash, s.fetcher)).toEqual(b.data);
  });

  it('bounds memory by bytes', async () => {
    const blocks = [1, 2, 3, 4].map((n) => block(n, 100));
    const s = storeFetcher(blocks);
    const cache = new BlockCache(250, undefined, logger);
    for (const b of blocks) await cache.get(b.hash, s.fetcher);
    expect(cache.stats().memoryBytes).toBeLessThanOrEqual(250);
    expect(cache.peek(blocks[0]!.hash)).toBeUndefined();
    expect(cache.peek(blocks[3]!.hash)).toEqual(blocks[3]!.data);
  });

  it('prefetches in the order asked, a few at a time, and a read joins a prefetch in flight', async () => {
    const blocks = [1, 2, 3, 4, 5, 6].map((n) => block(n));
    const s = storeFetcher(blocks);
    const cache = new BlockCache(1 << 20, undefined, logger, undefined, { prefetchConcurrency: 2 });
    for (const b of blocks) cache.prefetch(b.hash, s.fetcher);
    cache.prefetch(blocks[0]!.hash, s.fetcher); // already queued: no second GET
    expect(await cache.get(blocks[0]!.hash, s.fetcher)).toEqual(blocks[0]!.data);
    await cache.settled();
    expect(s.calls).toEqual(blocks.map((b) => b.hash));
    for (const b of blocks) expect(cache.peek(b.hash)).toEqual(b.data);
    cache.prefetch(blocks[1]!.hash, s.fetcher); // in memory: nothing to do
    await cache.settled();
    expect(s.calls).toHaveLength(6);
  });

  it('a failed prefetch is dropped; the read that needs the block fetches it', async () => {
    const b = block(9);
    let failNext = true;
    const calls: string[] = [];
    const fetcher = async (hash: string) => {
      calls.push(hash);
      if (failNext) {
        failNext = false;
        throw new Error('store down');
      }
      return b.data;
    };
    const cache = new BlockCache(1 << 20, undefined, logger);
    cache.prefetch(b.hash, fetcher);
    await cache.settled();
    expect(cache.peek(b.hash)).toBeUndefined();
    expect(await cache.get(b.hash, fetcher)).toEqual(b.data);
    expect(calls).toHaveLength(2);
  });

  it('a read never waits for the disk tier: fetched blocks are written there in the background', async () => {
    const b = block(7);
    const s = storeFetcher([b]);
    let release!: () => void;
    const puts: string[] = [];
    const slowDisk = {
      get: async () => undefined,
      put: async (hash: string) => {
        puts.push(hash);
        await new Promise<void>((r) => (release = r));
      },
    } as unknown as DiskBlockCache;
    const cache = new BlockCache(1 << 20, slowDisk, logger);
    expect(await cache.get(b.hash, s.fetcher)).toEqual(b.data);
    let settled = false;
    const settling = cache.settled().then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(puts).toEqual([b.hash]);
    expect(settled).toBe(false);
    release();
    await settling;
  });

  it('serves from the disk tier after memory is gone, and writes fetched blocks there', async () => {
    const dir = await tempDir();
    const b = block(5);
    const s = storeFetcher([b]);
    const disk = await DiskBlockCache.open(dir, 1 << 20, logger);
    const first = new BlockCache(1 << 20, disk, logger);
    await first.get(b.hash, s.fetcher);
    await first.settled(); // the disk tier is written in the background
    expect(await readFile(disk.pathOf(b.hash))).toEqual(b.data);
    const fresh = new BlockCache(1 << 20, disk, logger);
    expect(await fresh.get(b.hash, s.fetcher)).toEqual(b.data);
    expect(s.calls).toHaveLength(1);
  });
  it('counts the blocks a full disk-write queue skips, not the ones already queued', async () => {
    const dir = await tempDir();
    // A cache disk slower than blocks arrive: each write waits until the test lets it go.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slowDisk = new UncachedFileWriter({ write: async (path, data) => (await gate, await writeFile(path, data), true) });
    const disk = await DiskBlockCache.open(dir, 1 << 20, logger, {}, Date.now, slowDisk);
    const metrics = new Metrics();
    const cache = new BlockCache(1 << 20, disk, logger, metrics, { maxQueuedDiskWrites: 2 });
    const blocks = [1, 2, 3, 4, 5].map((n) => block(n));
    for (const b of blocks) cache.add(b.hash, b.data); // 1 writing, 2 and 3 queued, 4 and 5 skipped
    cache.add(blocks[1]!.hash, blocks[1]!.data); // already queued: not a skip
    const skipped = async () => (await metrics.cacheDiskWritesSkipped.get()).values[0]?.value;
    expect(await skipped()).toBe(2);
    release();
    await cache.settled();
    expect(blocks.map((b) => disk.has(b.hash))).toEqual([true, true, true, false, false]);
  });
});

describe('DiskBlockCache', () => {
  it('a block its index does not name is a miss without reading the disk; reopening indexes it', async () => {
    const dir = await tempDir();
    const b = block(12);
    const disk = await DiskBlockCache.open(dir, 1 << 20, logger);
    // Another daemon sharing the directory writes the block after this one opened it.
    await mkdir(dirname(disk.pathOf(b.hash)), { recursive: true });
    await writeFile(disk.pathOf(b.hash), b.data);
    expect(await disk.get(b.hash)).toBeUndefined();
    expect(await (await DiskBlockCache.open(dir, 1 << 20, logger)).get(b.hash)).toEqual(b.data);
  });

  it('deletes a corrupt file, reports it and lets the block be refetched', async () => {
    const dir = await tempDir();
    const b = block(6);
    const corrupt: string[] = [];
    const disk = await DiskBlockCache.open(dir, 1 << 20, logger, { onCorrupt: (h) => corrupt.push(h) });
    await disk.put(b.hash, b.data);
    await writeFile(disk.pathOf(b.hash), Buffer.from('flipped bits'));
    expect(await disk.get(b.hash)).toBeUndefined();
    expect(corrupt).toEqual([b.hash]);
    await expect(readFile(disk.pathOf(b.hash))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(disk.blockCount).toBe(0);
    const s = storeFetcher([b]);
    const cache = new BlockCache(1 << 20, disk, logger);
    expect(await cache.get(b.hash, s.fetcher)).toEqual(b.data);
    expect(s.calls).toHaveLength(1);
    await cache.settled();
    expect(await disk.get(b.hash)).toEqual(b.data);
  });

  it('evicts least recently used blocks to stay under capacity', async () => {
    const dir = await tempDir();
    const [a, b, c] = [1, 2, 3].map((n) => block(n, 100));
    let evictions = 0;
    // Room is made before a block lands: when b is evicted, c is not in place yet (the cap
    // holds at every moment, for anyone looking at the directory meanwhile).
    let cInPlaceAtEviction: boolean | undefined;
    const disk: DiskBlockCache = await DiskBlockCache.open(dir, 250, logger, {
      onEvict: () => {
        evictions++;
        cInPlaceAtEviction = existsSync(disk.pathOf(c!.hash));
      },
    });
    await disk.put(a!.hash, a!.data);
    await disk.put(b!.hash, b!.data);
    expect(await disk.get(a!.hash)).toEqual(a!.data); // a is now the most recent
    await disk.put(c!.hash, c!.data);
    expect(evictions).toBe(1);
    expect(cInPlaceAtEviction).toBe(false);
    expect(disk.sizeBytes).toBe(200);
    expect(await disk.get(b!.hash)).toBeUndefined();
    expect(await disk.get(a!.hash)).toEqual(a!.data);
    expect(await disk.get(c!.hash)).toEqual(c!.data);
    // A block larger than the whole cache is not stored.
    const huge = block(9, 300);
    await disk.put(huge.hash, huge.data);
    expect(await disk.get(huge.hash)).toBeUndefined();
  });

  it('rebuilds its index on reopen, drops temp files and evicts down to a smaller capacity', async () => {
    const dir = await tempDir();
    const blocks = [1, 2, 3].map((n) => block(n, 100));
    const disk = await DiskBlockCache.open(dir, 1 << 20, logger);
    for (const [i, b] of blocks.entries()) {
      await disk.put(b.hash, b.data);
      const t = new Date(Date.UTC(2020, 0, 1 + i));
      await utimes(disk.pathOf(b.hash), t, t);
    }
    const sub = join(dir, 'blocks', blocks[0]!.hash.slice(0, 2));
    await writeFile(join(sub, `${blocks[0]!.hash}.abcd.tmp`), 'partial');
    const reopened = await DiskBlockCache.open(dir, 1 << 20, logger);
    expect(reopened.blockCount).toBe(3);
    expect(reopened.sizeBytes).toBe(300);
    expect((await readdir(sub)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const small = await DiskBlockCache.open(dir, 200, logger);
    expect(small.blockCount).toBe(2);
    expect(await small.get(blocks[0]!.hash)).toBeUndefined(); // the oldest went first
    expect(await small.get(blocks[2]!.hash)).toEqual(blocks[2]!.data);
  });
});
