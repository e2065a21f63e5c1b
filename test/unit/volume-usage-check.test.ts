// history/volume-usage.ts (`volume du`), history/volume-check.ts (`fsck`) and
// history/volume-clone.ts (`volume clone`) on an in-memory store: versions written directly, blocks shared between them, a block
// deleted, one overwritten, one oversized, a version damaged.
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { VolumeHistory } from '../../chalkfs/history/volume-history.js';
import { volumeUsage } from '../../chalkfs/history/volume-usage.js';
import { checkVolume, repairBlocks } from '../../chalkfs/history/volume-check.js';
import { cloneVolume } from '../../chalkfs/history/volume-clone.js';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { blockHash, type FileInode, type VersionRecord } from '../../chalkfs/meta/format.js';

const writer = { host: 'h', pid: 1, mountId: 'm' };
const blockSize = 4096;

/** A volume whose version N+1 holds one file of the given blocks (stored as they are given). */
async function volumeWith(versionsBlocks: Buffer[][]) {
  const store = new MemoryObjectStore();
  const repo = new VolumeRepository(store);
  await repo.create('vol', blockSize, { uid: 0, gid: 0 }, writer);
  const first = await repo.readVersion('vol', 1);
  let seq = 1;
  for (const blocks of versionsBlocks) {
    for (const b of blocks) await store.put(storeKeys.block('vol', blockHash(b)), b);
    const file: FileInode = { type: 'file', mode: 0o644, uid: 0, gid: 0, atimeMs: 0, mtimeMs: 0, ctimeMs: 0, sizeBytes: blocks.reduce((s, b) => s + b.length, 0), blocks: blocks.map(blockHash) };
    const root = first.inodes['1']!;
    const record: VersionRecord = { ...first, seq: seq + 1, parentSeq: seq, nextIno: 3, inodes: { '1': root.type === 'dir' ? { ...root, entries: { f: 2 } } : root, '2': file } };
    await repo.writeVersion(record);
    seq++;
  }
  return { store, repo };
}

const fill = (byte: number, size = blockSize) => Buffer.alloc(size, byte);

describe('volume du', () => {
  it('counts a block shared by versions once, under the newest category naming it; categories add up to the total', async () => {
    const a = fill(1);
    const b = fill(2);
    const c = fill(3, 100);
    const { store, repo } = await volumeWith([[a, b], [a, c]]);
    await new VolumeHistory(repo).snapshot('vol', 'first'); // snapshots the newest, version 3
    await store.put(storeKeys.block('vol', blockHash(fill(9, 10))), fill(9, 10)); // garbage
    const u = await volumeUsage(repo, 'vol', new Set([3]));
    expect(u.latestSeq).toBe(3);
    expect(u.logicalBytes).toBe(blockSize + 100);
    expect(u.current).toEqual({ objects: 2, bytes: blockSize + 100 }); // a and c
    expect(u.history).toEqual({ objects: 1, bytes: blockSize, versions: 2 }); // b, named by version 2 only
    expect(u.snapshots).toEqual({ objects: 0, bytes: 0, versions: 0 }); // the snapshot is the newest: counted as current
    expect(u.unreferenced).toEqual({ objects: 1, bytes: 10 });
    expect(u.versions.objects).toBe(3);
    const parts = [u.current, u.history, u.snapshots, u.unreferenced, u.versions, u.otherMetadata];
    expect(parts.reduce((s, p) => s + p.bytes, 0)).toBe(u.total.bytes);
    expect(parts.reduce((s, p) => s + p.objects, 0)).toBe(u.total.objects);
    expect(u.total.objects).toBe(store.objects.size);
  });

  it('puts blocks only a snapshotted old version names under snapshots', async () => {
    const { repo } = await volumeWith([[fill(1)], [fill(2)]]);
    const u = await volumeUsage(repo, 'vol', new Set([2]));
    expect(u.snapshots).toEqual({ objects: 1, bytes: blockSize, versions: 1 });
    expect(u.history.objects).toBe(0);
  });
});

describe('fsck', () => {
  it('finds nothing wrong with an intact volume, and reads every distinct block once', async () => {
    const { store, repo } = await volumeWith([[fill(1), fill(2)], [fill(1), fill(3)]]);
    const r = await checkVolume(repo, 'vol', { quick: false });
    expect(r.problems).toEqual([]);
    expect(r.versionsChecked).toBe(3);
    expect(r.blocksChecked).toBe(3);
    expect(r.bytesRead).toBe(3 * blockSize);
    expect(store.readsByKey.get(storeKeys.block('vol', blockHash(fill(1))))).toBe(1);
  });

  it('reports a deleted block, a corrupted block and an oversized one, one problem each, naming the versions', async () => {
    const { store, repo } = await volumeWith([[fill(1), fill(2)], [fill(1), fill(3)]]);
    await store.delete(storeKeys.block('vol', blockHash(fill(1))));
    await store.put(storeKeys.block('vol', blockHash(fill(2))), fill(7));
    await store.put(storeKeys.block('vol', blockHash(fill(3))), fill(3, blockSize + 1));
    const r = await checkVolume(repo, 'vol', { quick: false });
    expect(r.problems.map((p) => [p.kind, p.subject, p.namedBy])).toEqual(
      expect.arrayContaining([
        ['missing-block', blockHash(fill(1)), [2, 3]],
        ['corrupt-block', blockHash(fill(2)), [2]],
        ['oversized-block', blockHash(fill(3)), [3]],
      ]),
    );
    expect(r.problems).toHaveLength(3);
  });

  it('quick reads no block: it finds missing and oversized blocks, not a corrupted one', async () => {
    const { store, repo } = await volumeWith([[fill(1), fill(2)]]);
    await store.delete(storeKeys.block('vol', blockHash(fill(1))));
    await store.put(storeKeys.block('vol', blockHash(fill(2))), fill(7));
    const before = store.requestCounts.get;
    const r = await checkVolume(repo, 'vol', { quick: true });
    expect(r.problems.map((p) => p.kind)).toEqual(['missing-block']);
    expect(r.bytesRead).toBe(0);
    expect(store.requestCounts.get - before).toBe(1 + 2); // volume.json and the two versions
  });

  it('reports a version that does not decode and a snapshot of a version that is gone', async () => {
    const { store, repo } = await volumeWith([[fill(1)]]);
    const key = storeKeys.version('vol', 2);
    const body = store.objects.get(key)!.body;
    body[body.length - 2] ^= 0xff;
    await store.put(storeKeys.snapshot('vol', 9), Buffer.from('x'));
    const r = await checkVolume(repo, 'vol', { quick: true });
    expect(r.problems.map((p) => [p.kind, p.subject])).toEqual([
      ['bad-snapshot', storeKeys.snapshot('vol', 9)],
      ['bad-version', key],
    ]);
    expect(r.problems[1]!.message).toMatch(/checksum mismatch/);
  });

  it('counts blocks no version names without calling them a problem', async () => {
    const { store, repo } = await volumeWith([[fill(1)]]);
    await store.put(storeKeys.block('vol', blockHash(fill(5))), fill(5));
    const r = await checkVolume(repo, 'vol', { quick: true });
    expect(r.problems).toEqual([]);
    expect(r.unreferencedBlocks).toBe(1);
  });

  it('repair puts back a missing and a corrupt block from a matching copy, and uses no copy that does not match', async () => {
    const { store, repo } = await volumeWith([[fill(1), fill(2), fill(3)]]);
    await store.delete(storeKeys.block('vol', blockHash(fill(1))));
    await store.put(storeKeys.block('vol', blockHash(fill(2))), fill(7));
    await store.delete(storeKeys.block('vol', blockHash(fill(3))));
    const copies = new Map([
      [blockHash(fill(1)), fill(1)],
      [blockHash(fill(2)), fill(2)],
      [blockHash(fill(3)), fill(8)], // a damaged copy
    ]);
    const { problems } = await checkVolume(repo, 'vol', { quick: false });
    const repaired = await repairBlocks(repo, 'vol', problems, async (hash) => copies.get(hash));
    expect(repaired.map((p) => p.subject).sort()).toEqual([blockHash(fill(1)), blockHash(fill(2))].sort());
    const again = await checkVolume(repo, 'vol', { quick: false });
    expect(again.problems.map((p) => [p.kind, p.subject])).toEqual([['missing-block', blockHash(fill(3))]]);
  });
});

describe('volume clone', () => {
  it('copies the blocks of the version it clones into the new volume, whose version 2 has the same content', async () => {
    const { store, repo } = await volumeWith([[fill(1), fill(2)], [fill(3)]]);
    const r = await cloneVolume(repo, 'vol', 2, 'copy', { uid: 0, gid: 0 }, writer);
    expect(r).toEqual({ source: 'vol', sourceSeq: 2, target: 'copy', seq: 2, blocksCopied: 2, bytesCopied: 2 * blockSize });
    const cloned = await repo.readVersion('copy', 2);
    expect(cloned.inodes).toEqual((await repo.readVersion('vol', 2)).inodes);
    expect(cloned.label).toBe('clone of vol@2');
    expect(store.objects.has(storeKeys.block('copy', blockHash(fill(3))))).toBe(false);
    expect((await checkVolume(repo, 'copy', { quick: false })).problems).toEqual([]);
    expect(Namespace.fromRecord(await repo.readVersion('copy', await repo.latestSeq('copy'))).stats().sizeBytes).toBe(2 * blockSize);
  });

  it('without a version clones the newest consistent one; an existing target and a corrupt source block are refused', async () => {
    const { store, repo } = await volumeWith([[fill(1)], [fill(4)]]);
    expect((await cloneVolume(repo, 'vol', undefined, 'copy', { uid: 0, gid: 0 }, writer)).sourceSeq).toBe(3);
    await expect(cloneVolume(repo, 'vol', 3, 'copy', { uid: 0, gid: 0 }, writer)).rejects.toMatchObject({ kind: 'exists' });
    await store.put(storeKeys.block('vol', blockHash(fill(4))), fill(5));
    await expect(cloneVolume(repo, 'vol', 3, 'other', { uid: 0, gid: 0 }, writer)).rejects.toMatchObject({ kind: 'corrupt' });
    expect([...store.objects.keys()].filter((k) => k.startsWith('volumes/other/'))).toEqual([]); // the half-made volume is gone
    await expect(cloneVolume(repo, 'vol', 99, 'third', { uid: 0, gid: 0 }, writer)).rejects.toMatchObject({ kind: 'not-found' });
  });
});
