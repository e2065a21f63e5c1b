// VolumeRepository (meta/volume-repository.ts) on an in-memory store: creating volumes,
// reading their config, conditional version writes, finding the newest (consistent)
// version, and destroying a volume.
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { encodeMeta, versionFormat, type VersionRecord } from '../../chalkfs/meta/format.js';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { kindOf } from '../support/error-kind.js';

const owner = { uid: 0, gid: 0 };
const writer = { host: 'h', pid: 1, mountId: 'm1' };

function version(volume: string, seq: number, consistent: boolean, files: string[] = []): VersionRecord {
  const ns = Namespace.empty(owner, 1);
  for (const f of files) ns.createFile(f, 0o644, owner, 1);
  return { format: versionFormat, volume, seq, parentSeq: seq - 1, createdAt: new Date(seq).toISOString(), writer, consistent, ...ns.snapshot() };
}

async function setup() {
  const store = new MemoryObjectStore();
  const repo = new VolumeRepository(store);
  await repo.create('vol', 4096, owner, writer, 1000);
  return { store, repo };
}

describe('VolumeRepository', () => {
  it('creates a volume with its config, version 1 and a head', async () => {
    const { store, repo } = await setup();
    expect(await repo.config('vol')).toMatchObject({ name: 'vol', blockSizeBytes: 4096, createdAt: new Date(1000).toISOString() });
    expect(await repo.list()).toEqual(['vol']);
    expect(await repo.latestSeq('vol')).toBe(1);
    const v1 = await repo.readVersion('vol', 1);
    expect(v1).toMatchObject({ seq: 1, parentSeq: 0, consistent: true, writer });
    expect(await repo.readHead('vol')).toMatchObject({ seq: 1, consistentSeq: 1 });
    expect(store.objects.has(storeKeys.volumeConfig('vol'))).toBe(true);
  });

  it('refuses to create a volume twice, and bad names or block sizes', async () => {
    const { repo } = await setup();
    expect(await kindOf(repo.create('vol', 4096, owner, writer))).toBe('exists');
    expect(await kindOf(repo.create('Bad', 4096, owner, writer))).toBe('config');
    for (const size of [0, 2048, 4095, 12288, 128 * 1024 * 1024]) expect(await kindOf(repo.create('other', size, owner, writer))).toBe('config');
  });

  it('config of a missing volume is not-found', async () => {
    const { repo } = await setup();
    expect(await kindOf(repo.config('missing'))).toBe('not-found');
    expect(await kindOf(repo.destroy('missing'))).toBe('not-found');
  });

  it('a corrupt config is corrupt, not not-found', async () => {
    const { store, repo } = await setup();
    store.objects.get(storeKeys.volumeConfig('vol'))!.body = Buffer.from('garbage');
    expect(await kindOf(repo.config('vol'))).toBe('corrupt');
  });

  it('writeVersion is conditional: one writer per sequence number', async () => {
    const { repo } = await setup();
    await repo.writeVersion(version('vol', 2, true));
    expect(await kindOf(repo.writeVersion(version('vol', 2, true, ['/other'])))).toBe('precondition');
    expect(await kindOf(repo.writeEncodedVersion('vol', 2, encodeMeta(versionFormat, version('vol', 2, false))))).toBe('precondition');
    expect((await repo.readVersion('vol', 2)).inodes).toEqual(version('vol', 2, true).inodes);
  });

  it('readVersion rejects a version stored under another number', async () => {
    const { store, repo } = await setup();
    await store.put(storeKeys.version('vol', 5), encodeMeta(versionFormat, version('vol', 4, true)));
    expect(await kindOf(repo.readVersion('vol', 5))).toBe('corrupt');
    expect(await kindOf(repo.readVersion('vol', 6))).toBe('not-found');
  });

  it('latestSeq finds the newest version with a stale, missing or corrupt head hint', async () => {
    const { store, repo } = await setup();
    for (const seq of [2, 3, 4]) await repo.writeVersion(version('vol', seq, seq !== 4));
    expect(await repo.latestSeq('vol')).toBe(4); // head still says 1
    await repo.writeHead('vol', { seq: 3, consistentSeq: 3, updatedAt: 'x' });
    const listsBefore = store.requestCounts.list;
    expect(await repo.latestSeq('vol')).toBe(4);
    expect(store.requestCounts.list).toBe(listsBefore + 1);
    await store.delete(storeKeys.head('vol'));
    expect(await repo.latestSeq('vol')).toBe(4);
    await store.put(storeKeys.head('vol'), Buffer.from('junk'));
    expect(await repo.readHead('vol')).toBeUndefined();
    expect(await repo.latestSeq('vol')).toBe(4);
  });

  it('versionsAfter lists ascending sequence numbers, beyond 9 too', async () => {
    const { repo } = await setup();
    for (let seq = 2; seq <= 12; seq++) await repo.writeVersion(version('vol', seq, true));
    expect(await repo.versionsAfter('vol', 0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(await repo.versionsAfter('vol', 9)).toEqual([10, 11, 12]);
    expect(await repo.latestSeq('vol')).toBe(12);
  });

  it('latestConsistent skips inconsistent versions and honours afterSeq', async () => {
    const { repo } = await setup();
    await repo.writeVersion(version('vol', 2, true, ['/two']));
    await repo.writeVersion(version('vol', 3, false));
    await repo.writeVersion(version('vol', 4, false));
    expect((await repo.latestConsistent('vol'))!.seq).toBe(2);
    expect((await repo.latestConsistent('vol', 1))!.seq).toBe(2);
    expect(await repo.latestConsistent('vol', 2)).toBeUndefined();
    await repo.writeVersion(version('vol', 5, true));
    expect((await repo.latestConsistent('vol', 2))!.seq).toBe(5);
    // A head hint pointing at an older consistent version does not hide newer ones.
    await repo.writeHead('vol', { seq: 2, consistentSeq: 2, updatedAt: 'x' });
    expect((await repo.latestConsistent('vol'))!.seq).toBe(5);
  });

  it('summary counts versions and the latest namespace', async () => {
    const { repo } = await setup();
    await repo.writeVersion(version('vol', 2, true, ['/a', '/b']));
    expect(await repo.summary('vol')).toMatchObject({ name: 'vol', versions: 2, latestSeq: 2, files: 2, directories: 1, sizeBytes: 0 });
  });

  it('destroy deletes every object of the volume and nothing of others', async () => {
    const { store, repo } = await setup();
    await repo.create('volx', 4096, owner, writer);
    await repo.writeVersion(version('vol', 2, true));
    await store.put(storeKeys.block('vol', 'a'.repeat(64)), Buffer.from('x'));
    const count = [...store.objects.keys()].filter((k) => k.startsWith('volumes/vol/')).length;
    expect(await repo.destroy('vol')).toBe(count);
    expect([...store.objects.keys()].filter((k) => k.startsWith('volumes/vol/'))).toEqual([]);
    expect(await repo.list()).toEqual(['volx']);
    expect(await kindOf(repo.config('vol'))).toBe('not-found');
    expect((await repo.config('volx')).name).toBe('volx');
  });
});
