/*
 * The interface every bench target implements, so the same workloads run unchanged on local
 * disk, chalkfs and the FUSE peers.
 */
import type { RequestCounts } from '../minio-request-counter.js';

export type TargetName = 'local' | 'chalkfs' | 's3fs' | 'rclone' | 'fuse-floor';

/** An install's parts: the copy until durable, and the mount and unmount around it (FUSE targets). */
export interface InstallTimes {
  copyMs: number;
  mountMs?: number;
  unmountMs?: number;
}

/**
 * One place the database can live. The read workloads find it at `dbPath`; the writer
 * creates its own database in `writeDir`. Lifecycle: install -> (resetCold | workloads)*
 * -> prepareWrites -> writer -> close. close() must always be safe to call, also after a
 * failure halfway through install.
 */
export interface BenchTarget {
  readonly name: TargetName;
  /** How it was set up (mount options, versions), for the JSON. */
  readonly setup: Record<string, string>;
  readonly dbPath: string;
  readonly writeDir: string;
  /**
   * Puts the seeded database at dbPath, durably (in the store for FUSE targets), and
   * says how long the copy took apart from mounting and unmounting around it.
   */
  install(seedDbPath: string): Promise<InstallTimes>;
  /** Empties every cache between SQLite and the store: the daemon's and the kernel's. */
  resetCold(): Promise<void>;
  /** Makes writeDir writable (chalkfs reads through a read-only mount, writes through a writer mount). */
  prepareWrites(): Promise<void>;
  /**
   * Copies `srcPath` to `name` on the target (read-write, mounting if needed) and returns
   * once it is durable there: in the store for FUSE targets, synced for local disk.
   */
  copyIn(srcPath: string, name: string): Promise<void>;
  /** The processes serving the mount right now (their CPU is the daemon's cost); none for local disk. */
  daemonPids?(): number[];
  /** Store requests as the target's own daemon counts them, when it exports counts. */
  daemonCounts?(): Promise<{ storeRequests?: RequestCounts; fuseOps?: RequestCounts; fuseCacheHits?: RequestCounts } | undefined>;
  close(): Promise<void>;
  /** Problems that did not stop the run (reported in the JSON). */
  readonly warnings?: string[];
}
