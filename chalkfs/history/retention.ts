// Which versions a volume keeps (pure; docs/FORMAT.md "Garbage"): every version younger
// than the retention window, every snapshot, the newest version and the newest
// consistent one (what writers and readers mount). Everything else may be deleted.
export interface VersionListing {
  seq: number;
  createdAtMs: number;
}

export function versionsToKeep(
  versions: VersionListing[],
  snapshotSeqs: ReadonlySet<number>,
  latestConsistentSeq: number | undefined,
  nowMs: number,
  retentionMs: number,
): Set<number> {
  const keep = new Set<number>();
  const latest = versions.reduce((max, v) => Math.max(max, v.seq), 0);
  for (const v of versions) {
    if (v.seq === latest || v.seq === latestConsistentSeq || snapshotSeqs.has(v.seq) || nowMs - v.createdAtMs <= retentionMs) keep.add(v.seq);
  }
  return keep;
}

/**
 * The version objects gc keeps: each version `keep` names, and the chain it is read from
 * (docs/FORMAT.md, "Delta log"): its checkpoint and every delta from there to it.
 * `checkpointOf` gives a kept version's checkpoint (itself for a full version).
 */
export function withTheirChains(keep: ReadonlySet<number>, checkpointOf: ReadonlyMap<number, number>): Set<number> {
  const objects = new Set<number>();
  for (const seq of keep) {
    const checkpoint = checkpointOf.get(seq);
    if (checkpoint === undefined || checkpoint > seq) throw new Error(`bug: no checkpoint known for kept version ${seq}`);
    for (let s = checkpoint; s <= seq; s++) objects.add(s);
  }
  return objects;
}

/**
 * Blocks gc may delete: named by no kept version and older than the grace period, which
 * protects blocks a commit in flight has uploaded but not yet named in a version.
 */
export function blocksToDelete(
  blocks: { hash: string; lastModifiedMs: number }[],
  referenced: ReadonlySet<string>,
  nowMs: number,
  graceMs: number,
): string[] {
  return blocks.filter((b) => !referenced.has(b.hash) && nowMs - b.lastModifiedMs > graceMs).map((b) => b.hash);
}
