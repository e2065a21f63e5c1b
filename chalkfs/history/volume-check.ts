// `chalkfs fsck`: verifies what a mount would need to serve every kept version of a
// volume. Every version object decodes (header, checksum, format, links); every block a
// version names exists, is no larger than the block size, and (unless quick) hashes to
// its name; every snapshot marker names a version that exists.
//
// Cost: one LIST per 1000 objects, one GET per version, and, unless quick, one GET of
// every distinct block (the volume's whole stored data, read once: blocks shared by
// versions are read once). Quick mode reads no block: the listing already gives each
// block's existence and size (one LIST per 1000 blocks instead of a HEAD per block).
// A hash mismatch can only be found by reading. The one repair (repairBlocks) puts a lost
// block back from a copy whose hash matches its name.
import { isChalkError } from '../util/chalk-error.js';
import { blockHash, namedBlocks } from '../meta/format.js';
import { seqFromKey, storeKeys } from '../meta/store-keys.js';
import type { VolumeRepository } from '../meta/volume-repository.js';

export type ProblemKind = 'bad-version' | 'missing-block' | 'oversized-block' | 'corrupt-block' | 'bad-snapshot';

export interface CheckProblem {
  kind: ProblemKind;
  /** The block hash, or the version or snapshot key. */
  subject: string;
  /** The versions naming the block (block problems only). */
  namedBy?: number[];
  message: string;
}

export interface CheckResult {
  volume: string;
  quick: boolean;
  versionsChecked: number;
  blocksChecked: number;
  bytesRead: number;
  /** Blocks no version names (not a problem: gc removes them). */
  unreferencedBlocks: number;
  problems: CheckProblem[];
}

const blockReadConcurrency = 8;

export async function checkVolume(repo: VolumeRepository, volume: string, options: { quick: boolean }): Promise<CheckResult> {
  const config = await repo.config(volume);
  const store = repo.store;
  const problems: CheckProblem[] = [];
  // Versions before blocks: every block a listed version names was uploaded before it.
  const versionObjects = await store.list(storeKeys.versionsPrefix(volume));
  const namedBy = new Map<string, number[]>();
  const versionSeqs = new Set<number>();
  for (const o of versionObjects) {
    const seq = seqFromKey(o.key);
    if (seq === undefined) continue;
    try {
      const record = await repo.readVersion(volume, seq);
      versionSeqs.add(seq);
      for (const hash of namedBlocks(record)) namedBy.set(hash, [...(namedBy.get(hash) ?? []), seq]);
    } catch (err) {
      // gc deleted it after the listing; but a delta still there whose chain is not is damage.
      if (isChalkError(err, 'not-found') && !(await store.list(o.key, { limit: 1 })).some((found) => found.key === o.key)) continue;
      problems.push({ kind: 'bad-version', subject: o.key, message: `version ${seq} does not decode: ${(err as Error).message}` });
    }
  }
  const blocksPrefix = storeKeys.blocksPrefix(volume);
  const stored = new Map((await store.list(blocksPrefix)).map((o) => [o.key.slice(blocksPrefix.length), o.sizeBytes]));
  const blockProblem = (kind: ProblemKind, hash: string, what: string) => {
    const seqs = namedBy.get(hash)!;
    problems.push({ kind, subject: hash, namedBy: seqs, message: `block ${hash} ${what} (named by version${seqs.length > 1 ? 's' : ''} ${seqs.join(', ')})` });
  };
  const toRead: string[] = [];
  for (const hash of namedBy.keys()) {
    const sizeBytes = stored.get(hash);
    if (sizeBytes === undefined) blockProblem('missing-block', hash, 'is missing');
    else if (sizeBytes > config.blockSizeBytes) blockProblem('oversized-block', hash, `has ${sizeBytes} bytes, more than the block size ${config.blockSizeBytes}`);
    else if (!options.quick) toRead.push(hash);
  }
  let bytesRead = 0;
  const workers = Array.from({ length: blockReadConcurrency }, async () => {
    for (let hash = toRead.pop(); hash !== undefined; hash = toRead.pop()) {
      try {
        const { body } = await store.get(storeKeys.block(volume, hash));
        bytesRead += body.length;
        const actual = blockHash(body);
        if (actual !== hash) blockProblem('corrupt-block', hash, `is corrupt: its ${body.length} bytes hash to ${actual}`);
      } catch (err) {
        if (!isChalkError(err, 'not-found')) throw err;
        blockProblem('missing-block', hash, 'is missing');
      }
    }
  });
  await Promise.all(workers);
  for (const o of await store.list(storeKeys.snapshotsPrefix(volume))) {
    const seq = seqFromKey(o.key);
    if (seq !== undefined && !versionSeqs.has(seq) && !(await repo.probeVersion(volume, seq).catch(() => undefined))) {
      problems.push({ kind: 'bad-snapshot', subject: o.key, message: `snapshot of version ${seq} names a version that does not exist or does not decode` });
    }
  }
  return {
    volume,
    quick: options.quick,
    versionsChecked: versionSeqs.size,
    blocksChecked: namedBy.size,
    bytesRead,
    unreferencedBlocks: [...stored.keys()].filter((h) => !namedBy.has(h)).length,
    problems: await withoutCollected(repo, volume, problems),
  };
}

/** Where a lost block's bytes may still be: the caller's copy, undefined when it has none. */
export type BlockSource = (hash: string) => Promise<Buffer | undefined>;

/**
 * The one safe repair: a missing or corrupt block is put back from a copy of its content
 * (a host's block cache). A block's name is its content's hash, so a copy that hashes to
 * the name is exactly what was lost, and any writer racing this PUT writes the same bytes.
 * Returns the problems it repaired; nothing else is touched (see the CLI's help for why).
 */
export async function repairBlocks(repo: VolumeRepository, volume: string, problems: readonly CheckProblem[], source: BlockSource): Promise<CheckProblem[]> {
  const repaired: CheckProblem[] = [];
  for (const p of problems) {
    if (p.kind !== 'missing-block' && p.kind !== 'corrupt-block') continue;
    const data = await source(p.subject);
    if (!data || blockHash(data) !== p.subject) continue;
    await repo.store.put(storeKeys.block(volume, p.subject), data);
    repaired.push(p);
  }
  return repaired;
}

/**
 * gc running meanwhile deletes versions and then their blocks: a block problem whose
 * versions are all gone by now is gc's doing, not damage.
 */
async function withoutCollected(repo: VolumeRepository, volume: string, problems: CheckProblem[]): Promise<CheckProblem[]> {
  const stillThere = new Map<number, boolean>();
  const exists = async (seq: number) => {
    if (!stillThere.has(seq)) stillThere.set(seq, (await repo.store.list(storeKeys.version(volume, seq), { limit: 1 })).length > 0);
    return stillThere.get(seq)!;
  };
  const kept: CheckProblem[] = [];
  for (const p of problems) {
    if (!p.namedBy) kept.push(p);
    else {
      const live = [];
      for (const seq of p.namedBy) if (await exists(seq)) live.push(seq);
      if (live.length > 0) kept.push(p);
    }
  }
  return kept.sort((a, b) => a.message.localeCompare(b.message));
}
