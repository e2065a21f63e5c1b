/*
 * How a volume is mounted: what the daemon passes to openVolume (open-volume.ts). One
 * options type for every mode, so the daemon composes a mount in one call; each volume
 * reads the options that concern it (a reader ignores the writer's, and back).
 */
import type { Logger } from 'pino';
import type { Metrics } from '../util/metrics.js';
import type { BlockCache } from '../cache/block-cache.js';
import type { Owner } from '../meta/namespace.js';
import type { VolumeRepository } from '../meta/volume-repository.js';
import type { VolumeConfig, WriterInfo } from '../meta/format.js';
import type { WriterLease } from '../lease/writer-lease.js';
import type { MountMode } from './volume-view.js';

export interface VolumeOptions {
  repo: VolumeRepository;
  config: VolumeConfig;
  cache: BlockCache;
  mode: MountMode;
  /** For mode 'pinned': the version to serve. */
  pinnedSeq?: number;
  writer: WriterInfo;
  owner: Owner;
  logger: Logger;
  metrics?: Metrics;
  clock?: () => number;
  /** Read-only mounts look for newer versions this often while the volume changes... */
  refreshIntervalMs: number;
  /** ...backing off to this often while it does not (vfs/refresh-schedule.ts); default 4× refreshIntervalMs. */
  idleRefreshIntervalMs?: number;
  /** Read-write mounts commit changes no fsync or close committed after this long. */
  autoCommitMs: number;
  /** Dirty bytes in memory before writes wait for a commit to upload them. */
  dirtyLimitBytes: number;
  readaheadBlocks: number;
  /** Store requests a commit's uploads, or an adoption's fetches, run at once. */
  uploadConcurrency: number;
  /**
   * Small changes to a committed block are stored inline in the version as patches
   * (docs/FORMAT.md) when they cover at most this many bytes of the block; 0 disables.
   */
  maxPatchBytesPerBlock?: number;
  /** Patch bytes a version may carry before commits fold the largest back into blocks. */
  patchBudgetBytes?: number;
  lease?: WriterLease;
  /**
   * How long a commit whose version PUT has an unknown outcome keeps asking the store
   * (while the lease is held) before giving up and fencing the mount; see version-outcome.ts.
   */
  commitOutcomeTimeoutMs?: number;
}
