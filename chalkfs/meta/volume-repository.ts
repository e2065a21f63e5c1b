/*
 * A volume's metadata in the store: its config, its versions (written with
 * If-None-Match, read and checked), the head hint, and finding the newest (consistent)
 * version. docs/FORMAT.md says what each object holds.
 */
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import type { ObjectStore } from '../store/object-store.js';
import { storeKeys, seqFromKey } from './store-keys.js';
import { Namespace, type Owner } from './namespace.js';
import {
  decodeMeta,
  encodeMeta,
  versionFormat,
  volumeFormat,
  type HeadHint,
  type VersionRecord,
  type VolumeConfig,
  type WriterInfo,
} from './format.js';
import { validateVolumeName } from './volume-name.js';
import { VersionChainReader, type ChainState } from './version-chain.js';

const headFormat = 'chalkfs-head/1';
export const minBlockSizeBytes = 4096;
export const maxBlockSizeBytes = 64 * 1024 * 1024;

export function validateBlockSize(blockSizeBytes: number): number {
  if (!Number.isInteger(blockSizeBytes) || blockSizeBytes < minBlockSizeBytes || blockSizeBytes > maxBlockSizeBytes || (blockSizeBytes & (blockSizeBytes - 1)) !== 0) {
    throw new ChalkError('config', `invalid block size ${blockSizeBytes}: use a power of two from 4KiB to 64MiB`);
  }
  return blockSizeBytes;
}

export interface VolumeSummary {
  name: string;
  blockSizeBytes: number;
  createdAt: string;
  versions: number;
  latestSeq: number;
  files: number;
  directories: number;
  sizeBytes: number;
}

/**
 * Volume-level metadata in the store: the volume config, its versions and the head hint.
 * A version is written with If-None-Match, so for any sequence number at most one
 * writer ever succeeds: that is what makes a commit atomic and un-forkable.
 */
export class VolumeRepository {
  private readonly chains: VersionChainReader;

  constructor(readonly store: ObjectStore) {
    this.chains = new VersionChainReader(store);
  }

  async create(name: string, blockSizeBytes: number, owner: Owner, writer: WriterInfo, nowMs = Date.now()): Promise<VolumeConfig> {
    validateVolumeName(name);
    validateBlockSize(blockSizeBytes);
    const config: VolumeConfig = { format: volumeFormat, name, blockSizeBytes, createdAt: new Date(nowMs).toISOString() };
    try {
      await this.store.put(storeKeys.volumeConfig(name), encodeMeta(volumeFormat, config), { ifNoneMatch: '*' });
    } catch (err) {
      if (isChalkError(err, 'precondition')) throw new ChalkError('exists', `volume ${name} already exists`, { cause: err });
      throw err;
    }
    const { nextIno, inodes } = Namespace.empty(owner, nowMs).snapshot();
    const first: VersionRecord = {
      format: versionFormat,
      volume: name,
      seq: 1,
      parentSeq: 0,
      createdAt: config.createdAt,
      writer,
      consistent: true,
      nextIno,
      inodes,
    };
    await this.writeVersion(first);
    await this.writeHead(name, { seq: 1, consistentSeq: 1, updatedAt: config.createdAt });
    return config;
  }

  async config(name: string): Promise<VolumeConfig> {
    validateVolumeName(name);
    try {
      const { body } = await this.store.get(storeKeys.volumeConfig(name));
      return decodeMeta<VolumeConfig>(volumeFormat, body, storeKeys.volumeConfig(name));
    } catch (err) {
      if (isChalkError(err, 'not-found')) throw new ChalkError('not-found', `volume ${name} does not exist`, { cause: err });
      throw err;
    }
  }

  async list(): Promise<string[]> {
    const prefixes = await this.store.listPrefixes(storeKeys.volumesPrefix);
    return prefixes.map((p) => p.replace(/\/$/, ''));
  }

  /**
   * Writes a version whole (a checkpoint: volume creation, restore, clone);
   * `precondition` means another commit took this sequence number.
   */
  async writeVersion(record: VersionRecord): Promise<void> {
    await this.store.put(storeKeys.version(record.volume, record.seq), encodeMeta(versionFormat, record), { ifNoneMatch: '*' });
  }

  /** Writes a version a writer encoded (meta/version-chain.ts: a delta or a checkpoint). */
  async writeEncodedVersion(volume: string, seq: number, body: Buffer): Promise<void> {
    await this.store.put(storeKeys.version(volume, seq), body, { ifNoneMatch: '*' });
  }

  /** Version `seq` whole: read, or rebuilt from its checkpoint and deltas (docs/FORMAT.md, "Delta log"). */
  async readVersion(volume: string, seq: number): Promise<VersionRecord> {
    return (await this.chains.read(volume, seq)).record;
  }

  /** Version `seq` whole, and where it stands in the delta log (what a writer continuing from it needs). */
  readVersionInChain(volume: string, seq: number): Promise<{ record: VersionRecord; chain: ChainState }> {
    return this.chains.read(volume, seq);
  }

  /** Sequence numbers of versions newer than `afterSeq`, ascending. */
  async versionsAfter(volume: string, afterSeq: number): Promise<number[]> {
    const objects = await this.store.list(storeKeys.versionsPrefix(volume), { startAfter: afterSeq > 0 ? storeKeys.version(volume, afterSeq) : undefined });
    return objects.map((o) => seqFromKey(o.key)).filter((s): s is number => s !== undefined);
  }

  /**
   * Version `seq`, or undefined when there is none: one GET, no LIST. Versions are
   * numbered without gaps (each is created at its parent's number + 1), so a follower at
   * version N learns whether anything is newer by asking for N + 1. (On AWS a missing key
   * is 404 only with s3:ListBucket permission, 403 without: chalkfs needs it anyway.)
   */
  async probeVersion(volume: string, seq: number): Promise<VersionRecord | undefined> {
    try {
      return await this.readVersion(volume, seq);
    } catch (err) {
      if (isChalkError(err, 'not-found')) return undefined;
      throw err;
    }
  }

  async readHead(volume: string): Promise<HeadHint | undefined> {
    try {
      const { body } = await this.store.get(storeKeys.head(volume));
      return decodeMeta<HeadHint>(headFormat, body, storeKeys.head(volume));
    } catch (err) {
      // The head is only a hint: a missing or damaged one costs a longer listing.
      if (isChalkError(err, 'not-found') || isChalkError(err, 'corrupt')) return undefined;
      throw err;
    }
  }

  async writeHead(volume: string, head: HeadHint): Promise<void> {
    await this.store.put(storeKeys.head(volume), encodeMeta(headFormat, head));
  }

  /** The newest version's sequence number, starting from the head hint. */
  async latestSeq(volume: string): Promise<number> {
    const head = await this.readHead(volume);
    const after = await this.versionsAfter(volume, head?.seq ? head.seq - 1 : 0);
    const latest = after.at(-1);
    if (latest === undefined) throw new ChalkError('corrupt', `volume ${volume} has no versions`);
    return latest;
  }

  /**
   * The newest version a reader may adopt: consistent, and newer than `afterSeq` when
   * given (undefined when nothing newer is consistent). Walks back from the newest.
   */
  async latestConsistent(volume: string, afterSeq = 0, knownInconsistent?: Set<number>): Promise<VersionRecord | undefined> {
    if (afterSeq === 0) {
      // The head hint saves listing every version; it is only a hint, so a miss falls through.
      const head = await this.readHead(volume);
      const hinted = head ? await this.newestConsistentAfter(volume, head.consistentSeq - 1, knownInconsistent) : undefined;
      if (hinted) return hinted;
    }
    return this.newestConsistentAfter(volume, afterSeq, knownInconsistent);
  }

  /**
   * Versions are immutable, so one found inconsistent stays so: `knownInconsistent`
   * (the caller's, kept across calls) spares a follower reading every version of a long
   * transaction again at each refresh while the transaction is still open.
   */
  private async newestConsistentAfter(volume: string, afterSeq: number, knownInconsistent?: Set<number>): Promise<VersionRecord | undefined> {
    const seqs = await this.versionsAfter(volume, afterSeq);
    for (let i = seqs.length - 1; i >= 0; i--) {
      if (knownInconsistent?.has(seqs[i]!)) continue;
      const record = await this.readVersion(volume, seqs[i]!);
      if (record.consistent) return record;
      knownInconsistent?.add(record.seq);
    }
    return undefined;
  }

  async summary(name: string): Promise<VolumeSummary> {
    const config = await this.config(name);
    const seqs = await this.versionsAfter(name, 0);
    const latestSeq = seqs.at(-1) ?? 0;
    const latest = latestSeq ? Namespace.fromRecord(await this.readVersion(name, latestSeq)) : undefined;
    const stats = latest?.stats() ?? { files: 0, directories: 0, sizeBytes: 0 };
    return { name, blockSizeBytes: config.blockSizeBytes, createdAt: config.createdAt, versions: seqs.length, latestSeq, ...stats };
  }

  /**
   * Deletes every object of the volume, config last so a half-deleted volume is still
   * seen; `onProgress(done, total)` hears each deletion. Then sweeps once more: a mount
   * still running (`volume rm --force`) may have written its presence again meanwhile,
   * and one that crashed right after would leave it in a volume nobody lists (a mount
   * writes nothing once it has seen the config gone; meta/presence.ts).
   */
  async destroy(name: string, onProgress?: (done: number, total: number) => void): Promise<number> {
    await this.config(name);
    const prefix = storeKeys.volumePrefix(name);
    const objects = await this.store.list(prefix);
    const configKey = storeKeys.volumeConfig(name);
    let deleted = 0;
    const deleteAll = async (keys: string[], total: number) => {
      const queue = [...keys];
      const workers = Array.from({ length: 16 }, async () => {
        for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
          await this.store.delete(key);
          deleted++;
          onProgress?.(deleted, total);
        }
      });
      await Promise.all(workers);
    };
    await deleteAll(objects.map((o) => o.key).filter((k) => k !== configKey), objects.length);
    await this.store.delete(configKey);
    deleted++;
    onProgress?.(deleted, objects.length);
    const stragglers = (await this.store.list(prefix)).map((o) => o.key);
    await deleteAll(stragglers, objects.length + stragglers.length);
    return deleted;
  }
}
