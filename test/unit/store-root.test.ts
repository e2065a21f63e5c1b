// One bucket, several chalkfs roots: CHALKFS_BUCKET=bucket/prefix parsed and validated
// (store-config.ts), and the prefix wrapper (prefixed-object-store.ts) putting every key
// under the root and handing back keys relative to it. The ObjectStore contract runs on
// the wrapper too (object-store-contract.test.ts).
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { PrefixedObjectStore } from '../../chalkfs/store/prefixed-object-store.js';
import { parseBucketSetting, storeEnv, type StoreSettings } from '../../chalkfs/store/store-config.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

function configError(value: string): Error {
  try {
    parseBucketSetting(value);
  } catch (err) {
    expect(isChalkError(err, 'config'), String(err)).toBe(true);
    return err as Error;
  }
  throw new Error(`"${value}" was accepted`);
}

describe('CHALKFS_BUCKET', () => {
  it('a bucket alone: no prefix', () => {
    expect(parseBucketSetting('chalkfs')).toEqual({ bucket: 'chalkfs', prefix: '' });
    expect(parseBucketSetting('chalkfs/')).toEqual({ bucket: 'chalkfs', prefix: '' });
  });

  it('bucket/prefix: the prefix ends in exactly one "/", also when given with one', () => {
    expect(parseBucketSetting('shared/team-a')).toEqual({ bucket: 'shared', prefix: 'team-a/' });
    expect(parseBucketSetting('shared/team-a/')).toEqual({ bucket: 'shared', prefix: 'team-a/' });
    expect(parseBucketSetting('shared/envs/prod_1.x')).toEqual({ bucket: 'shared', prefix: 'envs/prod_1.x/' });
  });

  it('a bad prefix is a one-line configuration error naming the prefix and the setting', () => {
    for (const [value, prefix] of [['shared//a', '/a'], ['shared/a//b', 'a//b'], ['shared/a/../b', 'a/../b'], ['shared/./a', './a'], ['shared/a b', 'a b'], ['shared/a?', 'a?'], ['shared/a//', 'a/']]) {
      const err = configError(value!);
      expect(err.message).toContain(`invalid prefix "${prefix}" in CHALKFS_BUCKET="${value}"`);
      expect(err.message).not.toContain('\n');
    }
  });

  it('a bad bucket name is still named as the bucket', () => {
    expect(configError('Shared/a').message).toBe('invalid bucket name "Shared" in CHALKFS_BUCKET');
    expect(configError('/a').message).toBe('invalid bucket name "" in CHALKFS_BUCKET');
  });

  it('a daemon started with storeEnv resolves the same bucket and prefix', () => {
    const settings: StoreSettings = { region: 'us-east-1', bucket: 'shared', prefix: 'envs/prod/', embedded: false, endpoint: 'http://127.0.0.1:9000' };
    expect(parseBucketSetting(storeEnv(settings).CHALKFS_BUCKET!)).toEqual({ bucket: 'shared', prefix: 'envs/prod/' });
    expect(storeEnv({ ...settings, prefix: '' }).CHALKFS_BUCKET).toBe('shared');
  });
});

describe('PrefixedObjectStore', () => {
  it('every key lands under the prefix; reads, lists and deletes see keys relative to the root', async () => {
    const bucket = new MemoryObjectStore();
    const root = new PrefixedObjectStore(bucket, 'team/a/');
    await root.put('volumes/v/head.json', Buffer.from('h'));
    await root.put('volumes/w/head.json', Buffer.from('w'), { ifNoneMatch: '*' });
    expect([...bucket.objects.keys()].sort()).toEqual(['team/a/volumes/v/head.json', 'team/a/volumes/w/head.json']);
    expect((await root.get('volumes/v/head.json')).body.toString()).toBe('h');
    expect((await root.list('volumes/')).map((o) => o.key)).toEqual(['volumes/v/head.json', 'volumes/w/head.json']);
    expect((await root.list('volumes/', { startAfter: 'volumes/v/head.json' })).map((o) => o.key)).toEqual(['volumes/w/head.json']);
    expect(await root.listPrefixes('volumes/')).toEqual(['v/', 'w/']);
    await root.delete('volumes/v/head.json');
    expect([...bucket.objects.keys()]).toEqual(['team/a/volumes/w/head.json']);
  });

  it('describes itself as the bucket and the prefix', () => {
    expect(new PrefixedObjectStore(new MemoryObjectStore(), 'team/a/').description).toBe('memory/team/a');
  });

  it('two roots in one bucket: volumes of the same name stay apart', async () => {
    const bucket = new MemoryObjectStore();
    const a = new VolumeRepository(new PrefixedObjectStore(bucket, 'a/'));
    const b = new VolumeRepository(new PrefixedObjectStore(bucket, 'b/'));
    const owner = { uid: 0, gid: 0 };
    const creator = { host: 'h', pid: 1, mountId: 'm' };
    await a.create('db', 4096, owner, creator);
    await b.create('db', 8192, owner, creator);
    await b.create('only-b', 4096, owner, creator);
    expect(await a.list()).toEqual(['db']);
    expect(await b.list()).toEqual(['db', 'only-b']);
    expect((await a.config('db')).blockSizeBytes).toBe(4096);
    expect((await b.config('db')).blockSizeBytes).toBe(8192);
    expect(bucket.objects.has(`a/${storeKeys.volumeConfig('db')}`)).toBe(true);
    expect([...bucket.objects.keys()].every((k) => k.startsWith('a/') || k.startsWith('b/'))).toBe(true);
  });
});
