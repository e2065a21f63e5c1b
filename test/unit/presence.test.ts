// Presence objects (meta/presence.ts): listing live ones, a keeper's writes, renewals and
// deletion, and a mount whose volume was deleted under it.
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { decodeMeta, encodeMeta } from '../../chalkfs/meta/format.js';
import { livePresence, presenceFormat, PresenceKeeper, type PresenceRecord } from '../../chalkfs/meta/presence.js';
import { BlockCache } from '../../chalkfs/cache/block-cache.js';
import { openVolume } from '../../chalkfs/vfs/open-volume.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

const owner = { uid: 1, gid: 1 };
const identity = { volume: 'vol', mountId: 'm1', host: 'h1', pid: 42, mode: 'read-only', mountpoint: '/mnt/a' };

async function until(what: string, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function presenceAt(nowMs: number, mountId: string, extra: Partial<PresenceRecord> = {}): PresenceRecord {
  return { ...identity, mountId, renewedAt: new Date(nowMs).toISOString(), expiresAt: new Date(nowMs + 1000).toISOString(), ...extra };
}

describe('presence objects', () => {
  it('livePresence lists unexpired ones, leaves out (and deletes) expired and dead-local ones, and leaves out damaged ones', async () => {
    const store = new MemoryObjectStore();
    const now = 1_000_000;
    await store.put(storeKeys.presence('vol', 'live'), encodeMeta(presenceFormat, presenceAt(now, 'live')));
    await store.put(storeKeys.presence('vol', 'old'), encodeMeta(presenceFormat, presenceAt(now - 5000, 'old')));
    await store.put(storeKeys.presence('vol', 'dead'), encodeMeta(presenceFormat, presenceAt(now, 'dead', { pid: 7 })));
    await store.put(storeKeys.presence('vol', 'junk'), Buffer.from('garbage'));
    await store.put(storeKeys.presence('other', 'x'), encodeMeta(presenceFormat, presenceAt(now, 'x')));
    const live = await livePresence(store, 'vol', now, (p) => p.pid === 7);
    expect(live.map((p) => p.mountId)).toEqual(['live']);
    expect([...store.objects.keys()].filter((k) => k.includes('/presence/')).sort()).toEqual([storeKeys.presence('other', 'x'), storeKeys.presence('vol', 'junk'), storeKeys.presence('vol', 'live')]);
  });

  it('a keeper writes its presence at start, renews it with a later expiry, and deletes it at stop', async () => {
    const store = new MemoryObjectStore();
    let now = 10_000;
    const keeper = await PresenceKeeper.start({ store, identity, intervalMs: 20, logger: silentLogger(), clock: () => now, volumeExists: async () => true });
    const key = storeKeys.presence('vol', 'm1');
    const read = () => decodeMeta<PresenceRecord>(presenceFormat, store.objects.get(key)!.body, key);
    expect(read()).toMatchObject({ ...identity, renewedAt: new Date(10_000).toISOString(), expiresAt: new Date(10_060).toISOString() });
    now = 20_000;
    await until('a renewal', () => read().renewedAt === new Date(20_000).toISOString());
    expect(read().expiresAt).toBe(new Date(20_060).toISOString());
    await keeper.stop();
    expect(store.objects.has(key)).toBe(false);
  });

  it('a keeper whose volume was deleted stops and leaves nothing behind; one whose presence was only cleaned up writes it again', async () => {
    const store = new MemoryObjectStore();
    let exists = true;
    let checks = 0;
    let goneSeen = 0;
    const keeper = await PresenceKeeper.start({
      store,
      identity,
      intervalMs: 10,
      logger: silentLogger(),
      volumeExists: async () => {
        checks++;
        if (!exists) goneSeen++;
        return exists;
      },
    });
    const key = storeKeys.presence('vol', 'm1');
    await store.delete(key);
    await until('the presence written again', () => store.objects.has(key));
    exists = false;
    await store.delete(key);
    await until('the keeper to give up', () => goneSeen > 0 && !store.objects.has(key));
    const settled = checks;
    await new Promise((r) => setTimeout(r, 60));
    expect(checks).toBe(settled);
    expect(store.objects.has(key)).toBe(false);
    await keeper.stop();
  });

  it('destroying a volume leaves no presence behind when a keeper renews while the deletion runs (volume rm --force)', async () => {
    // The config goes last, after a pause: a renewal in between finds its object deleted.
    class SlowConfigDelete extends MemoryObjectStore {
      override async delete(key: string): Promise<void> {
        if (key === storeKeys.volumeConfig('vol')) await new Promise((r) => setTimeout(r, 60));
        await super.delete(key);
      }
    }
    const store = new SlowConfigDelete();
    const repo = new VolumeRepository(store);
    await repo.create('vol', 4096, owner, { host: 'h', pid: 1, mountId: 'c' }, 1000);
    const keeper = await PresenceKeeper.start({ store, identity, intervalMs: 10, logger: silentLogger(), volumeExists: async () => store.objects.has(storeKeys.volumeConfig('vol')) });
    try {
      await repo.destroy('vol');
      expect([...store.objects.keys()].filter((k) => k.startsWith(storeKeys.volumePrefix('vol')))).toEqual([]);
      // Nor later: the keeper saw its volume gone and wrote nothing more.
      await new Promise((r) => setTimeout(r, 50));
      expect([...store.objects.keys()].filter((k) => k.startsWith(storeKeys.volumePrefix('vol')))).toEqual([]);
    } finally {
      await keeper.stop();
    }
  });

  it('a mount whose volume was deleted says so in status, serves what it has cached, and fails other reads with EIO naming the cause', async () => {
    const store = new MemoryObjectStore();
    const repo = new VolumeRepository(store);
    const config = await repo.create('vol', 4096, owner, { host: 'h', pid: 1, mountId: 'c' }, 1000);
    const base = { repo, config, owner, logger: silentLogger(), refreshIntervalMs: 1e9, autoCommitMs: 1e9, dirtyLimitBytes: 1 << 24, readaheadBlocks: 0, uploadConcurrency: 2, writer: { host: 'h', pid: 1, mountId: 'w' } };
    const rw = await openVolume({ ...base, mode: 'read-write', cache: new BlockCache(1 << 20, undefined, silentLogger()) });
    for (const [path, fill] of [['/a', 1], ['/b', 2]] as const) {
      const fh = rw.create(path, 0o644);
      await rw.write(fh, Buffer.alloc(100, fill), 0);
      rw.release(fh);
    }
    await rw.fsync('/');
    await rw.close();
    const ro = await openVolume({ ...base, mode: 'read-only', cache: new BlockCache(1 << 20, undefined, silentLogger()) });
    try {
      const read = async (path: string) => {
        const fh = await ro.open(path, { write: false });
        try {
          const out = Buffer.alloc(100);
          await ro.read(fh, out, 100, 0);
          return out[0];
        } finally {
          ro.release(fh);
        }
      };
      expect(await read('/a')).toBe(1);
      expect(ro.status().volumeState).toBe('ok');
      await repo.destroy('vol');
      expect(await read('/a')).toBe(1);
      const err = await read('/b').catch((e: unknown) => e);
      expect(isChalkError(err, 'io')).toBe(true);
      expect((err as Error).message).toMatch(/volume vol was deleted/);
      expect(ro.status().volumeState).toBe('deleted');
    } finally {
      await ro.close();
    }
  });
});
