// What a volume costs in the store (`chalkfs volume du`): every object under its prefix,
// sorted into categories that add up to the total. Blocks are content-addressed and
// shared between versions, so each block is counted once, under the first category
// that names it: the newest version, then snapshots, then the other versions still
// kept, else unreferenced (garbage gc removes after its grace period). Cost: one LIST
// per 1000 objects and one GET per version (to read its block list); no block is read.
import { namedBlocks } from '../meta/format.js';
import { seqFromKey, storeKeys } from '../meta/store-keys.js';
import type { VolumeRepository } from '../meta/volume-repository.js';
import type { ObjectInfo } from '../store/object-store.js';

export interface UsageBucket {
  objects: number;
  bytes: number;
}

export interface VolumeUsage {
  volume: string;
  latestSeq: number;
  /** Apparent size of the newest version's files (what `du` inside a mount would add up). */
  logicalBytes: number;
  /** Blocks the newest version names. */
  current: UsageBucket;
  /** Blocks snapshotted versions name and the newest does not. */
  snapshots: UsageBucket & { versions: number };
  /** Blocks only other kept versions (inside the retention window, not yet gc'd) name. */
  history: UsageBucket & { versions: number };
  /** Blocks no version names: left by failed commits or overwritten since the last gc. */
  unreferenced: UsageBucket;
  /** Version objects (namespace, block lists, inline patches). */
  versions: UsageBucket;
  /** volume.json, head.json, lease.json, presence and snapshot markers. */
  otherMetadata: UsageBucket;
  total: UsageBucket;
}

export interface VersionBlocks {
  seq: number;
  blocks: ReadonlySet<string>;
}

/** Sorts a volume's listing into usage categories (pure: the listing and block lists are given). */
export function usageOf(volume: string, objects: readonly ObjectInfo[], versions: readonly VersionBlocks[], snapshotSeqs: ReadonlySet<number>, logicalBytes: number): VolumeUsage {
  const bucket = (): UsageBucket => ({ objects: 0, bytes: 0 });
  const add = (b: UsageBucket, o: ObjectInfo) => {
    b.objects++;
    b.bytes += o.sizeBytes;
  };
  const latestSeq = versions.reduce((max, v) => Math.max(max, v.seq), 0);
  const inLatest = versions.find((v) => v.seq === latestSeq)?.blocks ?? new Set<string>();
  const inSnapshots = new Set<string>();
  const inHistory = new Set<string>();
  for (const v of versions) {
    if (v.seq === latestSeq) continue;
    const target = snapshotSeqs.has(v.seq) ? inSnapshots : inHistory;
    for (const hash of v.blocks) target.add(hash);
  }
  const usage: VolumeUsage = {
    volume,
    latestSeq,
    logicalBytes,
    current: bucket(),
    snapshots: { ...bucket(), versions: versions.filter((v) => v.seq !== latestSeq && snapshotSeqs.has(v.seq)).length },
    history: { ...bucket(), versions: versions.filter((v) => v.seq !== latestSeq && !snapshotSeqs.has(v.seq)).length },
    unreferenced: bucket(),
    versions: bucket(),
    otherMetadata: bucket(),
    total: bucket(),
  };
  const blocksPrefix = storeKeys.blocksPrefix(volume);
  const versionsPrefix = storeKeys.versionsPrefix(volume);
  for (const o of objects) {
    add(usage.total, o);
    if (o.key.startsWith(blocksPrefix)) {
      const hash = o.key.slice(blocksPrefix.length);
      add(inLatest.has(hash) ? usage.current : inSnapshots.has(hash) ? usage.snapshots : inHistory.has(hash) ? usage.history : usage.unreferenced, o);
    } else if (o.key.startsWith(versionsPrefix) && seqFromKey(o.key) !== undefined) add(usage.versions, o);
    else add(usage.otherMetadata, o);
  }
  return usage;
}

/** Reads the listing and every kept version's block list, then sorts (see the module comment). */
export async function volumeUsage(repo: VolumeRepository, volume: string, snapshotSeqs: ReadonlySet<number>): Promise<VolumeUsage> {
  await repo.config(volume);
  // Versions first, then the rest: a block a version names was uploaded before it, so it
  // is in the later listing (unless gc removed both meanwhile).
  const seqs = await repo.versionsAfter(volume, 0);
  const versions: VersionBlocks[] = [];
  let logicalBytes = 0;
  for (const seq of seqs) {
    // A version gc deleted after the listing is simply no longer there.
    const record = await repo.probeVersion(volume, seq);
    if (!record) continue;
    versions.push({ seq, blocks: namedBlocks(record) });
    if (seq === seqs.at(-1)) for (const inode of Object.values(record.inodes)) if (inode.type === 'file') logicalBytes += inode.sizeBytes;
  }
  const objects = await repo.store.list(storeKeys.volumePrefix(volume));
  return usageOf(volume, objects, versions, snapshotSeqs, logicalBytes);
}
