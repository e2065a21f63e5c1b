import { isValue, metricDefs, type TargetResult } from './bench-metrics.js';
import type { RawStoreResult } from './raw-store-ceiling.js';
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
  let compared = 0;
  for (const def of metricDefs) {
    if (def.id === 'install' || def.id === 'cold.requests') continue;
    for (const peer of results.filter((r) => r.name === 's3fs' || r.name === 'rclone')) {
      const a = advantage(def, chalk[def.id], peer.cells[def.id]);
      if (a === undefined) continue;
      compared++;
      if (a < 2) misses.push(`${def.label} vs ${peer.name}: ${formatRatio(a)}`);
    }
  }
  out.push({
    target: 'every workload ≥ 2× better than s3fs and rclone',
    status: compared === 0 ? 'not measured' : misses.length ? 'missed' : 'met',
    detail: compared === 0 ? 'no comparable figures' : misses.length ? `${compared - misses.length}/${compared} comparisons ≥ 2×; below: ${misses.join('; ')}` : `all ${compared} comparisons ≥ 2×`,
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
