// The daemon's Prometheus metrics (prom-client). One instance per daemon, passed down to
// the layers that count things; a fresh registry each, so tests do not share counters.
// Every series carries the mount's `volume` and `mode` (default labels, set once the mode
// is known), so one Prometheus scraping every mount of a host tells them apart.
// docs/METRICS.md lists each metric; a unit test keeps that list and this file equal.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerProcessMetrics } from './process-metrics.js';
import { histogramQuantile } from './histogram-quantile.js';

/** The lease states chalkfs_lease_state reports (one series each, the current one 1). */
export const LEASE_STATES = ['held', 'unsafe', 'fenced', 'none'] as const;
export type LeaseState = (typeof LEASE_STATES)[number];

/** Figures read from the running mount when scraped (not counted as they change). */
export interface LiveFigures {
  dirtyBytes: number;
  leaseState: LeaseState;
  /** Followers: versions found newer than the one served, not adopted yet. */
  versionsBehind?: number;
}

/** What `chalkfs status` shows from the counters: ratios and a percentile. */
export interface MetricsSummary {
  /** Block reads answered by the memory or disk tier, of all block reads; undefined before any. */
  cacheHitRatio?: number;
  /** Store requests' 99th percentile in seconds (all operations), from the histogram buckets. */
  storeP99Seconds?: number;
  /** Followers: seconds between the writer's commit and this mount's adoption, for the last version adopted. */
  followerLagSeconds?: number;
}

export class Metrics {
  readonly registry = new Registry();
  /** Where the scrape-time gauges read the mount's state; set by the daemon once it runs. */
  live: (() => LiveFigures) | undefined;
  /** Whether a version was adopted yet (before that, and on writers, there is no lag to show). */
  private adoptions = 0;

  constructor() {
    registerProcessMetrics(this.registry);
  }

  /** Labels every series with the mount's volume and mode. */
  label(volume: string, mode: string): void {
    this.registry.setDefaultLabels({ volume, mode });
  }
  readonly fuseOps = new Histogram({
    name: 'chalkfs_fuse_op_seconds',
    help: 'FUSE operations served by the daemon, by operation and result',
    labelNames: ['op', 'result'] as const,
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5],
    registers: [this.registry],
  });
  /** Where fuseBindingHits reads its counts (by op) from; set by the FUSE layer when it caches. */
  fuseBindingHitsSource: (() => Record<string, number>) | undefined;
  // The name predates chalkfs's own binding ("native": answered in C); kept for dashboards and the bench.
  readonly fuseBindingHits = new Counter({
    name: 'chalkfs_fuse_native_cache_hits_total',
    help: "FUSE operations answered in C by chalkfs's libfuse 3 binding (attribute cache, shared or no_open opens), without a trip into JavaScript (not in chalkfs_fuse_op_seconds)",
    labelNames: ['op'] as const,
    registers: [this.registry],
    // The count lives in C; read it when scraped rather than on every hit.
    collect: () => {
      const hits = this.fuseBindingHitsSource?.();
      if (hits === undefined) return;
      this.fuseBindingHits.reset();
      for (const [op, count] of Object.entries(hits)) this.fuseBindingHits.inc({ op }, count);
    },
  });
  readonly storeRequests = new Histogram({
    name: 'chalkfs_store_request_seconds',
    help: 'Object store requests, by operation and result',
    labelNames: ['op', 'result'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly cacheLookups = this.counter('chalkfs_cache_lookups_total', 'Block cache lookups by tier and result (hit, miss)', ['tier', 'result']);
  readonly cacheEvictions = this.counter('chalkfs_cache_evictions_total', 'Blocks evicted from a cache tier', ['tier']);
  readonly cacheDiskWritesSkipped = this.counter('chalkfs_cache_disk_writes_skipped_total', 'Blocks not written to the disk tier because its write queue was full (the cache disk slower than blocks arrived)', []);
  readonly cacheBytes = new Gauge({ name: 'chalkfs_cache_bytes', help: 'Bytes held by a cache tier', labelNames: ['tier'] as const, registers: [this.registry] });
  readonly corruptBlocks = this.counter('chalkfs_corrupt_blocks_total', 'Blocks that failed hash verification, by where they were read', ['source']);
  readonly commits = new Histogram({
    name: 'chalkfs_commit_seconds',
    help: 'Version commits (fsync, close, periodic), by result',
    labelNames: ['result'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly versionBytes = new Histogram({
    name: 'chalkfs_version_object_bytes',
    help: 'On a writer: size of each version object written, by kind (delta, full: a checkpoint)',
    labelNames: ['kind'] as const,
    buckets: [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304],
    registers: [this.registry],
  });
  readonly publishLag = new Histogram({
    name: 'chalkfs_publish_lag_seconds',
    help: 'On a reader: time from a version being written to it being adopted',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly versionSeq = new Gauge({
    name: 'chalkfs_version_seq',
    help: 'The volume version this mount serves',
    registers: [this.registry],
  });

  readonly laggingDatabases = new Gauge({
    name: 'chalkfs_lagging_databases',
    help: 'On a follower: open databases kept at an older version because a read transaction held the switch back',
    registers: [this.registry],
  });
  readonly databaseSwitches = new Counter({
    name: 'chalkfs_database_switches_total',
    help: 'On a follower: switches of an open database to the version served, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly storeReceivedBytes = this.counter('chalkfs_store_received_bytes_total', 'Bytes of object bodies read from the store (GET)', []);
  readonly storeSentBytes = this.counter('chalkfs_store_sent_bytes_total', 'Bytes of object bodies written to the store (PUT)', []);
  readonly fuseReadBytes = this.counter('chalkfs_fuse_read_bytes_total', 'Bytes returned to read requests served by the daemon (reads the kernel page cache answered never reach it)', []);
  readonly fuseWrittenBytes = this.counter('chalkfs_fuse_written_bytes_total', 'Bytes accepted from write requests', []);
  readonly cacheCapacity = gauge(this.registry, 'chalkfs_cache_capacity_bytes', 'Configured capacity of a cache tier', ['tier']);
  readonly followerLag = gauge(this.registry, 'chalkfs_follower_lag_seconds', "On a follower: seconds from the writer's commit of the version served to this mount adopting it", []);
  readonly dirtyBytes: Gauge = gauge(this.registry, 'chalkfs_dirty_bytes', 'On a writer: bytes written and not yet in a committed version', [], () => {
    const live = this.live?.();
    if (live) this.dirtyBytes.set(live.dirtyBytes);
  });
  readonly leaseState: Gauge<'state'> = gauge(
    this.registry,
    'chalkfs_lease_state',
    'The writer lease as this mount sees it: 1 for the current state (held; unsafe: not renewed recently enough to write; fenced: lost for good; none: not a writer), 0 for the others',
    ['state'],
    () => {
      const live = this.live?.();
      if (live) for (const state of LEASE_STATES) this.leaseState.set({ state }, state === live.leaseState ? 1 : 0);
    },
  );
  readonly versionsBehind: Gauge = gauge(this.registry, 'chalkfs_follower_versions_behind', 'On a follower: versions the writer committed that this mount found and has not adopted yet', [], () => {
    const behind = this.live?.().versionsBehind;
    if (behind !== undefined) this.versionsBehind.set(behind);
  });

  /** A follower adopted a version committed `lagSeconds` ago. */
  adopted(lagSeconds: number): void {
    this.adoptions++;
    this.publishLag.observe(lagSeconds);
    this.followerLag.set(lagSeconds);
  }

  /** Cache hit ratio, store p99 and follower lag, from the counters so far. */
  async summary(): Promise<MetricsSummary> {
    const lookups = (await this.cacheLookups.get()).values;
    const count = (tier: string, result: string) => lookups.filter((v) => v.labels.tier === tier && v.labels.result === result).reduce((n, v) => n + v.value, 0);
    const reads = count('memory', 'hit') + count('memory', 'miss');
    const byBound = new Map<number, number>();
    for (const v of (await this.storeRequests.get()).values) {
      if (!v.metricName?.endsWith('_bucket')) continue;
      const bound = (v.labels as { le?: string | number }).le;
      const le = bound === '+Inf' ? Infinity : Number(bound);
      byBound.set(le, (byBound.get(le) ?? 0) + v.value);
    }
    const lag = this.adoptions > 0 ? (await this.followerLag.get()).values[0]?.value : undefined;
    return {
      cacheHitRatio: reads > 0 ? (count('memory', 'hit') + count('disk', 'hit')) / reads : undefined,
      storeP99Seconds: histogramQuantile(0.99, [...byBound].map(([le, n]) => ({ le, count: n }))),
      followerLagSeconds: lag,
    };
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}

/** A gauge on `registry`; `collect` runs at each scrape (for figures read rather than counted). */
export function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], collect?: () => void): Gauge<L> {
  return new Gauge({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) });
}
