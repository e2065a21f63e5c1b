// Memory while the store refuses uploads: everything written and not yet in the store
// (dirty blocks, and blocks sealed by a commit whose upload failed) is bounded by the
// dirty limit, and sealed blocks that nothing names any more are dropped, not kept (and
// uploaded) forever.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { FaultyObjectStore } from '../../chalkfs/store/faulty-object-store.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { BlockCache } from '../../chalkfs/cache/block-cache.js';
import { openVolume } from '../../chalkfs/vfs/open-volume.js';
import type { WriterVolume } from '../../chalkfs/vfs/writer-volume.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';
import type { FileData } from '../../chalkfs/vfs/file-data.js';

const bs = 4096;
const limitBytes = 8 * bs;
const open: WriterVolume[] = [];

afterEach(async () => {
  for (const v of open.splice(0)) await v.close().catch(() => undefined);
});

async function setup() {
  const memory = new MemoryObjectStore();
  const store = new FaultyObjectStore(memory);
  const repo = new VolumeRepository(store);
  const config = await repo.create('vol', bs, { uid: 1, gid: 1 }, { host: 'h', pid: 1, mountId: 'creator' }, 1000);
  const rw = await openVolume({
    repo,
    config,
    cache: new BlockCache(1 << 22, undefined, silentLogger()),
    mode: 'read-write',
    writer: { host: 'h', pid: 1, mountId: 'w' },
    owner: { uid: 1, gid: 1 },
    logger: silentLogger(),
    refreshIntervalMs: 1e9,
    autoCommitMs: 1e9,
    dirtyLimitBytes: limitBytes,
    readaheadBlocks: 0,
    uploadConcurrency: 4,
    commitOutcomeTimeoutMs: 200,
  });
  open.push(rw);
  const blockKeys = () => [...memory.objects.keys()].filter((k) => k.startsWith(storeKeys.blocksPrefix('vol')));
  return { memory, store, rw, blockKeys };
}

const block = (fill: number) => Buffer.alloc(bs, fill);

/**
 * The bytes the mount really holds for the store, counted from its FileData's own
 * buffers (dirty blocks and sealed blocks awaiting upload), not from the counter the
 * limit uses: the measure must not depend on the code under test.
 */
function heldBytes(rw: WriterVolume): number {
  const data = (rw as unknown as { data: FileData }).data;
  return data.dirtyBytes + data.pendingBlocks().reduce((sum, b) => sum + b.data.length, 0);
}

describe('unuploaded bytes while the store refuses uploads', () => {
  it('writing far more than the dirty limit: writes fail with a clear error instead of memory growing', async () => {
    const { store, rw } = await setup();
    store.inject({ op: 'put', fault: { kind: 'fail', error: 'io' } });
    const fh = rw.create('/big', 0o644);
    const errors: string[] = [];
    let maxUnuploaded = 0;
    for (let i = 0; i < 64; i++) {
      try {
        await rw.write(fh, block(i + 1), i * bs);
      } catch (err) {
        expect(isChalkError(err, 'io'), String(err)).toBe(true);
        errors.push((err as Error).message);
      }
      maxUnuploaded = Math.max(maxUnuploaded, heldBytes(rw));
    }
    // Never more than the limit plus the one write that crossed it.
    expect(maxUnuploaded).toBeLessThanOrEqual(limitBytes + bs);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.at(-1)).toMatch(/not yet in the store/);
    // Once the store accepts uploads again, writing resumes and everything lands.
    store.heal();
    await rw.write(fh, block(99), 64 * bs);
    await rw.fsync('/big');
    expect(heldBytes(rw)).toBe(0);
    expect(rw.status().unuploadedBytes).toBe(0);
    rw.release(fh);
  });

  it('blocks sealed by failed commits and then overwritten or deleted are dropped, and never uploaded', async () => {
    const { store, rw, blockKeys } = await setup();
    const before = blockKeys().length;
    const puts = store.inject({ op: 'put', fault: { kind: 'fail', error: 'io' } });
    const a = rw.create('/a', 0o644);
    await rw.write(a, Buffer.concat([block(1), block(2)]), 0);
    await expect(rw.fsync('/a')).rejects.toThrow();
    // Overwritten: the two sealed blocks are no longer named by anything.
    await rw.write(a, Buffer.concat([block(3), block(4)]), 0);
    await expect(rw.fsync('/a')).rejects.toThrow();
    const b = rw.create('/b', 0o644);
    await rw.write(b, block(5), 0);
    await expect(rw.fsync('/b')).rejects.toThrow();
    rw.release(b);
    rw.unlink('/b');
    await expect(rw.fsync('/')).rejects.toThrow();
    // Only /a's current two blocks are still waiting for the store.
    expect(heldBytes(rw)).toBe(2 * bs);
    expect(rw.status().unuploadedBytes).toBe(2 * bs);
    puts();
    await rw.fsync('/a');
    rw.release(a);
    expect(blockKeys().length - before).toBe(2);
  });

  it('a block still read through an open handle of a deleted file is kept until it is released', async () => {
    const { store, rw } = await setup();
    const puts = store.inject({ op: 'put', fault: { kind: 'fail', error: 'io' } });
    const c = rw.create('/c', 0o644);
    await rw.write(c, block(7), 0);
    await expect(rw.fsync('/c')).rejects.toThrow();
    rw.unlink('/c');
    await expect(rw.fsync('/')).rejects.toThrow();
    const back = Buffer.alloc(bs);
    expect(await rw.read(c, back, bs, 0)).toBe(bs);
    expect(back).toEqual(block(7));
    rw.release(c);
    puts();
    await rw.fsync('/');
    expect(heldBytes(rw)).toBe(0);
  });
});
