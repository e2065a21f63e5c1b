// A volume's history, above the repository: snapshots, version listings, restore (a new
// version with an old one's content) and garbage collection (docs/FORMAT.md, "Garbage").
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import { decodeMeta, encodeMeta, namedBlocks, versionFormat, type VersionRecord, type WriterInfo } from '../meta/format.js';
import { storeKeys, seqFromKey } from '../meta/store-keys.js';
import type { VolumeRepository } from '../meta/volume-repository.js';
import { blocksToDelete, versionsToKeep, withTheirChains } from './retention.js';

const snapshotFormat = 'chalkfs-snapshot/1';

export interface SnapshotRecord {
  seq: number;
  label?: string;
  createdAt: string;
}

export interface VersionEntry {
  seq: number;
  createdAt: string;
  consistent: boolean;
  writer: string;
  snapshot?: string;
  /** What made the version when not a mount's commit: "restore of N", "clone of SRC@N". */
  label?: string;
}

export interface GcResult {
  versionsKept: number;
  versionsDeleted: number;
  blocksKept: number;
  blocksDeleted: number;
  bytesFreed: number;
}

/** Snapshots, version listings, restore and garbage collection of one volume's history. */
export class VolumeHistory {
  constructor(private readonly repo: VolumeRepository) {}

  async snapshot(volume: string, label: string | undefined): Promise<SnapshotRecord> {
    await this.repo.config(volume);
    const record = await this.repo.latestConsistent(volume);
    if (!record) throw new ChalkError('corrupt', `volume ${volume} has no consistent version to snapshot`);
    const snapshot: SnapshotRecord = { seq: record.seq, label, createdAt: new Date().toISOString() };
    await this.repo.store.put(storeKeys.snapshot(volume, record.seq), encodeMeta(snapshotFormat, snapshot));
    return snapshot;
  }

  async snapshots(volume: string): Promise<Map<number, SnapshotRecord>> {
    const out = new Map<number, SnapshotRecord>();
    for (const obj of await this.repo.store.list(storeKeys.snapshotsPrefix(volume))) {
      const { body } = await this.repo.store.get(obj.key);
      const snap = decodeMeta<SnapshotRecord>(snapshotFormat, body, obj.key);
      out.set(snap.seq, snap);
    }
    return out;
  }

  async versions(volume: string): Promise<VersionEntry[]> {
    await this.repo.config(volume);
    const snapshots = await this.snapshots(volume);
    const out: VersionEntry[] = [];
    for (const seq of await this.repo.versionsAfter(volume, 0)) {
      const r = await this.repo.readVersion(volume, seq);
      out.push({ seq, createdAt: r.createdAt, consistent: r.consistent, writer: `${r.writer.host} pid ${r.writer.pid}`, snapshot: snapshots.get(seq)?.label ?? (snapshots.has(seq) ? '' : undefined), label: r.label });
    }
    return out;
  }

  /**
   * Makes the content of `seq` the newest version (history is kept: restore is itself a
   * commit). The caller must hold the writer lease, so no mount writes meanwhile.
   */
  async restore(volume: string, seq: number, writer: WriterInfo): Promise<number> {
    let old: VersionRecord;
    try {
      old = await this.repo.readVersion(volume, seq);
    } catch (err) {
      if (isChalkError(err, 'not-found')) throw new ChalkError('not-found', `volume ${volume} has no version ${seq} (it may have been garbage-collected)`, { cause: err });
      throw err;
    }
    const latest = await this.repo.latestSeq(volume);
    const restored: VersionRecord = { ...old, format: versionFormat, seq: latest + 1, parentSeq: latest, createdAt: new Date().toISOString(), writer, consistent: true, label: `restore of ${seq}` };
    await this.repo.writeVersion(restored);
    await this.repo.writeHead(volume, { seq: restored.seq, consistentSeq: restored.seq, updatedAt: restored.createdAt });
    return restored.seq;
  }

  /**
   * `onProgress(done, total)` hears each version read and each object deleted, once the
   * listings say how many there will be (a progress bar on a terminal).
   */
  async gc(volume: string, options: { retentionMs: number; graceMs: number; nowMs?: number; dryRun?: boolean; onProgress?: (done: number, total: number) => void }): Promise<GcResult> {
    await this.repo.config(volume);
    const nowMs = options.nowMs ?? Date.now();
    const store = this.repo.store;
    // Blocks are listed before versions: a block a commit names after this listing is
    // either new (inside the grace period) or named by the version it built on, which
    // is the newest and therefore kept.
    const blockObjects = await store.list(storeKeys.blocksPrefix(volume));
    const versionObjects = await store.list(storeKeys.versionsPrefix(volume));
    const listings = versionObjects.map((o) => ({ seq: seqFromKey(o.key)!, createdAtMs: o.lastModified.getTime() })).filter((v) => v.seq !== undefined);
    const snapshots = await this.snapshots(volume);
    const latestConsistent = await this.repo.latestConsistent(volume);
    const retained = versionsToKeep(listings, new Set(snapshots.keys()), latestConsistent?.seq, nowMs, options.retentionMs);
    // Deletions (and the chain members kept versions add) are not known until the kept
    // versions are read: the total grows then.
    let done = 0;
    let total = retained.size;
    const step = () => options.onProgress?.(++done, total);
    // A kept delta needs its chain (its checkpoint and the deltas between) to be read.
    // Every version left in the store keeps its blocks, chain members included: any of
    // them can be mounted pinned, restored or cloned. Versions are read in order, so each
    // one after a checkpoint is rebuilt from the one before it (one GET, one delta), and
    // each once: the kept ones first, then the chain members the kept ones add.
    const referenced = new Set<string>();
    const read = new Set<number>();
    const readBlocks = async (seq: number) => {
      const { record, chain } = await this.repo.readVersionInChain(volume, seq);
      for (const hash of namedBlocks(record)) referenced.add(hash);
      read.add(seq);
      step();
      return chain.checkpointSeq;
    };
    const checkpointOf = new Map<number, number>();
    for (const seq of [...retained].sort((a, b) => a - b)) checkpointOf.set(seq, await readBlocks(seq));
    const keep = withTheirChains(retained, checkpointOf);
    total += [...keep].filter((seq) => !read.has(seq)).length;
    for (const seq of [...keep].sort((a, b) => a - b)) if (!read.has(seq)) await readBlocks(seq);
    const prefix = storeKeys.blocksPrefix(volume);
    const blocks = blockObjects.map((o) => ({ hash: o.key.slice(prefix.length), lastModifiedMs: o.lastModified.getTime(), sizeBytes: o.sizeBytes }));
    const doomed = new Set(blocksToDelete(blocks, referenced, nowMs, options.graceMs));
    const doomedVersions = listings.filter((v) => !keep.has(v.seq));
    if (!options.dryRun) {
      total += doomedVersions.length + doomed.size;
      for (const v of doomedVersions) {
        await store.delete(storeKeys.version(volume, v.seq));
        step();
      }
      for (const hash of doomed) {
        await store.delete(storeKeys.block(volume, hash));
        step();
      }
    }
    return {
      versionsKept: keep.size,
      versionsDeleted: doomedVersions.length,
      blocksKept: blocks.length - doomed.size,
      blocksDeleted: doomed.size,
      bytesFreed: blocks.filter((b) => doomed.has(b.hash)).reduce((sum, b) => sum + b.sizeBytes, 0),
    };
  }
}
