// The cost model's generated large volumes (bench/scale/generated-volume.ts): version 2
// names one file of N blocks, all one stored object, and reads back like any version.
import { describe, expect, it } from 'vitest';
import { generateLargeVolume } from '../../bench/scale/generated-volume.js';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import type { DirInode, FileInode } from '../../chalkfs/meta/format.js';

describe('a generated large volume', () => {
  it('holds big.bin of the asked size in version 2, every block present, its whole size reported', async () => {
    const repo = new VolumeRepository(new MemoryObjectStore());
    await repo.create('gen', 64 * 1024, { uid: 0, gid: 0 }, { host: 'h', pid: 1, mountId: 'm' });
    const generated = await generateLargeVolume(repo, 'gen', 10 * 1024 * 1024);
    expect(generated.blocks).toBe(160);
    const record = await repo.readVersion('gen', 2);
    expect(record.consistent).toBe(true);
    const file = record.inodes[String((record.inodes['1'] as DirInode).entries['big.bin'])] as FileInode;
    expect(file.sizeBytes).toBe(10 * 1024 * 1024);
    expect(new Set(file.blocks).size).toBe(1);
    expect((await repo.store.get(storeKeys.block('gen', file.blocks[0]!))).body.length).toBe(64 * 1024);
    expect((await repo.latestConsistent('gen'))?.seq).toBe(2);
    expect(generated.wholeVersionBytes).toBeGreaterThan(160 * 64);
  });
});
