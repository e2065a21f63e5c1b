// VolumeHistory (history/volume-history.ts) on an in-memory store: gc and restore.
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { VolumeHistory } from '../../chalkfs/history/volume-history.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { BlockCache } from '../../chalkfs/cache/block-cache.js';
import { openVolume } from '../../chalkfs/vfs/open-volume.js';
import type { VolumeView } from '../../chalkfs/vfs/volume-view.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { readFile } from '../support/volume-test-helpers.js';

const writer = { host: 'h', pid: 1, mountId: 'm' };
const owner = { uid: 0, gid: 0 };

async function setup() {
  const store = new MemoryObjectStore();
  const repo = new VolumeRepository(store);
  const config = await repo.create('vol', 4096, owner, writer);
  const open = <M extends 'read-write' | 'pinned'>(mode: M, pinnedSeq?: number) =>
    openVolume({
      repo,
      config,
      cache: new BlockCache(1 << 20, undefined, silentLogger()),
      mode,
      pinnedSeq,
      writer,
      owner,
      logger: silentLogger(),
      refreshIntervalMs: 60_000,
      autoCommitMs: 60_000,
      dirtyLimitBytes: 1 << 30,
      readaheadBlocks: 0,
      uploadConcurrency: 4,
    });
  return { store, repo, open, history: new VolumeHistory(repo) };
}

const readAll = async (volume: VolumeView, path: string): Promise<string> => (await readFile(volume, path)).toString();

const blockKeys = (store: MemoryObjectStore) => [...store.objects.keys()].filter((k) => k.startsWith(storeKeys.blocksPrefix('vol')));

describe('VolumeHistory', () => {
  it('gc removes blocks only old versions named, keeps what the kept versions and snapshots need', async () => {
    const { store, open, history } = await setup();
    const rw = await open('read-write');
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, Buffer.from('first'.repeat(1000)), 0);
    const firstSeq = await rw.commit('test');
    await rw.write(fh, Buffer.from('second'.repeat(1000)), 0);
    await rw.commit('test');
    await rw.write(fh, Buffer.from('third!'.repeat(1000)), 0);
    await rw.commit('test');
    rw.release(fh);
    await rw.close();
    await history.snapshot('vol', 'keep');
    const before = blockKeys(store).length;

    const result = await history.gc('vol', { retentionMs: 0, graceMs: 0, nowMs: Date.now() + 1000 });
    expect(result.versionsDeleted).toBeGreaterThan(0);
    expect(result.blocksDeleted).toBeGreaterThan(0);
    expect(blockKeys(store).length).toBe(before - result.blocksDeleted);

    const latest = await open('pinned', (await history.versions('vol')).at(-1)!.seq);
    expect(await readAll(latest, '/f')).toBe('third!'.repeat(1000));
    await expect(open('pinned', firstSeq)).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('gc never removes a block uploaded by a commit in flight (inside the grace period)', async () => {
    const { store, history } = await setup();
    await store.put(storeKeys.block('vol', 'f'.repeat(64)), Buffer.from('in flight'));
    const result = await history.gc('vol', { retentionMs: 0, graceMs: 60_000 });
    expect(result.blocksDeleted).toBe(0);
    expect(store.objects.has(storeKeys.block('vol', 'f'.repeat(64)))).toBe(true);
    const later = await history.gc('vol', { retentionMs: 0, graceMs: 60_000, nowMs: Date.now() + 120_000 });
    expect(later.blocksDeleted).toBe(1);
  });

  it('restore makes an old version the newest without rewriting history', async () => {
    const { open, history } = await setup();
    const rw = await open('read-write');
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, Buffer.from('old'), 0);
    const oldSeq = await rw.commit('test');
    await rw.write(fh, Buffer.from('new'), 0);
    const newSeq = await rw.commit('test');
    rw.release(fh);
    await rw.close();
    const restoredSeq = await history.restore('vol', oldSeq, writer);
    expect(restoredSeq).toBeGreaterThan(newSeq);
    const reopened = await open('read-write');
    expect(await readAll(reopened, '/f')).toBe('old');
    expect((await history.versions('vol')).map((v) => v.seq)).toContain(newSeq);
  });
});
