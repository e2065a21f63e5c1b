// The delta log with the rest of a volume's life (docs/FORMAT.md "Delta log"): a volume
// written by the release before it (whole chalkfs-version/3 versions) is read as it is
// and continues as a delta log from its next commit; gc and retention keep every
// checkpoint and delta a kept version is read from, and the blocks of every version
// they leave; pinned mounts and restore rebuild a version from its chain.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeStoredVersion, encodeMeta, versionFormat, type VersionRecord } from '../../chalkfs/meta/format.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { VolumeHistory } from '../../chalkfs/history/volume-history.js';
import { withTheirChains } from '../../chalkfs/history/retention.js';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { checkVolume } from '../../chalkfs/history/volume-check.js';
import { cloneVolume } from '../../chalkfs/history/volume-clone.js';
import { writeChain } from '../support/delta-log-contract.js';
import type { VolumeView } from '../../chalkfs/vfs/volume-view.js';
import { closeTestMounts, newTestVolume } from '../support/test-volume.js';
import { readFile } from '../support/volume-test-helpers.js';

afterEach(closeTestMounts);

const headerOf = (memory: MemoryObjectStore, seq: number) => {
  const body = memory.objects.get(storeKeys.version('vol', seq))!.body;
  return body.subarray(0, body.indexOf(' ')).toString();
};
const stored = (memory: MemoryObjectStore, seq: number) => decodeStoredVersion(memory.objects.get(storeKeys.version('vol', seq))!.body, 'k');

const readAll = async (volume: VolumeView, path: string): Promise<string> => (await readFile(volume, path)).toString();

async function writeFile(volume: VolumeView & { commit(reason: string): Promise<number> }, path: string, text: string): Promise<number> {
  const fh = volume.create(path, 0o644);
  await volume.write(fh, Buffer.from(text), 0);
  volume.release(fh);
  return volume.commit('test');
}

describe('delta log: migration, gc, pinned versions', () => {
  it('a volume of whole /3 versions (the release before) is read as is, and continues as a delta log at its next commit', async () => {
    const { memory, repo, mount } = await newTestVolume();
    // The release before wrote every version whole: write versions 2 and 3 that way.
    const v1 = await repo.readVersion('vol', 1);
    const root = v1.inodes['1']!;
    if (root.type !== 'dir') throw new Error('root');
    const old: VersionRecord[] = [2, 3].map((seq) => ({ ...v1, seq, parentSeq: seq - 1, nextIno: 2 + seq, inodes: { ...v1.inodes, '1': { ...root, entries: Object.fromEntries(Array.from({ length: seq - 1 }, (_, i) => [`dir${i}`, 3 + i])) }, ...Object.fromEntries(Array.from({ length: seq - 1 }, (_, i) => [String(3 + i), { ...root, entries: {} }])) } }));
    for (const record of old) await repo.writeVersion(record);
    expect([1, 2, 3].map((seq) => headerOf(memory, seq))).toEqual([versionFormat, versionFormat, versionFormat]);

    const rw = await mount('read-write');
    expect(rw.readdir('/').sort()).toEqual(expect.arrayContaining(['dir0', 'dir1']));
    const seq = await writeFile(rw, '/new', 'after the upgrade');
    expect(seq).toBe(4);
    const migrated = stored(memory, 4);
    expect(migrated.kind).toBe('delta');
    if (migrated.kind === 'delta') expect(migrated.delta.chain).toMatchObject({ checkpointSeq: 3, length: 1 });

    // A process arriving now reads the old whole versions and the new delta alike.
    const fresh = new VolumeRepository(memory);
    expect(await fresh.readVersion('vol', 3)).toEqual(old[1]);
    const v4 = await fresh.readVersion('vol', 4);
    expect(Object.keys((v4.inodes['1'] as { entries: object }).entries).sort()).toEqual(['dir0', 'dir1', 'new']);
    const ro = await mount('read-only');
    expect(await readAll(ro, '/new')).toBe('after the upgrade');
  });

  it('a /2 checkpoint (before hard links) continued by a delta that links a file is read as the /3 version it is', async () => {
    const { memory, repo, mount } = await newTestVolume();
    const v1 = await repo.readVersion('vol', 1);
    await memory.put(storeKeys.version('vol', 2), encodeMeta('chalkfs-version/2', { ...v1, format: 'chalkfs-version/2', seq: 2, parentSeq: 1 }), { ifNoneMatch: '*' });
    const rw = await mount('read-write');
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, Buffer.from('linked'), 0);
    rw.release(fh);
    rw.link('/f', '/g');
    const seq = await rw.commit('test'); // one delta, on the /2 checkpoint
    expect(stored(memory, seq).kind).toBe('delta');
    const rebuilt = await new VolumeRepository(memory).readVersion('vol', seq);
    expect(rebuilt.format).toBe(versionFormat);
    const ro = await mount('read-only');
    expect(await readAll(ro, '/g')).toBe('linked');
  });

  it('gc keeps the checkpoint and deltas of every kept version, and their blocks; pinned mounts and restore rebuild from them', async () => {
    const { memory, repo, mount } = await newTestVolume();
    const rw = await mount('read-write');
    const texts = Array.from({ length: 12 }, (_, i) => `content ${i} `.repeat(500 + i));
    const seqs: number[] = [];
    const fh = rw.create('/f', 0o644);
    for (const text of texts) {
      await rw.ftruncate(fh, 0);
      await rw.write(fh, Buffer.from(text), 0);
      seqs.push(await rw.commit('test'));
    }
    rw.release(fh);
    await rw.close();
    const history = new VolumeHistory(repo);
    const kinds = seqs.map((seq) => stored(memory, seq).kind);
    expect(kinds.filter((k) => k === 'delta').length).toBeGreaterThan(kinds.length / 2);
    // Snapshot a version in the middle of a chain: gc must keep its checkpoint and the deltas before it.
    const middle = seqs.find((seq, i) => i > 0 && stored(memory, seq).kind === 'delta' && stored(memory, seq - 1).kind === 'delta')!;
    const chainStart = (seq: number) => {
      const s = stored(memory, seq);
      return s.kind === 'full' ? seq : s.delta.chain.checkpointSeq;
    };
    // A snapshot of the middle version (as `chalkfs volume snapshot` writes one), nothing else retained but the newest.
    await memory.put(storeKeys.snapshot('vol', middle), encodeMeta('chalkfs-snapshot/1', { seq: middle, label: 'middle', createdAt: new Date().toISOString() }));
    const latest = seqs.at(-1)!;
    const result = await history.gc('vol', { retentionMs: 0, graceMs: 0, nowMs: Date.now() + 1000 });
    const left = (await repo.versionsAfter('vol', 0)).sort((a, b) => a - b);
    for (const kept of [middle, latest]) for (let s = chainStart(kept); s <= kept; s++) expect(left).toContain(s);
    expect(result.versionsDeleted).toBeGreaterThan(0);

    // Every version left is whole again from a cold start, with its blocks: pinned mounts read it.
    for (const seq of [middle, latest]) {
      const pinned = await mount('pinned', { pinnedSeq: seq });
      expect(await readAll(pinned, '/f')).toBe(texts[seqs.indexOf(seq)]);
    }
    const restored = await history.restore('vol', middle, { host: 'h', pid: 1, mountId: 'restore' });
    expect(headerOf(memory, restored)).toBe(versionFormat); // a restore is written whole: a checkpoint
    const after = await mount('pinned', { pinnedSeq: restored });
    expect(await readAll(after, '/f')).toBe(texts[seqs.indexOf(middle)]);
    // A clone of a version stored as a delta is the version whole, as volume 2 of the copy.
    const cloned = await cloneVolume(repo, 'vol', middle, 'copy', { uid: 0, gid: 0 }, { host: 'h', pid: 1, mountId: 'clone' });
    const copy = await new VolumeRepository(memory).readVersion('copy', cloned.seq);
    expect(copy.inodes).toEqual((await repo.readVersion('vol', middle)).inodes);
    expect(memory.objects.get(storeKeys.version('copy', cloned.seq))!.body.subarray(0, versionFormat.length).toString()).toBe(versionFormat);
  });

  it('fsck reports a delta whose checkpoint is gone as a bad version (damage), not as collected by gc', async () => {
    const store = new MemoryObjectStore();
    await writeChain(store, 8);
    const repo = new VolumeRepository(store);
    const s6 = decodeStoredVersion(store.objects.get(storeKeys.version('vol', 6))!.body, 'k');
    if (s6.kind !== 'delta') throw new Error('version 6 should be a delta');
    await store.delete(storeKeys.version('vol', s6.delta.chain.checkpointSeq));
    const result = await checkVolume(repo, 'vol', { quick: true });
    const bad = result.problems.filter((p) => p.kind === 'bad-version').map((p) => p.subject);
    expect(bad).toContain(storeKeys.version('vol', 6));
    expect(bad).toContain(storeKeys.version('vol', 9));
  });

  it('withTheirChains: a kept version keeps everything from its checkpoint to it', () => {
    const keep = withTheirChains(new Set([7, 12]), new Map([[7, 4], [12, 12]]));
    expect([...keep].sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 12]);
    expect(() => withTheirChains(new Set([3]), new Map())).toThrow(/no checkpoint/);
  });
});
