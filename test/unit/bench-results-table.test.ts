// The bench's results table and target checks (bench/results-table.ts, bench/target-checks.ts):
// ratios, footnoted n/a cells, and met or missed targets from fixed figures.
import { describe, expect, it } from 'vitest';
import { metricDefs, slowdown, type TargetResult } from '../../bench/bench-metrics.js';
import { buildTable, formatNumber, renderTable } from '../../bench/results-table.js';
import { checkTargets } from '../../bench/target-checks.js';
import type { RawStoreResult } from '../../bench/raw-store-ceiling.js';

const def = (id: string) => metricDefs.find((d) => d.id === id)!;

function result(name: TargetResult['name'], cells: TargetResult['cells']): TargetResult {
  return { name, setup: {}, cells, details: {} };
}

describe('slowdown', () => {
  it('is value/ref for times and ref/value for rates', () => {
    expect(slowdown(def('point.p50'), 20, 10)).toBe(2);
    expect(slowdown(def('scan.cold'), 50, 100)).toBe(2);
    expect(slowdown(def('scan.cold'), 0, 100)).toBeUndefined();
  });
});

describe('buildTable', () => {
  const results = [
    result('local', { 'point.p50': { value: 10 }, 'scan.cold': { value: 200 } }),
    result('chalkfs', { 'point.p50': { value: 11 }, 'scan.cold': { value: 100 } }),
    result('s3fs', { 'point.p50': { value: 5000 }, 'scan.cold': { na: 'n/a: broke' } }),
  ];

  it('shows values with ratios to local and chalkfs advantage over peers', () => {
    const t = buildTable(results);
    const point = t.rows.find((r) => r[0]!.includes('warm point read p50'))!;
    expect(point.slice(2)).toEqual(['10.0', '11.0 (1.10×)', '5000 (500×)', '455× better']);
  });

  it('keeps an n/a peer in the table with its reason as a footnote', () => {
    const t = buildTable(results);
    const scan = t.rows.find((r) => r[0]!.includes('full scan cold'))!;
    expect(scan[4]).toBe('n/a[1]');
    expect(scan[5]).toBe('peer n/a');
    expect(t.footnotes).toEqual(['n/a: broke']);
    expect(renderTable(t, { markdown: true })).toContain('[1] n/a: broke');
  });
});

describe('checkTargets', () => {
  it('judges point-read ratios against the issue-6 limits', () => {
    const checks = checkTargets(
      [result('local', { 'point.p50': { value: 10 }, 'point.p99': { value: 20 } }), result('chalkfs', { 'point.p50': { value: 13 }, 'point.p99': { value: 30 } })],
      undefined,
      3,
    );
    expect(checks.find((c) => c.target.startsWith('warm point read p50'))!.status).toBe('missed');
    expect(checks.find((c) => c.target.startsWith('warm point read p99'))!.status).toBe('met');
  });
});

describe('checkTargets: peers', () => {
  it('tells a miss that 2× the peer would put beyond a physical bound from one that could be won', () => {
    const raw = { ceilingColdMBps: 300, singleStreamColdMBps: 300, parallelColdMBps: 250, parallelism: 8, chunkSizeBytes: 1 << 20, smallPut: { p50Us: 3000 } } as unknown as RawStoreResult;
    const checks = checkTargets(
      [
        result('local', { 'scan.cold': { value: 600 }, 'write.p50': { value: 700 }, 'range.p50': { value: 1000 } }),
        result('chalkfs', { 'scan.cold': { value: 100 }, 'write.p50': { value: 5000 }, 'range.p50': { value: 1500 } }),
        result('s3fs', { 'scan.cold': { value: 290 }, 'write.p50': { value: 7000 }, 'range.p50': { value: 2000 } }),
      ],
      raw,
      3,
    );
    const peers = checks.find((c) => c.target.startsWith('every workload'))!;
    expect(peers.status).toBe('missed');
    // 2 × 290 MB/s passes the 300 MB/s ceiling; 7000 / 2 µs is under 700 + 3000; 2000 / 2 µs is reachable (local 1000).
    expect(peers.detail).toMatch(/full scan cold vs s3fs: [^;]*beyond the raw GET ceiling 300\) \[out of reach\]/);
    expect(peers.detail).toMatch(/commit 1-row txn p50 vs s3fs: [^;]*beyond local commit \+ one store PUT 3700\) \[out of reach\]/);
    expect(peers.detail).toMatch(/range scan 1000 rows p50 vs s3fs: 1\.33×(;|$)/);
    expect(peers.detail).toMatch(/2 of the 3 below are out of reach/);
  });
});

describe('formatNumber', () => {
  it('keeps about three significant digits', () => {
    expect([formatNumber(2.346), formatNumber(23.46), formatNumber(234.5)]).toEqual(['2.35', '23.5', '235']);
  });
});
