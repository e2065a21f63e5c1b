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
