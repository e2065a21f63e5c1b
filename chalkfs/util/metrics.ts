// The daemon's Prometheus metrics (prom-client). One instance per daemon, passed down to
// the layers that count things; a fresh registry each, so tests do not share counters.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
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

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
