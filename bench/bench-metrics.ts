/*
 * The figures a bench run reports: one definition per row of the results table (issue 6's
 * workloads), a cell type that carries either a value or why it is missing, and how a figure
 * compares with the local-disk baseline. The table, the chart and the target checks all read
 * these definitions, so a metric is added in one place.
 */
import type { TargetName } from './targets/bench-target.js';

/** A figure, or the reason a target could not produce it. */
export type Cell = { value: number; note?: string } | { na: string };

export interface MetricDef {
  id: string;
  workload: number;
  label: string;
  unit: string;
  better: 'lower' | 'higher';
}

/** The rows of the results table, in the order of issue 6. */
export const metricDefs: MetricDef[] = [
  { id: 'point.p50', workload: 1, label: 'warm point read p50', unit: 'µs', better: 'lower' },
  { id: 'point.p95', workload: 1, label: 'warm point read p95', unit: 'µs', better: 'lower' },
  { id: 'point.p99', workload: 1, label: 'warm point read p99', unit: 'µs', better: 'lower' },
  { id: 'ocq.p50', workload: 2, label: 'open→query→close p50', unit: 'µs', better: 'lower' },
  { id: 'ocq.p99', workload: 2, label: 'open→query→close p99', unit: 'µs', better: 'lower' },
  { id: 'cold.total', workload: 3, label: 'cold first query', unit: 'ms', better: 'lower' },
  { id: 'cold.requests', workload: 3, label: 'cold first query store requests', unit: 'req', better: 'lower' },
  { id: 'range.p50', workload: 4, label: 'range scan 1000 rows p50', unit: 'µs', better: 'lower' },
  { id: 'range.p99', workload: 4, label: 'range scan 1000 rows p99', unit: 'µs', better: 'lower' },
  { id: 'scan.cold', workload: 5, label: 'full scan cold', unit: 'MB/s', better: 'higher' },
  { id: 'scan.warm', workload: 5, label: 'full scan warm', unit: 'MB/s', better: 'higher' },
  { id: 'conc.1', workload: 6, label: 'readers ×1', unit: 'QPS', better: 'higher' },
  { id: 'conc.2', workload: 6, label: 'readers ×2', unit: 'QPS', better: 'higher' },
  { id: 'conc.4', workload: 6, label: 'readers ×4', unit: 'QPS', better: 'higher' },
  { id: 'conc.8', workload: 6, label: 'readers ×8', unit: 'QPS', better: 'higher' },
  { id: 'write.p50', workload: 7, label: 'commit 1-row txn p50', unit: 'µs', better: 'lower' },
  { id: 'write.p99', workload: 7, label: 'commit 1-row txn p99', unit: 'µs', better: 'lower' },
  { id: 'write.bulk', workload: 7, label: 'bulk insert', unit: 'rows/s', better: 'higher' },
  { id: 'mixed.delete', workload: 10, label: 'mixed write-heavy, DELETE journal', unit: 'ms', better: 'lower' },
  { id: 'mixed.wal', workload: 10, label: 'mixed write-heavy, WAL', unit: 'ms', better: 'lower' },
  { id: 'install', workload: 0, label: 'copy-in of the database (until durable)', unit: 'MB/s', better: 'higher' },
  { id: 'install.mount', workload: 0, label: 'mount, then unmount, around that copy', unit: 'ms', better: 'lower' },
  { id: 'copyin.plain', workload: 8, label: 'copy-in of the plain file', unit: 'MB/s', better: 'higher' },
  { id: 'cat.cold', workload: 8, label: 'cold cat of the plain file', unit: 'MB/s', better: 'higher' },
  { id: 'cpu.copyin', workload: 9, label: 'daemon CPU, copy-in of the plain file', unit: 'ms/MB', better: 'lower' },
  { id: 'cpu.scan', workload: 9, label: 'daemon CPU, cold full scan', unit: 'ms/MB', better: 'lower' },
  { id: 'cpu.cat', workload: 9, label: 'daemon CPU, cold cat', unit: 'ms/MB', better: 'lower' },
  { id: 'storecpu.copyin', workload: 9, label: 'store (MinIO) CPU, copy-in of the plain file', unit: 'ms/MB', better: 'lower' },
  { id: 'storecpu.scan', workload: 9, label: 'store (MinIO) CPU, cold full scan', unit: 'ms/MB', better: 'lower' },
  { id: 'storecpu.cat', workload: 9, label: 'store (MinIO) CPU, cold cat', unit: 'ms/MB', better: 'lower' },
  { id: 'clientcpu.copyin', workload: 9, label: 'client CPU (cp), copy-in of the plain file', unit: 'ms/MB', better: 'lower' },
  { id: 'clientcpu.scan', workload: 9, label: 'client CPU (SQLite), cold full scan', unit: 'ms/MB', better: 'lower' },
  { id: 'clientcpu.cat', workload: 9, label: 'client CPU (cat), cold cat', unit: 'ms/MB', better: 'lower' },
];

/** Figures that describe a target's cost, not a workload: left out of the peer comparisons. */
export const costMetric = (id: string): boolean => id.startsWith('cpu.') || id.startsWith('storecpu.') || id.startsWith('clientcpu.');

export type TargetCells = Record<string, Cell>;

export interface TargetResult {
  name: TargetName;
  setup: Record<string, string>;
  cells: TargetCells;
  /** Everything measured beyond the table: raw summaries, request counts, timings. */
  details: Record<string, unknown>;
}

export function isValue(cell: Cell | undefined): cell is { value: number; note?: string } {
  return cell !== undefined && 'value' in cell;
}

/**
 * How many times worse than the reference a figure is: value/ref for times, ref/value
 * for rates. 1.00 = equal, 2.00 = twice as slow, 0.50 = twice as fast.
 */
export function slowdown(def: MetricDef, value: number, reference: number): number | undefined {
  if (!(value > 0) || !(reference > 0)) return undefined;
  return def.better === 'lower' ? value / reference : reference / value;
}
