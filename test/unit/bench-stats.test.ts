// The bench's measuring pieces without a run: latency percentiles, seeded keys, MinIO's
// request counters and the Prometheus text parser.
import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from '../../bench/latency-recorder.js';
import { diffCounts, parseRequestCounts } from '../../bench/minio-request-counter.js';
import { countsByLabel, parsePrometheusText } from '../../bench/prometheus-text.js';
import { randomKeys } from '../../chalkfs/util/seeded-random.js';

describe('LatencyRecorder', () => {
  it('reports percentiles in µs from values recorded in ns', () => {
    const rec = new LatencyRecorder();
    for (let i = 1; i <= 1000; i++) rec.recordNs(i * 1000); // 1..1000 µs
    const s = rec.summary();
    expect(s.count).toBe(1000);
    expect(s.p50Us).toBeCloseTo(500, -1);
    expect(s.p99Us).toBeCloseTo(990, -1);
    expect(s.maxUs).toBeCloseTo(1000, -1);
  });

  it('resolves a 2 µs page-cache read', () => {
    const rec = new LatencyRecorder();
    rec.recordNs(2345);
    expect(rec.summary().p50Us).toBeCloseTo(2.345, 2);
  });
});

describe('randomKeys', () => {
  it('is deterministic and stays within [1, max]', () => {
    const a = randomKeys(6, 100);
    const b = randomKeys(6, 100);
    const xs = Array.from({ length: 1000 }, a);
    expect(xs).toEqual(Array.from({ length: 1000 }, b));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...xs)).toBeLessThanOrEqual(100);
  });
});

describe('MinIO request counts', () => {
  const text = [
    '# HELP minio_api_requests_total Total number of requests',
    'minio_api_requests_total{name="GetObject",server="127.0.0.1:9000",type="s3"} 8',
    'minio_api_requests_total{name="HeadBucket",server="127.0.0.1:9000",type="s3"} 1',
    'minio_api_requests_inflight_total{name="GetObject",server="127.0.0.1:9000",type="s3"} 1',
  ].join('\n');

  it('counts requests started: completed plus in flight', () => {
    expect(parseRequestCounts(text)).toEqual({ getobject: 9, headbucket: 1 });
  });

  it('diffs two readings and totals them', () => {
    expect(diffCounts({ getobject: 5, headbucket: 1 }, { getobject: 8, headbucket: 1, putobject: 2 })).toEqual({ getobject: 3, putobject: 2, total: 5 });
  });
});

describe('Prometheus text', () => {
  it('sums histogram counts by op and skips buckets and sums', () => {
    const samples = parsePrometheusText(
      [
        'chalkfs_store_request_seconds_bucket{le="0.1",op="get",result="ok"} 4',
        'chalkfs_store_request_seconds_sum{op="get",result="ok"} 0.02',
        'chalkfs_store_request_seconds_count{op="get",result="ok"} 4',
        'chalkfs_store_request_seconds_count{op="get",result="error"} 1',
        'chalkfs_store_request_seconds_count{op="list",result="ok"} 9',
      ].join('\n'),
    );
    expect(countsByLabel(samples, /store.*request.*count/, ['op'])).toEqual({ get: 5, list: 9 });
  });
});
