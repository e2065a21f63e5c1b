/*
 * The two sizes of a bench run, quick and full: rows, seeds, iteration limits and
 * timeouts. Every number a workload loop stops at is here, so the modes differ in one place.
 */
import type { MixedWorkloadSize } from './mixed-workload.js';

/** Sizes and iteration counts of one run; `quick` keeps a whole run under 3 minutes. */
export interface BenchConfig {
  mode: 'quick' | 'full';
  rows: number;
  seed: number;
  pointReads: { iterations: number; maxDurationMs: number };
  openQueryClose: { iterations: number; maxDurationMs: number };
  coldQuerySamples: number;
  rangeScans: { iterations: number; maxDurationMs: number; rowsPerScan: number };
  concurrency: { levels: number[]; durationMs: number };
  writer: { commits: number; maxDurationMs: number; bulkRows: number };
  /** The mixed write-heavy workload, run once per journal mode; a fixed amount of work, no time cap. */
  mixed: MixedWorkloadSize;
  raw: { chunkSizeBytes: number; parallelism: number; smallOps: number; putSizes: number[]; putTotalBytes: number };
  /** The plain file of the cold-cat workload (and the object of the curl ceiling). */
  plainFileBytes: number;
  /** The curl ceiling: ranged GET sizes and PUT object sizes, `parallelism` in flight. */
  curl: { rangeSizes: number[]; putSizes: number[]; parallelism: number };
  /** Longest any one child process may run before it is killed and reported n/a. */
  childTimeoutMs: number;
}

export function benchConfig(mode: 'quick' | 'full'): BenchConfig {
  if (mode === 'quick') {
    return {
      mode,
      rows: 100_000,
      seed: 6,
      pointReads: { iterations: 20_000, maxDurationMs: 1_500 },
      openQueryClose: { iterations: 1_000, maxDurationMs: 1_500 },
      coldQuerySamples: 1,
      rangeScans: { iterations: 500, maxDurationMs: 1_500, rowsPerScan: 1_000 },
      concurrency: { levels: [1, 2, 4, 8], durationMs: 1_000 },
      writer: { commits: 100, maxDurationMs: 3_000, bulkRows: 20_000 },
      mixed: { smallInserts: 100, bulkRows: 20_000, smallUpdates: 50, smallDeletes: 50, queries: 200 },
      raw: { chunkSizeBytes: 1 << 20, parallelism: 8, smallOps: 20, putSizes: [1 << 20, 8 << 20], putTotalBytes: 64 << 20 },
      plainFileBytes: 64 << 20,
      curl: { rangeSizes: [1 << 20, 8 << 20], putSizes: [1 << 20, 8 << 20], parallelism: 8 },
      childTimeoutMs: 60_000,
    };
  }
  return {
    mode,
    rows: 1_000_000,
    seed: 6,
    pointReads: { iterations: 100_000, maxDurationMs: 10_000 },
    openQueryClose: { iterations: 5_000, maxDurationMs: 10_000 },
    coldQuerySamples: 3,
    rangeScans: { iterations: 2_000, maxDurationMs: 10_000, rowsPerScan: 1_000 },
    concurrency: { levels: [1, 2, 4, 8], durationMs: 5_000 },
    writer: { commits: 500, maxDurationMs: 15_000, bulkRows: 100_000 },
    mixed: { smallInserts: 300, bulkRows: 100_000, smallUpdates: 150, smallDeletes: 150, queries: 1_000 },
    raw: { chunkSizeBytes: 1 << 20, parallelism: 8, smallOps: 50, putSizes: [1 << 20, 8 << 20], putTotalBytes: 256 << 20 },
    plainFileBytes: 256 << 20,
    curl: { rangeSizes: [1 << 20, 8 << 20], putSizes: [1 << 20, 8 << 20], parallelism: 8 },
    childTimeoutMs: 300_000,
  };
}
