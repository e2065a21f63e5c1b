/*
 * A volume opened in this process, without FUSE: the store, the repository, the block
 * cache (memory over the disk tier), the writer lease for read-write, and the VolumeView
 * the mode opens (vfs/open-volume.ts) with the tuning every mount uses. The mount daemon
 * serves it through FUSE; `volume export` and `volume import` (chalkfs/transfer) use it
 * directly, so they read and write a volume exactly as a mount would.
 */
import { hostname } from 'node:os';
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import { Metrics } from '../util/metrics.js';
import { VolumeRepository } from '../meta/volume-repository.js';
import type { VolumeConfig, WriterInfo } from '../meta/format.js';
import { InstrumentedObjectStore } from '../store/instrumented-object-store.js';
import { openStore, type StoreSettings } from '../store/store-config.js';
import type { ObjectStore } from '../store/object-store.js';
import { BlockCache } from '../cache/block-cache.js';
import { DiskBlockCache } from '../cache/disk-block-cache.js';
import { WriterLease } from '../lease/writer-lease.js';
import { hostIdentity } from '../host/host-identity.js';
import { processAlive } from '../host/process-liveness.js';
import { openVolume, type MountMode, type Volume } from '../vfs/open-volume.js';

/** How a volume is opened, whatever then serves it (a mount, or a transfer). */
export interface VolumeStackSettings {
  cacheDir: string;
  cacheSizeBytes: number;
  memoryCacheBytes: number;
  settings: StoreSettings;
  logger: Logger;
  refreshIntervalMs: number;
  idleRefreshIntervalMs: number;
  autoCommitMs: number;
  leaseTtlMs: number;
  /** Bytes written but not yet uploaded before a write waits for a commit (default 64 MiB). */
  dirtyLimitBytes?: number;
}

export interface VolumeStackOptions extends VolumeStackSettings {
  volume: string;
  mode: MountMode;
  /** For mode 'pinned': the version (default: the newest consistent one). */
  pinnedSeq?: number;
  /** With a read-write open refused because another writer holds the lease: open read-only instead. */
  fallbackReadOnly: boolean;
}

export interface VolumeStack {
  /** The store as configured; `destroy()` it when done. */
  rawStore: ObjectStore & { destroy(): void };
  /** The same store, counted in `metrics`. */
  store: ObjectStore;
  metrics: Metrics;
  repo: VolumeRepository;
  config: VolumeConfig;
  cache: BlockCache;
  writer: WriterInfo;
  /** The mode opened: 'read-only' when a read-write open fell back. */
  mode: MountMode;
  lease: WriterLease | undefined;
  volume: Volume;
}

/** Opens the volume; on failure, whatever was taken (the lease) is let go. */
export async function openVolumeStack(options: VolumeStackOptions): Promise<VolumeStack> {
  const { logger } = options;
  const metrics = new Metrics();
  const rawStore = await openStore(options.settings);
  const store = new InstrumentedObjectStore(rawStore, metrics);
  const repo = new VolumeRepository(store);
  const config = await repo.config(options.volume);

  mkdirSync(options.cacheDir, { recursive: true });
  const disk = await DiskBlockCache.open(options.cacheDir, options.cacheSizeBytes, logger, {
    onEvict: () => metrics.cacheEvictions.inc({ tier: 'disk' }),
    onCorrupt: () => metrics.corruptBlocks.inc({ source: 'disk' }),
  });
  const cache = new BlockCache(options.memoryCacheBytes, disk, logger, metrics);
  metrics.cacheCapacity.set({ tier: 'memory' }, options.memoryCacheBytes);
  metrics.cacheCapacity.set({ tier: 'disk' }, options.cacheSizeBytes);

  const writer = { host: hostname(), pid: process.pid, mountId: randomUUID() };
  let mode = options.mode;
  let lease: WriterLease | undefined;
  if (mode === 'read-write') {
    try {
      lease = await WriterLease.acquire({
        store,
        volume: options.volume,
        // The host identity lets a taker on this host trust a pid check (lease-rules.ts).
        holder: { ...writer, hostId: hostIdentity() },
        ttlMs: options.leaseTtlMs,
        logger,
        isLocalProcessAlive: processAlive,
      });
    } catch (err) {
      if (!isChalkError(err, 'lease-held') || !options.fallbackReadOnly) throw err;
      logger.warn({ err }, 'falling back to a read-only mount');
      mode = 'read-only';
    }
  }
  metrics.label(options.volume, mode);

  try {
    const pinnedSeq = mode === 'pinned' ? (options.pinnedSeq ?? (await newestConsistentSeq(repo, options.volume))) : undefined;
    const volume = await openVolume({
      repo,
      config,
      cache,
      mode,
      pinnedSeq,
      writer,
      owner: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
      logger,
      metrics,
      refreshIntervalMs: options.refreshIntervalMs,
      idleRefreshIntervalMs: options.idleRefreshIntervalMs,
      autoCommitMs: options.autoCommitMs,
      dirtyLimitBytes: options.dirtyLimitBytes ?? 64 * 1024 * 1024,
      readaheadBlocks: Math.max(1, Math.floor((32 * 1024 * 1024) / config.blockSizeBytes)),
      uploadConcurrency: 8,
      // A one-row SQLite transaction changes a few 4 KiB pages: stored inline, its commit
      // is one version PUT instead of a 1 MiB block PUT and then the version PUT. Limits
      // measured on random small updates (docs/BENCHMARKS.md, "Bulk bytes, part 4"): at
      // 32 KiB per block and 128 KiB per version, most such commits also uploaded whole
      // blocks; these cut the bench's store PUTs by 29 % and its small updates by ~30 %.
      maxPatchBytesPerBlock: Math.min(256 * 1024, config.blockSizeBytes / 4),
      patchBudgetBytes: 1024 * 1024,
      lease,
    });
    return { rawStore, store, metrics, repo, config, cache, writer, mode, lease, volume };
  } catch (err) {
    await lease?.release();
    throw err;
  }
}

async function newestConsistentSeq(repo: VolumeRepository, volume: string): Promise<number> {
  const record = await repo.latestConsistent(volume);
  if (!record) throw new ChalkError('corrupt', `volume ${volume} has no consistent version`);
  return record.seq;
}
