// `chalkfs volume clone SRC[@VERSION] DST`: a new volume whose first content is one
// version of another. Blocks live under their volume's prefix (docs/FORMAT.md, "Keys"),
// so a clone copies every block the version names (GET, verified against its name, PUT:
// the store's API has no copy here), then writes the version. It is a commit like any
// other: blocks before the version that names them, and `If-None-Match` on the version,
// so a mount of the new volume that committed first makes the clone fail, not fork.
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import { blockHash, namedBlocks, versionFormat, type VersionRecord, type WriterInfo } from '../meta/format.js';
import { storeKeys } from '../meta/store-keys.js';
import type { Owner } from '../meta/namespace.js';
import type { VolumeRepository } from '../meta/volume-repository.js';

export interface CloneResult {
  source: string;
  sourceSeq: number;
  target: string;
  seq: number;
  blocksCopied: number;
  bytesCopied: number;
}

const copyConcurrency = 8;

/** Clones `version` of `source` (default: its newest consistent version) into a new volume `target`. */
export async function cloneVolume(repo: VolumeRepository, source: string, version: number | undefined, target: string, owner: Owner, writer: WriterInfo): Promise<CloneResult> {
  const config = await repo.config(source);
  let from: VersionRecord | undefined;
  try {
    from = version === undefined ? await repo.latestConsistent(source) : await repo.readVersion(source, version);
  } catch (err) {
    if (isChalkError(err, 'not-found')) throw new ChalkError('not-found', `volume ${source} has no version ${version} (it may have been garbage-collected)`, { cause: err });
    throw err;
  }
  if (!from) throw new ChalkError('corrupt', `volume ${source} has no consistent version to clone`);
  await repo.create(target, config.blockSizeBytes, owner, writer);
  const queue = [...namedBlocks(from)];
  let bytesCopied = 0;
  const workers = Array.from({ length: copyConcurrency }, async () => {
    for (let hash = queue.pop(); hash !== undefined; hash = queue.pop()) {
      const { body } = await repo.store.get(storeKeys.block(source, hash));
      if (blockHash(body) !== hash) throw new ChalkError('corrupt', `block ${hash} of ${source} is corrupt (its content hashes to ${blockHash(body)}); run chalkfs fsck ${source}`);
      await repo.store.put(storeKeys.block(target, hash), body);
      bytesCopied += body.length;
    }
  });
  try {
    await Promise.all(workers);
  } catch (err) {
    // Nothing names the copied blocks yet: unless a mount of the new volume has committed
    // meanwhile, the half-made volume goes, so the name is free for another try.
    if ((await repo.latestSeq(target).catch(() => 0)) === 1) await repo.destroy(target).catch(() => undefined);
    throw err;
  }
  const createdAt = new Date().toISOString();
  const record: VersionRecord = { ...from, format: versionFormat, volume: target, seq: 2, parentSeq: 1, createdAt, writer, consistent: true, label: `clone of ${source}@${from.seq}` };
  try {
    await repo.writeVersion(record);
  } catch (err) {
    if (isChalkError(err, 'precondition')) throw new ChalkError('exists', `volume ${target} was committed to while the clone was copying; it holds that commit, not the clone`, { cause: err });
    throw err;
  }
  await repo.writeHead(target, { seq: 2, consistentSeq: 2, updatedAt: createdAt });
  return { source, sourceSeq: from.seq, target, seq: 2, blocksCopied: namedBlocks(from).size, bytesCopied };
}
