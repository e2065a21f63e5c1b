/*
 * The store's ceiling measured with a client that is not chalkfs's: curl (C, libcurl,
 * `--aws-sigv4`, Debian bookworm's 7.88). chalkfs's own S3 client runs in the same Node
 * process as its request handling, so a ceiling measured with it carries its per-request
 * and per-byte costs; curl's are far smaller, which makes its figure the store's own.
 * curl rather than rclone or s3fs copying a big object: those are targets of this bench
 * with their own chunking, caching and disk writes, while curl moves exactly the requests
 * asked for (ranged GETs of one object, PUTs of separate objects), several in flight.
 * Each of `parallelism` curl processes runs its share of the requests one after another
 * on one keep-alive connection (`--next`), bodies to /dev/null or from one local file.
 *
 * curl's own CPU per MB is kept too: what a lean client spends moving the bytes through
 * its sockets (HTTP, the kernel's TCP copies), which any chalkfs daemon also spends on top
 * of the FUSE floor and the hash (target-checks.ts adds it to the CPU bounds). For PUTs,
 * reading the body file from the page cache is measured apart and taken off.
 */
import { randomFillSync } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mbps } from './raw-store-ceiling.js';
import { endedChildrenCpuMs, processCpuMs } from './process-cpu.js';
import { dropKernelCaches, runCommand } from './system-commands.js';

export interface CurlStore {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface CurlCeilingResult {
  client: string;
  objectSizeBytes: number;
  parallelism: number;
  /**
   * Ranged GETs of one object of objectSizeBytes, `rangeBytes` each; `coldStoreCpuMsPerMB`:
   * the store process's CPU per MB over the cold round, when its pid was given;
   * `coldClientCpuMsPerMB`: curl's own over that round.
   */
  get: Array<{ rangeBytes: number; coldMBps: number; warmMBps: number; coldStoreCpuMsPerMB?: number; coldClientCpuMsPerMB?: number }>;
  /**
   * PUTs of separate objects of `objectBytes` each, objectSizeBytes in total; `storeCpuMsPerMB`
   * as for GETs; `clientCpuMsPerMB`: curl's own, less reading its body file (never below zero).
   */
  put: Array<{ objectBytes: number; MBps: number; storeCpuMsPerMB?: number; clientCpuMsPerMB?: number }>;
  /** The store's CPU split into a cost per request and one per MB, fitted to the shapes above (storeCostModel). */
  putCost?: StoreCost;
  coldGetCost?: StoreCost;
}

/** A store's CPU cost of moving bytes: a fixed part per request plus a part per MB. */
export interface StoreCost {
  msPerRequest: number;
  msPerMB: number;
}

/**
 * Least-squares fit of `msPerMB(shape) = perMB + perRequest × requests per MB` to the store
 * CPU measured per request shape, so the store's cost at any object or range size (chalkfs's
 * block size, a pack's) can be read off; undefined without two distinct sizes. The fit's
 * parts are clamped at zero: noise can tilt a two-point line below it.
 */
export function storeCostModel(points: Array<{ requestBytes: number; msPerMB: number | undefined }>): StoreCost | undefined {
  const xy = points.filter((p): p is { requestBytes: number; msPerMB: number } => p.msPerMB !== undefined).map((p) => ({ x: 1e6 / p.requestBytes, y: p.msPerMB }));
  if (new Set(xy.map((p) => p.x)).size < 2) return undefined;
  const mean = (f: (p: { x: number; y: number }) => number) => xy.reduce((sum, p) => sum + f(p), 0) / xy.length;
  const mx = mean((p) => p.x);
  const my = mean((p) => p.y);
  const slope = mean((p) => (p.x - mx) * (p.y - my)) / mean((p) => (p.x - mx) ** 2);
  return { msPerRequest: Math.max(0, slope), msPerMB: Math.max(0, my - slope * mx) };
}

/** Runs the curl requests `ops` with `parallelism` processes; each op is the arguments of one transfer. */
async function runCurl(store: CurlStore, ops: string[][], parallelism: number): Promise<number> {
  const auth = ['--aws-sigv4', `aws:amz:${store.region}:s3`, '--user', `${store.accessKeyId}:${store.secretAccessKey}`];
  const shares: string[][][] = Array.from({ length: parallelism }, () => []);
  ops.forEach((op, i) => shares[i % parallelism]!.push(op));
  const start = performance.now();
  await Promise.all(
    shares
      .filter((s) => s.length > 0)
      .map((share) => {
        const args = share.flatMap((op, i) => [...(i > 0 ? ['--next'] : []), '-sS', '--fail', ...auth, ...op]);
        return runCommand('curl', args, { timeoutMs: 600_000 });
      }),
  );
  return performance.now() - start;
}

/**
 * CPU per MB of reading `file` (just written: in the page cache) `times` times to
 * /dev/null, by one `cat`: the part of curl's CPU in a PUT run that reads its body, which a
 * daemon holding the bytes in memory does not spend.
 */
async function pageCacheReadCpuMsPerMB(file: string, times: number): Promise<number> {
  const before = endedChildrenCpuMs();
  await runCommand('sh', ['-c', 'cat "$@" > /dev/null', 'sh', ...Array.from({ length: times }, () => file)], { timeoutMs: 600_000 });
  return (endedChildrenCpuMs() - before) / ((times * statSync(file).size) / 1e6);
}

/**
 * GET and PUT throughput of the bench's MinIO through curl: one object of
 * `objectSizeBytes` read in ranges with `parallelism` in flight (cold after drop_caches,
 * then warm), and the same bytes written as separate objects of each size in `putSizes`.
 */
export async function measureCurlCeiling(
  store: CurlStore,
  workDir: string,
  options: { objectSizeBytes: number; rangeSizes: number[]; putSizes: number[]; parallelism: number; storePid?: number },
): Promise<CurlCeilingResult> {
  /**
   * Runs `ops`, returning the elapsed time, the store's CPU per MB of `bytes` over it (the
   * store's cost of this request shape) and curl's own (its processes, ended and waited for).
   */
  const timed = async (ops: string[][], bytes: number): Promise<{ ms: number; storeCpuMsPerMB?: number; clientCpuMsPerMB: number }> => {
    const before = options.storePid === undefined ? undefined : processCpuMs(options.storePid);
    const clientBefore = endedChildrenCpuMs();
    const ms = await runCurl(store, ops, parallelism);
    const clientCpuMsPerMB = (endedChildrenCpuMs() - clientBefore) / (bytes / 1e6);
    const after = options.storePid === undefined ? undefined : processCpuMs(options.storePid);
    return before === undefined || after === undefined ? { ms, clientCpuMsPerMB } : { ms, storeCpuMsPerMB: (after - before) / (bytes / 1e6), clientCpuMsPerMB };
  };
  const version = (await runCommand('curl', ['--version'])).stdout.split('\n')[0]!;
  const url = (key: string) => `${store.endpoint}/${store.bucket}/${key}`;
  const { objectSizeBytes, parallelism } = options;
  const put: CurlCeilingResult['put'] = [];
  for (const objectBytes of options.putSizes) {
    const file = join(workDir, `curl-put-${objectBytes}`);
    writeFileSync(file, randomFillSync(Buffer.allocUnsafe(objectBytes)));
    const count = Math.max(1, Math.floor(objectSizeBytes / objectBytes));
    const ops = Array.from({ length: count }, (_, i) => ['-T', file, '-o', '/dev/null', url(`curl/put-${objectBytes}/${i}`)]);
    const { ms, storeCpuMsPerMB, clientCpuMsPerMB } = await timed(ops, count * objectBytes);
    const readMsPerMB = await pageCacheReadCpuMsPerMB(file, count);
    put.push({ objectBytes, MBps: mbps(count * objectBytes, ms), storeCpuMsPerMB, clientCpuMsPerMB: Math.max(0, clientCpuMsPerMB - readMsPerMB) });
  }
  // The object the ranged GETs read: the 8 MiB PUT objects would be separate objects, so
  // upload one whole object (one PUT of a file of objectSizeBytes).
  const big = join(workDir, 'curl-get-object');
  writeFileSync(big, randomFillSync(Buffer.allocUnsafe(objectSizeBytes)));
  await runCurl(store, [['-T', big, '-o', '/dev/null', url('curl/big')]], 1);
  const get: CurlCeilingResult['get'] = [];
  for (const rangeBytes of options.rangeSizes) {
    const ops: string[][] = [];
    for (let off = 0; off < objectSizeBytes; off += rangeBytes) {
      ops.push(['-r', `${off}-${Math.min(objectSizeBytes, off + rangeBytes) - 1}`, '-o', '/dev/null', url('curl/big')]);
    }
    await dropKernelCaches();
    const cold = await timed(ops, objectSizeBytes);
    const warmMBps = Math.max(mbps(objectSizeBytes, await runCurl(store, ops, parallelism)), mbps(objectSizeBytes, await runCurl(store, ops, parallelism)));
    get.push({ rangeBytes, coldMBps: mbps(objectSizeBytes, cold.ms), warmMBps, coldStoreCpuMsPerMB: cold.storeCpuMsPerMB, coldClientCpuMsPerMB: cold.clientCpuMsPerMB });
  }
  return {
    client: version,
    objectSizeBytes,
    parallelism,
    get,
    put,
    putCost: storeCostModel(put.map((p) => ({ requestBytes: p.objectBytes, msPerMB: p.storeCpuMsPerMB }))),
    coldGetCost: storeCostModel(get.map((g) => ({ requestBytes: g.rangeBytes, msPerMB: g.coldStoreCpuMsPerMB }))),
  };
}
