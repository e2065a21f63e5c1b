/*
 * Judges chalkfs's figures of one run against the targets of issue 6 (met, missed, not
 * measured). A comparison with a peer that no design could win by 2× (2× the peer lies
 * past a physical bound measured in the same run, see physicalBound) is marked out of
 * reach.
 */
import { costMetric, isValue, metricDefs, type Cell, type MetricDef, type TargetResult } from './bench-metrics.js';
import type { CurlCeilingResult } from './curl-store-ceiling.js';
import type { RawStoreResult } from './raw-store-ceiling.js';
import type { StoreFloorResult } from './store-floor-copyin.js';
import { formatSize } from '../chalkfs/util/size.js';
import { advantage, formatNumber, formatRatio } from './results-table.js';

export interface TargetCheck {
  target: string;
  status: 'met' | 'missed' | 'not measured';
  detail: string;
}

/** Judges chalkfs against the targets of issue 6, from this run's figures only. */
export function checkTargets(results: TargetResult[], raw: RawStoreResult | undefined, btreeDepth: number | undefined): TargetCheck[] {
  const local = results.find((r) => r.name === 'local')?.cells ?? {};
  const chalk = results.find((r) => r.name === 'chalkfs')?.cells;
  const out: TargetCheck[] = [];
  const notMeasured = (target: string, why: string): void => void out.push({ target, status: 'not measured', detail: why });
  if (!chalk) {
    notMeasured('all chalkfs targets', 'chalkfs was not run');
    return out;
  }
  const ratioCheck = (target: string, id: string, limit: number): void => {
    const c = chalk[id];
    const l = local[id];
    if (!isValue(c) || !isValue(l)) return notMeasured(target, !isValue(c) ? (c?.na ?? 'missing') : 'local figure missing');
    const ratio = c.value / l.value;
    out.push({
      target,
      status: ratio <= limit ? 'met' : 'missed',
      detail: `${formatNumber(c.value)} vs ${formatNumber(l.value)} µs local = ${formatRatio(ratio)} (limit ${limit}×)`,
    });
  };
  ratioCheck('warm point read p50 within 1.2× local', 'point.p50', 1.2);
  ratioCheck('warm point read p99 within 2× local', 'point.p99', 2);
  ratioCheck('open→query→close p50 within 2× local', 'ocq.p50', 2);

  const req = chalk['cold.requests'];
  if (!isValue(req)) notMeasured('cold first query: store requests ≤ B-tree depth needs', req?.na ?? 'missing');
  else if (btreeDepth === undefined) notMeasured('cold first query: store requests ≤ B-tree depth needs', 'B-tree depth unknown');
  else {
    const needed = btreeDepth + 1; // page 1 (header + schema) and one page per level
    out.push({
      target: 'cold first query: store requests ≤ B-tree depth needs',
      status: req.value <= needed ? 'met' : 'missed',
      detail: `${req.value} requests (${req.note ?? ''}); B-tree depth ${btreeDepth} → ≤ ${needed} pages (header page + ${btreeDepth} levels)`,
    });
  }

  const scan = chalk['scan.cold'];
  if (!isValue(scan) || !raw) notMeasured('cold full scan ≥ 50% of raw GET', !isValue(scan) ? (scan?.na ?? 'missing') : 'raw GET not measured');
  else {
    const share = scan.value / raw.ceilingColdMBps;
    out.push({
      target: 'cold full scan ≥ 50% of raw GET',
      status: share >= 0.5 ? 'met' : 'missed',
      detail: `${formatNumber(scan.value)} MB/s = ${Math.round(share * 100)}% of raw GET ${formatNumber(raw.ceilingColdMBps)} MB/s (cold; single stream ${formatNumber(raw.singleStreamColdMBps)}, ${raw.parallelism}×${raw.chunkSizeBytes >> 20} MiB ${formatNumber(raw.parallelColdMBps)})`,
    });
  }

  const misses: string[] = [];
  const outOfReach: string[] = [];
  let compared = 0;
  for (const def of metricDefs) {
    if (def.id.startsWith('install') || def.id === 'cold.requests' || costMetric(def.id)) continue;
    for (const peer of results.filter((r) => r.name === 's3fs' || r.name === 'rclone')) {
      const peerCell = peer.cells[def.id];
      const a = advantage(def, chalk[def.id], peerCell);
      if (a === undefined || !isValue(peerCell)) continue;
      compared++;
      if (a >= 2) continue;
      const text = `${def.label} vs ${peer.name}: ${formatRatio(a)}`;
      const twice = def.better === 'lower' ? peerCell.value / 2 : peerCell.value * 2;
      const bound = physicalBound(def, local[def.id], raw);
      const beyond = bound && (def.better === 'lower' ? twice < bound.value : twice > bound.value);
      if (beyond) outOfReach.push(`${text} (2× ${peer.name} = ${formatNumber(twice)} ${def.unit}, beyond ${bound.what} ${formatNumber(bound.value)})`);
      else misses.push(text);
    }
  }
  const below = [...misses, ...outOfReach.map((m) => `${m} [out of reach]`)];
  out.push({
    target: 'every workload ≥ 2× better than s3fs and rclone',
    status: compared === 0 ? 'not measured' : below.length ? 'missed' : 'met',
    detail:
      compared === 0
        ? 'no comparable figures'
        : below.length
          ? `${compared - below.length}/${compared} comparisons ≥ 2×; ${outOfReach.length} of the ${below.length} below are out of reach on any design (2× the peer passes a physical bound measured in this run); below: ${below.join('; ')}`
          : `all ${compared} comparisons ≥ 2×`,
  });

  const commit = chalk['write.p50'];
  const localCommit = local['write.p50'];
  if (!isValue(commit) || !isValue(localCommit) || !raw) notMeasured('commit p50 ≤ local + 2 store round trips', !isValue(commit) ? (commit?.na ?? 'missing') : 'reference missing');
  else {
    const rtt = raw.smallPut.p50Us;
    const limit = localCommit.value + 2 * rtt;
    out.push({
      target: 'commit p50 ≤ local + 2 store round trips',
      status: commit.value <= limit ? 'met' : 'missed',
      detail: `${formatNumber(commit.value)} µs vs limit ${formatNumber(limit)} µs (local ${formatNumber(localCommit.value)} + 2 × small PUT p50 ${formatNumber(rtt)})`,
    });
  }
  return out;
}

/** The machine's CPU, for the CPU bounds of the bulk figures. */
export interface CpuBudget {
  cores: number;
  /** CPU per MB of chalkfs's block hash here (bench/hash-cost.ts). */
  hashMsPerMB?: number;
}

/**
 * Issue 16's bulk-bytes targets: copy-in and the cold scan against the raw ceilings (the
 * better of chalkfs's own client and curl, so a slow client cannot lower the bar) and the
 * peers; the cold cat against s3fs. With the machine's CPU, each bulk figure also names
 * the most its cores give at the CPU per MB the daemon and the store spent on it in this
 * run, and its CPU bound: the most they give to any chalkfs, whose daemon costs at least
 * the FUSE floor's, the block hash's and what a lean client (curl) spends moving the same
 * bytes to or from the store, with the client and the store as measured (all share the
 * cores: on this machine CPU is throughput). Each part is the least measured, so the bound
 * errs high, never low: a target past it is out of reach of any chalkfs here.
 */
export function checkBulkTargets(
  results: TargetResult[],
  raw: RawStoreResult | undefined,
  curl: CurlCeilingResult | undefined,
  cpu?: CpuBudget,
  storeFloor?: StoreFloorResult,
): TargetCheck[] {
  const cells = (name: string) => results.find((r) => r.name === name)?.cells ?? {};
  const chalkResult = results.find((r) => r.name === 'chalkfs');
  const chalk = cells('chalkfs');
  const cpuLimits = (figure: 'copyin' | 'scan' | 'cat', target: number): string => {
    const daemon = chalk[`cpu.${figure}`];
    const store = chalk[`storecpu.${figure}`];
    if (!cpu || !isValue(daemon) || !isValue(store)) return '';
    const cores = cpu.cores;
    const now = `; CPU per MB: daemon ${formatNumber(daemon.value)} + store ${formatNumber(store.value)} ms, so ${cores} cores give at most ${formatNumber((cores * 1000) / (daemon.value + store.value))} MB/s`;
    const client = chalk[`clientcpu.${figure}`];
    const floorDaemon = cells('fuse-floor')[`cpu.${figure}`];
    if (!isValue(client) || !isValue(floorDaemon) || cpu.hashMsPerMB === undefined) return now;
    const boundAt = (storeMsPerMB: number, transferMsPerMB: number): number => (cores * 1000) / (client.value + storeMsPerMB + floorDaemon.value + cpu.hashMsPerMB! + transferMsPerMB);
    const verdict = (bound: number): string => `the target, ${formatNumber(target)} MB/s, lies ${target > bound ? 'past' : 'within'} it`;
    const shapes = curlShapes(figure);
    // The daemon's own transfer at chalkfs's request shape is not measured apart: the least curl spent at any shape.
    const transfers = shapes.map((x) => x.transfer).filter((t): t is number => t !== undefined);
    const transfer = transfers.length > 0 ? Math.min(...transfers) : undefined;
    const bound = boundAt(store.value, transfer ?? 0);
    const transferPart = transfer === undefined ? '' : ` + ${figure === 'copyin' ? 'sending to' : 'receiving from'} the store ${formatNumber(transfer)}`;
    const parts = `client ${formatNumber(client.value)} + store ${formatNumber(store.value)} + FUSE floor daemon ${formatNumber(floorDaemon.value)} + SHA-256 ${formatNumber(cpu.hashMsPerMB)}${transferPart} ms/MB`;
    return `${now}; CPU bound: ${cores} cores / (${parts}) = ${formatNumber(bound)} MB/s; ${verdict(bound)}${cheapestStoreBound(figure, shapes, transfer, boundAt, verdict)}`;
  };
  /** curl's request shapes for a figure: the store's CPU per MB at each, and curl's own (its transfer). */
  const curlShapes = (figure: 'copyin' | 'scan' | 'cat'): CurlShape[] =>
    figure === 'copyin'
      ? (curl?.put ?? []).map((p) => ({ what: `${formatSize(p.objectBytes)} PUTs`, cost: p.storeCpuMsPerMB, transfer: p.clientCpuMsPerMB }))
      : (curl?.get ?? []).map((g) => ({ what: `cold ${formatSize(g.rangeBytes)} ranged GETs`, cost: g.coldStoreCpuMsPerMB, transfer: g.coldClientCpuMsPerMB }));
  /**
   * The same bound with the store's cost at the cheapest request shape curl measured in
   * this run (the largest objects or ranges): what no request pattern, packed objects
   * included, could lower further, so a target past it is out of reach of any client here.
   */
  const cheapestStoreBound = (
    figure: 'copyin' | 'scan' | 'cat',
    shapes: readonly CurlShape[],
    leastTransfer: number | undefined,
    boundAt: (storeMsPerMB: number, transferMsPerMB: number) => number,
    verdict: (bound: number) => string,
  ): string => {
    const measured = shapes.filter((x): x is CurlShape & { cost: number } => x.cost !== undefined);
    if (measured.length === 0) return '';
    const cheapest = measured.reduce((a, b) => (b.cost < a.cost ? b : a));
    const fit = figure === 'copyin' ? curl?.putCost : curl?.coldGetCost;
    const model = fit ? ` (the store: ${formatNumber(fit.msPerRequest)} ms per request + ${formatNumber(fit.msPerMB)} ms per MB)` : '';
    // The same least transfer as the bound at chalkfs's shape: each part the least measured.
    const bound = boundAt(cheapest.cost, leastTransfer ?? 0);
    return `; at the store's cheapest shape in this run, curl's ${cheapest.what} at ${formatNumber(cheapest.cost)} ms/MB${model}: ${formatNumber(bound)} MB/s; ${verdict(bound)}`;
  };
  const out: TargetCheck[] = [];
  const putCeiling = Math.max(raw?.ceilingPutMBps ?? 0, ...(curl?.put.map((p) => p.MBps) ?? []));
  const getCeiling = Math.max(raw?.ceilingColdMBps ?? 0, ...(curl?.get.map((g) => g.coldMBps) ?? []));
  const judge = (target: string, id: string, test: (value: number) => { ok: boolean; detail: string } | undefined): void => {
    const c = chalk[id];
    if (!isValue(c)) return void out.push({ target, status: 'not measured', detail: c && 'na' in c ? c.na : 'missing' });
    const r = test(c.value);
    out.push(r ? { target, status: r.ok ? 'met' : 'missed', detail: r.detail } : { target, status: 'not measured', detail: 'reference missing' });
  };
  const peer = (name: string, id: string): number | undefined => {
    const c = cells(name)[id];
    return isValue(c) ? c.value : undefined;
  };
  /** The same figure on the FUSE floor (a C file system in memory, no store), when it ran: what FUSE alone allows here. */
  const floor = (id: string, unit: string): string => {
    const f = peer('fuse-floor', id);
    const l = peer('local', id);
    return f === undefined ? '' : `; the FUSE floor: ${formatNumber(f)} ${unit}${l === undefined ? '' : ` = ${formatRatio(f / l)} local`}`;
  };
  judge('bulk insert ≥ 0.9× local', 'write.bulk', (v) => {
    const local = peer('local', 'write.bulk');
    if (local === undefined) return undefined;
    return { ok: v >= 0.9 * local, detail: `${formatNumber(v)} vs ${formatNumber(local)} rows/s local = ${formatRatio(v / local)}${floor('write.bulk', 'rows/s')}` };
  });
  judge('commit p50 ≤ local + 1 store PUT', 'write.p50', (v) => {
    const local = peer('local', 'write.p50');
    if (local === undefined || !raw) return undefined;
    const limit = local + raw.smallPut.p50Us;
    // What any FUSE file system whose commit waits for one PUT needs: the floor's commit and the PUT.
    const floorCommit = peer('fuse-floor', 'write.p50');
    const least = floorCommit === undefined ? undefined : floorCommit + raw.smallPut.p50Us;
    const leastPart = least === undefined ? '' : `; the FUSE floor's commit + one small PUT p50 = ${formatNumber(least)} µs, and the limit lies ${limit < least ? 'past' : 'within'} it`;
    return { ok: v <= limit, detail: `${formatNumber(v)} µs vs limit ${formatNumber(limit)} µs (local ${formatNumber(local)} + small PUT p50 ${formatNumber(raw.smallPut.p50Us)})${floor('write.p50', 'µs')}${leastPart}` };
  });
  judge('copy-in ≥ 2× s3fs and ≥ 70% of raw PUT', 'copyin.plain', (v) => {
    const s3fs = peer('s3fs', 'copyin.plain');
    if (s3fs === undefined || putCeiling === 0) return undefined;
    const target = Math.max(2 * s3fs, 0.7 * putCeiling);
    return {
      ok: v >= target,
      detail: `${formatNumber(v)} MB/s = ${formatRatio(v / s3fs)} s3fs (${formatNumber(s3fs)}), ${Math.round((100 * v) / putCeiling)}% of raw PUT ${formatNumber(putCeiling)} MB/s${floor('copyin.plain', 'MB/s')}${cpuLimits('copyin', target)}${storeFloorCopyIns(storeFloor, target)}`,
    };
  });
  judge('cold full scan ≥ 70% of raw GET and ≥ 1.5× the best peer', 'scan.cold', (v) => {
    const best = Math.max(peer('s3fs', 'scan.cold') ?? 0, peer('rclone', 'scan.cold') ?? 0);
    if (best === 0 || getCeiling === 0) return undefined;
    const target = Math.max(0.7 * getCeiling, 1.5 * best);
    return { ok: v >= target, detail: `${formatNumber(v)} MB/s = ${Math.round((100 * v) / getCeiling)}% of raw GET ${formatNumber(getCeiling)} MB/s, ${formatRatio(v / best)} the best peer (${formatNumber(best)})${floor('scan.cold', 'MB/s')}${cpuLimits('scan', target)}` };
  });
  /**
   * A mixed run's bound from its commits: each write transaction is in the store before
   * its COMMIT returns (docs/CONSISTENCY.md), one after another from one connection, so no
   * PUT overlaps the next transaction's work. Any FUSE file system doing so takes at least
   * the FUSE floor's time for the same run (SQLite's work and FUSE's round trips, durable
   * nowhere) plus one small PUT per transaction.
   */
  const durableCommits = (id: 'mixed.delete' | 'mixed.wal', journal: 'delete' | 'wal', local: number, target: number): string => {
    const n = mixedTransactions(chalkResult?.details, journal);
    const floorMs = peer('fuse-floor', id);
    if (n === undefined || floorMs === undefined || !raw) return '';
    const bound = floorMs + (n * raw.smallPut.p50Us) / 1000;
    return `; each of its ${n} write transactions is in the store before COMMIT returns: at least the FUSE floor's ${formatNumber(floorMs)} + ${n} × small PUT p50 ${formatNumber(raw.smallPut.p50Us / 1000)} ms = ${formatNumber(bound)} ms = ${formatRatio(bound / local)} local; the target, ${formatNumber(target)} ms, lies ${target < bound ? 'past' : 'within'} it`;
  };
  for (const [mode, id, journal] of [['DELETE', 'mixed.delete', 'delete'], ['WAL', 'mixed.wal', 'wal']] as const) {
    judge(`mixed write-heavy SQLite (${mode}) within 2× local`, id, (v) => {
      const local = peer('local', id);
      if (local === undefined) return undefined;
      return { ok: v <= 2 * local, detail: `${formatNumber(v)} vs ${formatNumber(local)} ms local = ${formatRatio(v / local)}${floor(id, 'ms')}${durableCommits(id, journal, local, 2 * local)}` };
    });
  }
  judge('cold cat of the plain file ≥ 2× s3fs', 'cat.cold', (v) => {
    const s3fs = peer('s3fs', 'cat.cold');
    if (s3fs === undefined) return undefined;
    return { ok: v >= 2 * s3fs, detail: `${formatNumber(v)} MB/s = ${formatRatio(v / s3fs)} s3fs (${formatNumber(s3fs)}); raw GET ${formatNumber(getCeiling)} MB/s${floor('cat.cold', 'MB/s')}${cpuLimits('cat', 2 * s3fs)}` };
  });
  return out;
}

/** One request shape curl measured: the store's CPU per MB at it (`cost`) and curl's own (`transfer`). */
interface CurlShape {
  what: string;
  cost: number | undefined;
  transfer: number | undefined;
}

/** Write transactions of a mixed run in a target's details (run-target-workloads.ts: `details.mixed.<journal>.transactions`). */
function mixedTransactions(details: Record<string, unknown> | undefined, journal: 'delete' | 'wal'): number | undefined {
  const mixed = details?.mixed as Record<string, { transactions?: unknown } | undefined> | undefined;
  const n = mixed?.[journal]?.transactions;
  return typeof n === 'number' ? n : undefined;
}

/**
 * The same copy-in through the store floor (store-floor-copyin.ts: a C daemon that hashes
 * and PUTs, nothing more) at each object size, and where the target lies against the
 * fastest: a measured copy-in, not a sum of parts.
 */
function storeFloorCopyIns(storeFloor: StoreFloorResult | undefined, target: number): string {
  if (!storeFloor || storeFloor.copies.length === 0) return '';
  const perMB = (v: number | undefined) => (v === undefined ? 'n/a' : formatNumber(v));
  const each = storeFloor.copies.map(
    (c) => `${formatSize(c.objectBytes)} objects ${formatNumber(c.MBps)} MB/s (daemon ${perMB(c.daemonCpuMsPerMB)} + store ${perMB(c.storeCpuMsPerMB)} + client ${perMB(c.clientCpuMsPerMB)} ms/MB)`,
  );
  const best = Math.max(...storeFloor.copies.map((c) => c.MBps));
  return `; the store floor (C: hash and PUT, nothing more) in this run: ${each.join(', ')}; the target lies ${target > best ? 'past' : 'within'} its fastest`;
}

/**
 * The best figure any filesystem on this store could reach for a metric, measured in
 * this run: a cold scan cannot pass the raw GET ceiling; a durable commit costs at least
 * the local commit plus one store PUT; nothing beats the local disk it is compared with
 * (reads served from the same kernel page cache at best).
 */
export function physicalBound(def: MetricDef, local: Cell | undefined, raw: RawStoreResult | undefined): { value: number; what: string } | undefined {
  if (def.id === 'scan.cold') return raw ? { value: raw.ceilingColdMBps, what: 'the raw GET ceiling' } : undefined;
  if ((def.id === 'write.p50' || def.id === 'write.p99') && raw && isValue(local)) {
    return { value: local.value + raw.smallPut.p50Us, what: 'local commit + one store PUT' };
  }
  return isValue(local) ? { value: local.value, what: 'local disk' } : undefined;
}
