/*
 * How a read-only mount follows a writer: when to look for a newer version (an adaptive
 * schedule, refresh-schedule.ts), how to find the newest consistent one with few store
 * requests, which blocks to fetch before switching to it (adoption-plan.ts), and what the
 * kernel was told about each file (`reported`), so that an open racing an adoption
 * serves the version the kernel sized the file from. The switch itself is the reader's
 * (reader-volume.ts): the follower decides what to adopt and keeps the books.
 */
import type { Logger } from 'pino';
import { ChalkError } from '../util/chalk-error.js';
import type { Metrics } from '../util/metrics.js';
import type { BlockCache } from '../cache/block-cache.js';
import type { VolumeRepository } from '../meta/volume-repository.js';
import type { Namespace } from '../meta/namespace.js';
import type { FileInode, VersionRecord, VolumeConfig } from '../meta/format.js';
import { blocksToHaveBeforeAdopting } from './adoption-plan.js';
import { RefreshSchedule } from './refresh-schedule.js';

/** A follower that saw no new version for this many active intervals (10 s at 250 ms) backs off. */
const idleAfterIntervals = 40;
/** Empty polls between two reads of the head hint (see newestAdoptable). */
const headCheckEvery = 30;
/**
 * New versions a poll probes one by one before it lists instead: a LIST costs 12.5 GETs
 * on S3, and a writer at 10 commits/s leaves 2-3 new versions per 250 ms poll.
 */
const maxProbes = 8;

export interface VersionFollowerOptions {
  repo: VolumeRepository;
  config: VolumeConfig;
  cache: BlockCache;
  logger: Logger;
  metrics?: Metrics;
  clock: () => number;
  refreshIntervalMs: number;
  idleRefreshIntervalMs?: number;
  /** Blocks fetched at once before adopting. */
  fetchConcurrency: number;
  fetchBlock: (hash: string) => Promise<Buffer>;
}

/** The version a reader serves. */
export interface ServedVersion {
  seq: number;
  ns: Namespace;
}

export class VersionFollower {
  /** Versions found inconsistent (never adoptable), so each is read once. */
  private readonly knownInconsistent = new Set<number>();
  /** The newest consistent version found and not adopted yet (the store failed before it could be). */
  private waiting: number | undefined;
  /** The inode each file's last getattr reported, i.e. what the kernel caches. */
  private readonly reported = new Map<number, FileInode>();
  private readonly schedule: RefreshSchedule;
  private emptyPolls = 0;

  constructor(private readonly options: VersionFollowerOptions) {
    const { refreshIntervalMs, idleRefreshIntervalMs, clock } = options;
    this.schedule = new RefreshSchedule(refreshIntervalMs, idleRefreshIntervalMs ?? 4 * refreshIntervalMs, idleAfterIntervals * refreshIntervalMs, clock);
  }

  get adoptionWaiting(): number | undefined {
    return this.waiting;
  }

  /** How long to wait before the next look for a newer version. */
  nextDelayMs(): number {
    return this.schedule.nextDelayMs();
  }

  /** getattr answered `inode` for file `ino`: the kernel now caches that answer. */
  report(ino: number, inode: FileInode): void {
    this.reported.set(ino, inode);
  }

  /** What the kernel was last told about file `ino`, if anything. */
  reportedInode(ino: number): FileInode | undefined {
    return this.reported.get(ino);
  }

  /**
   * The newest consistent version newer than `served`, with the blocks it changed in the
   * files this host uses already fetched; undefined when there is none. Throws when the
   * fetch fails: the reader then keeps serving what it serves.
   */
  async nextVersion(served: ServedVersion): Promise<VersionRecord | undefined> {
    const startedMs = performance.now();
    const record = await this.newestAdoptable(served.seq);
    if (!record || record.seq <= served.seq) return undefined;
    this.waiting = Math.max(record.seq, this.waiting ?? 0);
    const foundMs = performance.now();
    const blocks = await this.fetchBeforeAdopting(served, record);
    this.options.logger.debug({ seq: record.seq, lookMs: Math.round(foundMs - startedMs), blocks, fetchMs: Math.round(performance.now() - foundMs) }, 'found a newer version');
    return record;
  }

  /** The reader now serves `record` (as `ns`). */
  adopted(record: VersionRecord, ns: Namespace): void {
    for (const ino of [...this.reported.keys()]) if (!ns.inodes.has(ino)) this.reported.delete(ino);
    for (const seq of this.knownInconsistent) if (seq <= record.seq) this.knownInconsistent.delete(seq);
    if (this.waiting !== undefined && this.waiting <= record.seq) this.waiting = undefined;
    this.options.metrics?.versionSeq.set(record.seq);
    const lagSeconds = Math.max(0, this.options.clock() - Date.parse(record.createdAt)) / 1000;
    this.options.metrics?.adopted(lagSeconds);
    this.options.logger.debug({ seq: record.seq }, 'adopted a new version');
  }

  /**
   * The newest consistent version newer than this mount's, found with as few requests as
   * the usual cases allow, and no LIST unless more than `maxProbes` versions appeared
   * since the last poll: nothing new costs one GET (of the version after the newest
   * known, a 404); k new versions cost k + 1 GETs (versions are numbered without gaps, so
   * the first miss ends the run and every version between was read). Every
   * `headCheckEvery` empty polls the head hint is read, because versions a follower never
   * saw may have been collected (a mount left behind for longer than the retention): then
   * only a listing finds the newest. While idle the head read replaces that poll's probe,
   * so an idle follower makes exactly one request per poll (a version the hint does not
   * show yet is found by the next probe); while active it comes on top, so the lag stays
   * one active interval.
   */
  private async newestAdoptable(servedSeq: number): Promise<VersionRecord | undefined> {
    const { repo, config } = this.options;
    const known = Math.max(servedSeq, ...this.knownInconsistent);
    const headDue = (this.emptyPolls + 1) % headCheckEvery === 0;
    const next = headDue && this.schedule.idle ? undefined : await repo.probeVersion(config.name, known + 1);
    if (!next) {
      if (++this.emptyPolls % headCheckEvery !== 0) return undefined;
      const head = await repo.readHead(config.name);
      if (!head || head.seq <= known) return undefined;
      this.schedule.sawChange();
    } else {
      this.schedule.sawChange();
      const found = [next];
      while (found.length < maxProbes) {
        const record = await repo.probeVersion(config.name, known + found.length + 1);
        if (!record) return this.newestConsistentOf(found);
        found.push(record);
      }
      this.newestConsistentOf(found);
    }
    return repo.latestConsistent(config.name, servedSeq, this.knownInconsistent);
  }

  /** Of versions read by probing, in order: remembers the inconsistent ones and returns the newest consistent one. */
  private newestConsistentOf(found: VersionRecord[]): VersionRecord | undefined {
    let newest: VersionRecord | undefined;
    for (const record of found) {
      if (record.consistent) newest = record;
      else this.knownInconsistent.add(record.seq);
    }
    if (newest) this.waiting = Math.max(newest.seq, this.waiting ?? 0);
    return newest;
  }

  /**
   * Brings the blocks `record` changed in the files this host is using into the cache
   * (vfs/adoption-plan.ts). If the store fails meanwhile, the mount stays on the version
   * it can serve whole, and the next refresh tries again: during an outage a reader lags
   * instead of failing reads it could answer a moment before.
   */
  private async fetchBeforeAdopting(served: ServedVersion, record: VersionRecord): Promise<number> {
    const { cache, fetchBlock } = this.options;
    const queue = blocksToHaveBeforeAdopting(served.ns.inodes, record.inodes, (hash) => cache.isLocal(hash));
    const blocks = queue.length;
    try {
      const fetchSome = async () => {
        for (let hash = queue.pop(); hash; hash = queue.pop()) await cache.get(hash, fetchBlock);
      };
      await Promise.all(Array.from({ length: Math.min(this.options.fetchConcurrency, queue.length) }, fetchSome));
      return blocks;
    } catch (err) {
      throw new ChalkError('io', `version ${record.seq} of ${this.options.config.name} is not adopted yet: the blocks it changed could not be fetched; serving version ${served.seq}`, { cause: err });
    }
  }
}
