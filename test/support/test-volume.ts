/*
 * Volumes for unit tests of MountedVolume: an in-memory store (wrapped by the test's
 * choice of fault injector), one volume of 4 KiB blocks, and mounts of it, each with its
 * own block cache as if on its own host. Mounts made here are closed by
 * closeTestMounts(), which every test file using this calls in afterEach.
 */
import { BlockCache } from '../../chalkfs/cache/block-cache.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import type { ObjectStore } from '../../chalkfs/store/object-store.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { MountedVolume, type MountMode, type MountedVolumeOptions } from '../../chalkfs/vfs/mounted-volume.js';

export const testBlockSize = 4096;
export const testOwner = { uid: 1000, gid: 1000 };

const mounted: MountedVolume[] = [];

export interface TestMountOptions extends Partial<MountedVolumeOptions> {
  mountId?: string;
}

export async function newTestVolume<S extends ObjectStore = MemoryObjectStore>(wrap?: (memory: MemoryObjectStore) => S, defaults: Partial<MountedVolumeOptions> = {}) {
  const memory = new MemoryObjectStore();
  const store = (wrap ? wrap(memory) : memory) as S;
  const repo = new VolumeRepository(store);
  const config = await repo.create('vol', testBlockSize, testOwner, { host: 'h', pid: 1, mountId: 'creator' }, 1000);
  const mount = async (mode: MountMode, { mountId, ...options }: TestMountOptions = {}): Promise<MountedVolume> => {
    const volume = await MountedVolume.open({
      repo,
      config,
      cache: new BlockCache(1 << 22, undefined, silentLogger()),
      mode,
      writer: { host: 'h', pid: 1, mountId: mountId ?? `${mode}-${mounted.length}` },
      owner: testOwner,
      logger: silentLogger(),
      refreshIntervalMs: 1e9,
      autoCommitMs: 1e9,
      dirtyLimitBytes: 1 << 24,
      readaheadBlocks: 0,
      uploadConcurrency: 4,
      ...defaults,
      ...options,
    });
    mounted.push(volume);
    return volume;
  };
  return { memory, store, repo, config, mount };
}

export async function closeTestMounts(): Promise<void> {
  for (const volume of mounted.splice(0)) await volume.close().catch(() => undefined);
}
