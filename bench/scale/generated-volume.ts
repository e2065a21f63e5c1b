/*
 * Large volumes for the cost model without moving their bytes (issue 17: commit cost at
 * 10 GiB and 100 GiB): a version naming one file of N blocks, every block the same 1 MiB
 * object, written straight to the store as a checkpoint. Its metadata is what a volume of
 * N distinct blocks has (one 64-hex-digit hash per block; the format does not deduplicate
 * repeated hashes), and it reads back correctly (every block exists), so a writer mounted
 * on it commits exactly as on a volume that size.
 */
import { randomBytes } from 'node:crypto';
import { blockHash, encodeMeta, versionFormat, type DirInode, type FileInode, type VersionRecord } from '../../chalkfs/meta/format.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import type { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';

export interface GeneratedVolume {
  blocks: number;
  /** Encoded bytes of the whole version: what every commit uploaded before the delta log. */
  wholeVersionBytes: number;
}

/** Makes `volume` (created, at version 1) hold `big.bin` of `sizeBytes` as version 2. */
export async function generateLargeVolume(repo: VolumeRepository, volume: string, sizeBytes: number): Promise<GeneratedVolume> {
  const { blockSizeBytes } = await repo.config(volume);
  const blocks = Math.ceil(sizeBytes / blockSizeBytes);
  const block = randomBytes(blockSizeBytes);
  const hash = blockHash(block);
  await repo.store.put(storeKeys.block(volume, hash), block);
  const first = await repo.readVersion(volume, 1);
  const root = first.inodes['1'] as DirInode;
  const ino = first.nextIno;
  const nowMs = Date.now();
  const file: FileInode = { type: 'file', mode: 0o644, uid: 0, gid: 0, atimeMs: nowMs, mtimeMs: nowMs, ctimeMs: nowMs, sizeBytes: blocks * blockSizeBytes, blocks: new Array<string>(blocks).fill(hash) };
  const record: VersionRecord = {
    ...first,
    format: versionFormat,
    seq: 2,
    parentSeq: 1,
    createdAt: new Date(nowMs).toISOString(),
    consistent: true,
    label: `generated: ${blocks} blocks`,
    nextIno: ino + 1,
    inodes: { ...first.inodes, '1': { ...root, entries: { ...root.entries, 'big.bin': ino } }, [String(ino)]: file },
  };
  await repo.writeVersion(record);
  await repo.writeHead(volume, { seq: 2, consistentSeq: 2, updatedAt: record.createdAt });
  return { blocks, wholeVersionBytes: encodeMeta(versionFormat, record).length };
}
