/*
 * The ceiling the filesystems are judged against: raw GET throughput (one stream, and
 * chunks in parallel), raw multi-PUT throughput (1 MiB and 8 MiB objects in parallel) and
 * small-object round trips on the bench's MinIO, with no filesystem
 * in between. Issue 6's cold-scan target is a share of this figure.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ObjectStore } from '../chalkfs/store/object-store.js';
import { LatencyRecorder, type LatencySummary } from './latency-recorder.js';
import { dropKernelCaches } from './system-commands.js';

export interface RawStoreResult {
  objectSizeBytes: number;
  /** One GET of the whole database object. */
  singleStreamColdMBps: number;
  singleStreamWarmMBps: number;
  /** The same bytes as `chunkSizeBytes` objects, `parallelism` GETs in flight. */
  parallelColdMBps: number;
  parallelWarmMBps: number;
  chunkSizeBytes: number;
  parallelism: number;
  /** The ceiling a cold full scan is judged against: the best cold figure. */
  ceilingColdMBps: number;
  /** PUTs of separate objects of `objectBytes` each (putTotalBytes in all), `parallelism` in flight. */
  parallelPut: Array<{ objectBytes: number; MBps: number }>;
  /** The ceiling copy-in is judged against: the best parallel PUT figure. */
  ceilingPutMBps: number;
  /** Round trip of a small object, the unit a commit pays per store call. */
  smallGet: LatencySummary;
  smallPut: LatencySummary;
}

/**
 * Raw MinIO throughput with the project's own S3 client and no filesystem: the most
 * any filesystem on this store can reach. "Cold" runs after drop_caches, so MinIO reads
 * its disk like it does in the cold full scan of every target.
 */
export async function measureRawStore(
  store: ObjectStore,
  dbPath: string,
  options: { chunkSizeBytes: number; parallelism: number; smallOps: number; putSizes: number[]; putTotalBytes: number },
): Promise<RawStoreResult> {
  const body = readFileSync(dbPath);
  await store.put('raw/app.db', body);
  const chunkKeys: string[] = [];
  for (let off = 0, i = 0; off < body.length; off += options.chunkSizeBytes, i++) {
    const key = `raw/chunks/${String(i).padStart(6, '0')}`;
    chunkKeys.push(key);
  }
  await inParallel(chunkKeys, 8, async (key, i) => {
    await store.put(key, body.subarray(i * options.chunkSizeBytes, (i + 1) * options.chunkSizeBytes));
  });

  const single = async (): Promise<number> => {
    const start = performance.now();
    const { body: got } = await store.get('raw/app.db');
    return mbps(got.length, performance.now() - start);
  };
  const parallel = async (): Promise<number> => {
    const start = performance.now();
    let bytes = 0;
    await inParallel(chunkKeys, options.parallelism, async (key) => {
      // Read first, add after: `bytes += await ...` would lose concurrent updates.
      const got = (await store.get(key)).body.length;
      bytes += got;
    });
    return mbps(bytes, performance.now() - start);
  };
  await dropKernelCaches();
  const singleStreamColdMBps = await single();
  const singleStreamWarmMBps = Math.max(await single(), await single());
  await dropKernelCaches();
  const parallelColdMBps = await parallel();
  const parallelWarmMBps = Math.max(await parallel(), await parallel());

  // Multi-PUT: the same bytes as separate objects, several in flight, as a writer that
  // uploads blocks in parallel would send them (the body is reused: MinIO stores each).
  const parallelPut: RawStoreResult['parallelPut'] = [];
  for (const objectBytes of options.putSizes) {
    const source = randomBytes(objectBytes);
    const keys = Array.from({ length: Math.max(1, Math.floor(options.putTotalBytes / objectBytes)) }, (_, i) => `raw/put-${objectBytes}/${i}`);
    const start = performance.now();
    await inParallel(keys, options.parallelism, async (key) => {
      await store.put(key, source);
    });
    parallelPut.push({ objectBytes, MBps: mbps(keys.length * objectBytes, performance.now() - start) });
  }

  const small = Buffer.alloc(4096, 7);
  const getRec = new LatencyRecorder();
  const putRec = new LatencyRecorder();
  for (let i = 0; i < options.smallOps; i++) {
    let t = process.hrtime.bigint();
    await store.put(`raw/small/${i % 4}`, small);
    putRec.recordNs(process.hrtime.bigint() - t);
    t = process.hrtime.bigint();
    await store.get(`raw/small/${i % 4}`);
    getRec.recordNs(process.hrtime.bigint() - t);
  }
  return {
    objectSizeBytes: body.length,
    singleStreamColdMBps,
    singleStreamWarmMBps,
    parallelColdMBps,
    parallelWarmMBps,
    chunkSizeBytes: options.chunkSizeBytes,
    parallelism: options.parallelism,
    ceilingColdMBps: Math.max(singleStreamColdMBps, parallelColdMBps),
    parallelPut,
    ceilingPutMBps: Math.max(...parallelPut.map((p) => p.MBps)),
    smallGet: getRec.summary(),
    smallPut: putRec.summary(),
  };
}

/** Megabytes (10^6 bytes) per second. */
export function mbps(bytes: number, elapsedMs: number): number {
  return bytes / 1e6 / (elapsedMs / 1000);
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
