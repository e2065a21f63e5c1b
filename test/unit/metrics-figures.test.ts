// The figures `chalkfs status` derives from a daemon's counters (util/metrics.ts,
// util/histogram-quantile.ts), the labels every series carries, and the parsing of
// --metrics-addr (daemon/metrics-server.ts).
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../chalkfs/util/metrics.js';
import { histogramQuantile } from '../../chalkfs/util/histogram-quantile.js';
import { parseListenAddress, scrapeTarget } from '../../chalkfs/daemon/metrics-server.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

describe('histogramQuantile', () => {
  it('interpolates inside the bucket holding the rank, as Prometheus does', () => {
    // 100 observations: 50 at or below 0.1, 90 at or below 0.2, all at or below 1.
    const buckets = [{ le: 0.1, count: 50 }, { le: 0.2, count: 90 }, { le: 1, count: 100 }, { le: Infinity, count: 100 }];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(0.15);
    expect(histogramQuantile(0.99, buckets)).toBeCloseTo(0.2 + 0.8 * 0.9);
  });

  it('answers the last finite bound for ranks in the +Inf bucket, and nothing without observations', () => {
    expect(histogramQuantile(0.99, [{ le: 1, count: 1 }, { le: Infinity, count: 10 }])).toBe(1);
    expect(histogramQuantile(0.99, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])).toBeUndefined();
  });
});

describe('Metrics', () => {
  it('labels every series, process metrics included, with the volume and mode', async () => {
    const metrics = new Metrics();
    metrics.label('db', 'read-only');
    metrics.storeReceivedBytes.inc(10);
    const lines = (await metrics.registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.filter((l) => !/\{(.*,)?volume="db",mode="read-only"(,.*)?\}|\{.*mode="read-only".*volume="db".*\}/.test(l))).toEqual([]);
    expect(lines.some((l) => l.startsWith('process_cpu_seconds_total'))).toBe(true);
    expect(lines.some((l) => /^chalkfs_build_info\{version="\d+\.\d+\.\d+",node_version="v\d+/.test(l))).toBe(true);
  });

  it('summarises cache hit ratio, store p99 and follower lag', async () => {
    const metrics = new Metrics();
    // Nothing yet, and no lag on a mount that never adopted a version (a writer's is never set).
    expect(await metrics.summary()).toEqual({ cacheHitRatio: undefined, storeP99Seconds: undefined, followerLagSeconds: undefined });
    // 10 block reads: 6 in memory, 4 missed it; of those 3 were on disk.
    metrics.cacheLookups.inc({ tier: 'memory', result: 'hit' }, 6);
    metrics.cacheLookups.inc({ tier: 'memory', result: 'miss' }, 4);
    metrics.cacheLookups.inc({ tier: 'disk', result: 'hit' }, 3);
    metrics.cacheLookups.inc({ tier: 'disk', result: 'miss' }, 1);
    for (let i = 0; i < 99; i++) metrics.storeRequests.observe({ op: 'get', result: 'ok' }, 0.003);
    metrics.storeRequests.observe({ op: 'put', result: 'ok' }, 3);
    metrics.adopted(1.5);
    const summary = await metrics.summary();
    expect(summary.cacheHitRatio).toBeCloseTo(0.9);
    // The 99th of 100 observations is in the (0.0025, 0.005] bucket.
    expect(summary.storeP99Seconds).toBeGreaterThan(0.0025);
    expect(summary.storeP99Seconds).toBeLessThanOrEqual(0.005);
    expect(summary.followerLagSeconds).toBe(1.5);
  });

  it('reads dirty bytes, lease state and versions behind from the mount when scraped', async () => {
    const metrics = new Metrics();
    let dirtyBytes = 4096;
    metrics.live = () => ({ dirtyBytes, leaseState: 'unsafe', versionsBehind: 2 });
    let text = await metrics.registry.metrics();
    expect(text).toMatch(/^chalkfs_dirty_bytes 4096$/m);
    expect(text).toMatch(/^chalkfs_lease_state\{state="unsafe"\} 1$/m);
    expect(text).toMatch(/^chalkfs_lease_state\{state="held"\} 0$/m);
    expect(text).toMatch(/^chalkfs_follower_versions_behind 2$/m);
    dirtyBytes = 0;
    text = await metrics.registry.metrics();
    expect(text).toMatch(/^chalkfs_dirty_bytes 0$/m);
  });
});

describe('--metrics-addr', () => {
  it.each([
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }, '127.0.0.1:0'],
    ['0.0.0.0:9570', { host: '0.0.0.0', port: 9570 }, '127.0.0.1:9570'],
    [':9570', { host: '0.0.0.0', port: 9570 }, '127.0.0.1:9570'],
    ['[::1]:9570', { host: '::1', port: 9570 }, '[::1]:9570'],
    ['[::]:9570', { host: '::', port: 9570 }, '[::1]:9570'],
    ['localhost:80', { host: 'localhost', port: 80 }, 'localhost:80'],
  ])('%s listens on %j, scraped at %s', (text, address, target) => {
    expect(parseListenAddress(text)).toEqual(address);
    expect(scrapeTarget(address)).toBe(target);
  });

  it.each(['9570', '127.0.0.1', '127.0.0.1:99999', 'host:port', '::1:9570', ''])('refuses %j as a usage error', (text) => {
    let caught: unknown;
    try {
      parseListenAddress(text);
    } catch (err) {
      caught = err;
    }
    expect(isChalkError(caught, 'config')).toBe(true);
  });
});
