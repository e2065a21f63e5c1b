/*
 * The workload sequence of one target, and how each child's result becomes table cells and
 * details. The workloads themselves run in child processes (run-workload-child.ts); this
 * module decides their order and what each step measures.
 */
import { dirname, join } from 'node:path';
import type { BenchConfig } from './bench-config.js';
import { metricDefs, type Cell, type TargetResult } from './bench-metrics.js';
import { diffCounts, type MinioRequestCounter, type RequestCounts } from './minio-request-counter.js';
import { endedChildrenCpuMs, measureCpu, processCpuMs, type CpuUse } from './process-cpu.js';
import { mbps } from './raw-store-ceiling.js';
import { runCommand } from './system-commands.js';
import { runWorkloadChild } from './run-workload-child.js';
import type { BenchTarget } from './targets/bench-target.js';

export interface RunContext {
  config: BenchConfig;
  counter: MinioRequestCounter;
  seedDbPath: string;
  seedSizeBytes: number;
  /** The plain file of the cold-cat workload, on local disk. */
  plainFilePath: string;
  plainFileBytes: number;
  /** The MinIO server's pid: its CPU is recorded beside the daemon's. */
  storePid?: number;
  /** Called before each step with a short name, for the progress display. */
  step(name: string): void;
  /** The steps to run (install always runs); all of targetSteps when absent. */
  steps?: ReadonlySet<TargetStep>;
}

/** The steps of one target, in run order; the progress bar counts them. */
export const targetSteps = ['install', 'cold query', 'full scan', 'point reads', 'open-query-close', 'range scans', 'concurrent readers', 'writer', 'mixed', 'plain file'] as const;
export type TargetStep = (typeof targetSteps)[number];

/** The steps a `--workloads` list selects, in run order; install is always among them (every other step reads what it installs). */
export function selectSteps(list: string | undefined): TargetStep[] {
  if (!list) return [...targetSteps];
  const asked = new Set(list.split(',').map((s) => s.trim()).filter(Boolean));
  for (const s of asked) if (!(targetSteps as readonly string[]).includes(s)) throw new Error(`unknown workload "${s}" (one of: ${targetSteps.join(', ')})`);
  return targetSteps.filter((s) => s === 'install' || asked.has(s));
}

/**
 * Runs every workload against one target. Order matters: the cold steps remount with
 * empty caches; the full scan that follows the cold scan leaves everything warm for
 * the warm workloads; the writer goes last because it remounts read-write.
 * A failing step becomes "n/a: <reason>" in its cells and the run goes on.
 */
export async function runTargetWorkloads(target: BenchTarget, ctx: RunContext): Promise<TargetResult> {
  const { config } = ctx;
  const cells: Record<string, Cell> = {};
  const details: Record<string, unknown> = {};
  const isLocal = target.name === 'local';
  // Local disk and the FUSE floor keep their bytes without the store: MinIO's figures do not apply.
  const hasStore = !isLocal && target.name !== 'fuse-floor';
  const base = { dbPath: target.dbPath, rows: config.rows, seed: config.seed };
  const timeout = config.childTimeoutMs;
  const daemonPids = (): number[] => target.daemonPids?.() ?? [];
  const wants = (step: TargetStep): boolean => !ctx.steps || ctx.steps.has(step);
  /**
   * The daemon's, MinIO's and the client's CPU over `work`, as cells in ms per MB of
   * `bytes`. The client is the command `work` ran and waited for (cp, cat), unless
   * `clientCpuMs` reads its CPU from the result (a workload child reports its query's own,
   * without Node's start).
   */
  const withCpu = async <T>(
    bytes: number,
    work: () => Promise<T>,
    clientCpuMs?: (result: T) => number,
  ): Promise<{ result: T; cpu: CpuUse | undefined; storeCpuMs: number | undefined; cell: Cell; storeCell: Cell; clientCell: Cell }> => {
    const storeBefore = ctx.storePid ? processCpuMs(ctx.storePid) : undefined;
    const clientBefore = endedChildrenCpuMs();
    const { result, cpu } = await measureCpu(daemonPids, bytes, work);
    const clientMs = clientCpuMs ? clientCpuMs(result) : endedChildrenCpuMs() - clientBefore;
    const storeAfter = ctx.storePid ? processCpuMs(ctx.storePid) : undefined;
    const storeCpuMs = storeBefore !== undefined && storeAfter !== undefined ? storeAfter - storeBefore : undefined;
    const cell: Cell = cpu ? { value: cpu.msPerMB, note: `${cpu.cores.toFixed(2)} cores` } : { na: isLocal ? 'n/a: no daemon' : 'n/a: daemon process not found' };
    const storeCell: Cell = !hasStore ? { na: 'n/a: no object store' } : storeCpuMs !== undefined ? { value: storeCpuMs / (bytes / 1e6) } : { na: 'n/a: store process not found' };
    return { result, cpu, storeCpuMs, cell, storeCell, clientCell: { value: clientMs / (bytes / 1e6) } };
  };

  const attempt = async (ids: string[], fn: () => Promise<void>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (err) {
      const reason = `n/a: ${(err as Error).message.replace(/\s+/g, ' ').slice(0, 300)}`;
      for (const id of ids) cells[id] ??= { na: reason };
      ((details.errors ??= []) as string[]).push(`${ids.join(',')}: ${reason}`);
      return false;
    }
  };

  ctx.step('install');
  const installed = await attempt(['install', 'install.mount'], async () => {
    // The copy is timed until durable; mounting and unmounting around it are a row of
    // their own (for chalkfs they are CLI and daemon start-up, not the bytes' speed).
    const times = await target.install(ctx.seedDbPath);
    cells.install = { value: mbps(ctx.seedSizeBytes, times.copyMs) };
    cells['install.mount'] = times.mountMs === undefined ? { na: 'n/a: no mount' } : { value: times.mountMs + (times.unmountMs ?? 0), note: `mount ${Math.round(times.mountMs)} + unmount ${Math.round(times.unmountMs ?? 0)} ms` };
    details.installMs = times;
  });
  if (!installed) {
    const reason = (cells.install as { na: string }).na;
    return { name: target.name, setup: target.setup, cells: fillAll(cells, `n/a: install failed (${reason.slice(5)})`), details };
  }

  // The warm read steps read through the read-only mount the cold steps leave, every page
  // cached by the full scan. Run without the full scan (--workloads), they first set that
  // up themselves, unmeasured: before, they ran against no mount at all.
  let warm = false;
  const warmUp = async () => {
    if (warm) return;
    await target.resetCold();
    await runWorkloadChild({ kind: 'full-scan', dbPath: target.dbPath }, 'full-scan', timeout);
    warm = true;
  };

  if (wants('cold query')) {
    ctx.step('cold query');
    await attempt(['cold.total', 'cold.requests'], async () => {
      const samples: Array<{ totalUs: number; openUs: number; queryUs: number; requests: RequestCounts & { total: number }; daemon?: unknown }> = [];
      for (let i = 0; i < config.coldQuerySamples; i++) {
        await target.resetCold();
        const daemonBefore = await target.daemonCounts?.();
        const before = await ctx.counter.counts();
        const r = await runWorkloadChild({ kind: 'cold-query', ...base, seed: config.seed + i }, 'cold-query', timeout);
        const requests = diffCounts(before, await ctx.counter.counts());
        const daemonAfter = await target.daemonCounts?.();
        samples.push({ totalUs: r.totalUs, openUs: r.openUs, queryUs: r.queryUs, requests, daemon: daemonDelta(daemonBefore, daemonAfter) });
      }
      const mid = median(samples.map((s) => s.totalUs));
      const chosen = samples.find((s) => s.totalUs === mid)!;
      cells['cold.total'] = { value: mid / 1000 };
      cells['cold.requests'] = !hasStore ? { na: 'n/a: no object store' } : { value: chosen.requests.total, note: formatCounts(chosen.requests) };
      details.coldQuery = samples;
    });
  }

  if (wants('full scan')) {
    ctx.step('full scan');
    await attempt(['scan.cold', 'scan.warm', 'cpu.scan', 'storecpu.scan', 'clientcpu.scan'], async () => {
      await target.resetCold();
      const before = await ctx.counter.counts();
      const daemonBefore = await target.daemonCounts?.();
      const { result: cold, cpu, storeCpuMs, cell, storeCell, clientCell } = await withCpu(
        ctx.seedSizeBytes,
        () => runWorkloadChild({ kind: 'full-scan', dbPath: target.dbPath }, 'full-scan', timeout),
        (scan) => scan.cpuMs,
      );
      const requests = diffCounts(before, await ctx.counter.counts());
      const daemon = daemonDelta(daemonBefore, await target.daemonCounts?.());
      cells['scan.cold'] = { value: mbps(cold.sizeBytes, cold.elapsedMs) };
      cells['cpu.scan'] = cell;
      cells['storecpu.scan'] = storeCell;
      cells['clientcpu.scan'] = clientCell;
      const warmScan = await runWorkloadChild({ kind: 'full-scan', dbPath: target.dbPath }, 'full-scan', timeout);
      warm = true;
      cells['scan.warm'] = { value: mbps(warmScan.sizeBytes, warmScan.elapsedMs) };
      details.fullScan = { cold, warm: warmScan, coldStoreRequests: requests, coldDaemon: daemon, coldDaemonCpu: cpu, coldStoreCpuMs: storeCpuMs };
    });
  }

  if (wants('point reads')) {
    ctx.step('point reads');
    await attempt(['point.p50', 'point.p95', 'point.p99'], async () => {
      await warmUp();
      const daemonBefore = await target.daemonCounts?.();
      const r = await runWorkloadChild({ kind: 'point-reads', ...base, ...config.pointReads }, 'latencies', timeout);
      cells['point.p50'] = { value: r.latency.p50Us };
      cells['point.p95'] = { value: r.latency.p95Us };
      cells['point.p99'] = { value: r.latency.p99Us };
      details.pointReads = { ...r, daemon: daemonDelta(daemonBefore, await target.daemonCounts?.()) };
    });
  }

  if (wants('open-query-close')) {
    ctx.step('open-query-close');
    await attempt(['ocq.p50', 'ocq.p99'], async () => {
      await warmUp();
      const daemonBefore = await target.daemonCounts?.();
      const r = await runWorkloadChild({ kind: 'open-query-close', ...base, ...config.openQueryClose }, 'latencies', timeout);
      cells['ocq.p50'] = { value: r.latency.p50Us };
      cells['ocq.p99'] = { value: r.latency.p99Us };
      details.openQueryClose = { ...r, daemon: daemonDelta(daemonBefore, await target.daemonCounts?.()) };
    });
  }

  if (wants('range scans')) {
    ctx.step('range scans');
    await attempt(['range.p50', 'range.p99'], async () => {
      await warmUp();
      const r = await runWorkloadChild({ kind: 'range-scans', ...base, ...config.rangeScans }, 'latencies', timeout);
      cells['range.p50'] = { value: r.latency.p50Us };
      cells['range.p99'] = { value: r.latency.p99Us };
      details.rangeScans = r;
    });
  }

  if (wants('concurrent readers')) {
    ctx.step('concurrent readers');
    const concurrency: Record<string, unknown> = {};
    for (const n of config.concurrency.levels) {
      await attempt([`conc.${n}`], async () => {
        await warmUp();
        // Node takes ~100 ms to start on 2 cores: the barrier leaves room for all of them.
        const startAtMs = Date.now() + 800 + 200 * n;
        const runs = await Promise.all(
          Array.from({ length: n }, (_, i) =>
            runWorkloadChild({ kind: 'reader-loop', ...base, seed: config.seed + 100 + i, startAtMs, durationMs: config.concurrency.durationMs }, 'reader-loop', timeout),
          ),
        );
        const qps = runs.reduce((sum, r) => sum + r.queries / (r.elapsedMs / 1000), 0);
        cells[`conc.${n}`] = { value: qps };
        concurrency[n] = runs;
      });
    }
    details.concurrentReaders = concurrency;
  }

  if (wants('writer')) {
    ctx.step('writer');
    await attempt(['write.p50', 'write.p99', 'write.bulk'], async () => {
      await target.prepareWrites();
      const before = await ctx.counter.counts();
      const r = await runWorkloadChild(
        { kind: 'writer', dbPath: join(target.writeDir, `writer-${Date.now()}.db`), seed: config.seed, ...config.writer },
        'writer',
        timeout,
      );
      const requests = diffCounts(before, await ctx.counter.counts());
      cells['write.p50'] = { value: r.commit.p50Us, ...(r.commitsStoppedEarly ? { note: `${r.commit.count} commits (time cap)` } : {}) };
      cells['write.p99'] = { value: r.commit.p99Us };
      cells['write.bulk'] = { value: r.bulkRows / (r.bulkMs / 1000) };
      details.writer = { ...r, storeRequests: requests };
    });
  }

  if (wants('mixed')) {
    ctx.step('mixed');
    const mixed: Record<string, unknown> = {};
    for (const journalMode of ['delete', 'wal'] as const) {
      await attempt([`mixed.${journalMode}`], async () => {
        await target.prepareWrites();
        const before = await ctx.counter.counts();
        const dbPath = join(target.writeDir, `mixed-${journalMode}-${Date.now()}.db`);
        const r = await runWorkloadChild({ kind: 'mixed', dbPath, seed: config.seed, journalMode, size: config.mixed }, 'mixed', timeout);
        cells[`mixed.${journalMode}`] = { value: r.totalMs, note: `${r.transactions} write transactions` };
        mixed[journalMode] = { ...r, storeRequests: diffCounts(before, await ctx.counter.counts()) };
      });
    }
    details.mixed = mixed;
  }

  // Last: it remounts (read-write for the copy, then a fresh read-only mount for the cat).
  if (wants('plain file')) {
    ctx.step('plain file');
    const plainName = 'plain.bin';
    const copied = await attempt(['copyin.plain', 'cpu.copyin', 'storecpu.copyin', 'clientcpu.copyin'], async () => {
      await target.prepareWrites(); // mounted before the CPU window opens: the copy alone is measured
      const before = await ctx.counter.counts();
      const start = performance.now();
      const { cpu, storeCpuMs, cell, storeCell, clientCell } = await withCpu(ctx.plainFileBytes, () => target.copyIn(ctx.plainFilePath, plainName));
      cells['copyin.plain'] = { value: mbps(ctx.plainFileBytes, performance.now() - start) };
      cells['cpu.copyin'] = cell;
      cells['storecpu.copyin'] = storeCell;
      cells['clientcpu.copyin'] = clientCell;
      details.plainCopyIn = { cpu, storeCpuMs, storeRequests: diffCounts(before, await ctx.counter.counts()) };
    });
    if (copied) {
      await attempt(['cat.cold', 'cpu.cat', 'storecpu.cat', 'clientcpu.cat'], async () => {
        await target.resetCold();
        const path = join(dirname(target.dbPath), plainName);
        const before = await ctx.counter.counts();
        const daemonBefore = await target.daemonCounts?.();
        const start = performance.now();
        const { cpu, storeCpuMs, cell, storeCell, clientCell } = await withCpu(ctx.plainFileBytes, () => runCommand('sh', ['-c', 'cat "$0" > /dev/null', path], { timeoutMs: timeout }));
        const elapsedMs = performance.now() - start;
        cells['cat.cold'] = { value: mbps(ctx.plainFileBytes, elapsedMs) };
        cells['cpu.cat'] = cell;
        cells['storecpu.cat'] = storeCell;
        cells['clientcpu.cat'] = clientCell;
        details.coldCat = { elapsedMs, cpu, storeCpuMs, storeRequests: diffCounts(before, await ctx.counter.counts()), daemon: daemonDelta(daemonBefore, await target.daemonCounts?.()) };
      });
    }
  }

  if (target.warnings?.length) details.warnings = target.warnings;
  return { name: target.name, setup: target.setup, cells, details };
}

function fillAll(cells: Record<string, Cell>, reason: string): Record<string, Cell> {
  const out = { ...cells };
  for (const def of metricDefs) out[def.id] ??= { na: reason };
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

export function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([k]) => k !== 'total')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

type DaemonCounts = { storeRequests?: RequestCounts; fuseOps?: RequestCounts; fuseCacheHits?: RequestCounts } | undefined;

function daemonDelta(before: DaemonCounts, after: DaemonCounts): DaemonCounts {
  if (!after) return undefined;
  return {
    storeRequests: after.storeRequests ? diffCounts(before?.storeRequests ?? {}, after.storeRequests) : undefined,
    fuseOps: after.fuseOps ? diffCounts(before?.fuseOps ?? {}, after.fuseOps) : undefined,
    fuseCacheHits: after.fuseCacheHits ? diffCounts(before?.fuseCacheHits ?? {}, after.fuseCacheHits) : undefined,
  };
}
