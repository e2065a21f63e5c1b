/*
 * What the parent asks one workload child to do, and what the child answers. Each
 * workload runs in its own process so that no benchmark code shares a process with a
 * FUSE daemon, and so that SQLite's own page cache starts empty for every workload.
 */
import type { LatencySummary } from './latency-recorder.js';
import type { MixedJournalMode, MixedWorkloadResult, MixedWorkloadSize } from './mixed-workload.js';

/** What the parent asks one child process to do. */
export type WorkloadSpec =
  | { kind: 'seed'; dbPath: string; rows: number; seed: number }
  | { kind: 'btree-depth'; dbPath: string }
  | { kind: 'point-reads'; dbPath: string; rows: number; seed: number; iterations: number; maxDurationMs: number }
  | { kind: 'open-query-close'; dbPath: string; rows: number; seed: number; iterations: number; maxDurationMs: number }
  | { kind: 'cold-query'; dbPath: string; rows: number; seed: number }
  | { kind: 'range-scans'; dbPath: string; rows: number; seed: number; iterations: number; maxDurationMs: number; rowsPerScan: number }
  | { kind: 'full-scan'; dbPath: string }
  | { kind: 'reader-loop'; dbPath: string; rows: number; seed: number; startAtMs: number; durationMs: number }
  | { kind: 'writer'; dbPath: string; seed: number; commits: number; maxDurationMs: number; bulkRows: number }
  | { kind: 'mixed'; dbPath: string; seed: number; journalMode: MixedJournalMode; size: MixedWorkloadSize };

/** What the child answers. */
export type WorkloadResult =
  | { kind: 'seed'; rows: number; sizeBytes: number; elapsedMs: number }
  | { kind: 'btree-depth'; depth: number; tablePages: number; pageSizeBytes: number }
  | { kind: 'latencies'; latency: LatencySummary; elapsedMs: number; stoppedEarly: boolean }
  | { kind: 'cold-query'; openUs: number; queryUs: number; closeUs: number; totalUs: number }
  | { kind: 'full-scan'; rows: number; sizeBytes: number; elapsedMs: number; cpuMs: number }
  | { kind: 'reader-loop'; queries: number; elapsedMs: number }
  | { kind: 'writer'; commit: LatencySummary; commitsStoppedEarly: boolean; bulkRows: number; bulkMs: number }
  | MixedWorkloadResult;
