// Blocks a write fills go to the store before any commit names them (issue 16: a bulk copy
// kept the store idle until the dirty limit or close); the commit still returns only once
// every block is there, each block is PUT once, a block changed after its upload started
// is stored under its new hash without corrupting the first upload, and a writer faster
// than the store waits for it.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import type { FileInode } from '../../chalkfs/meta/format.js';
import type { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { bs, cleanUpAfterEach, newVolume } from '../support/volume-test-helpers.js';

cleanUpAfterEach();

const blockKey = /\/blocks\//;
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const filled = (seed: number) => Buffer.from(Array.from({ length: bs }, (_, i) => (i * 7 + seed) & 0xff));
/** Lets pending promise callbacks (the in-memory store's PUTs) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function storedBlocks(memory: MemoryObjectStore): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const prefix = storeKeys.blocksPrefix('vol');
  for (const [key, value] of memory.objects) if (key.startsWith(prefix)) out.set(key.slice(key.lastIndexOf('/') + 1), value.body);
  return out;
}

async function countingVolume(uploadConcurrency = 4) {
  const volume = await newVolume({ uploadConcurrency });
  const blockPuts: string[] = [];
  const put = volume.store.put.bind(volume.store);
  volume.store.put = (key, body, condition) => {
    if (blockKey.test(key)) blockPuts.push(key);
    return put(key, body, condition);
  };
  return { ...volume, blockPuts };
}

describe('early block uploads', () => {
  it('full blocks are in the store before close or fsync, and the commit PUTs each block once', async () => {
    const { memory, repo, mount, blockPuts } = await countingVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/copy', 0o644);
    const blocks = [filled(1), filled(2), filled(3)];
    for (const [i, block] of blocks.entries()) await rw.write(fh, block, i * bs);
    await rw.write(fh, Buffer.from('tail'), 3 * bs);
    await settle();
    // No commit yet: only version 1 (the empty volume) exists, yet the full blocks are stored.
    expect(rw.versionSeq).toBe(1);
    const early = storedBlocks(memory);
    for (const block of blocks) expect(early.get(sha(block))).toEqual(block);
    expect(early.size).toBe(3); // the partial last block waits for the commit

    rw.release(fh);
    await rw.fsync('/copy');
    const inode = Namespace.fromRecord(await repo.readVersion('vol', rw.versionSeq)).resolve('/copy').inode as FileInode;
    expect(inode.blocks.slice(0, 3)).toEqual(blocks.map(sha));
    expect(storedBlocks(memory).size).toBe(4);
    expect(blockPuts.length).toBe(4); // each block once: the commit did not upload the early ones again
  });

  it('a block changed while its early upload is in flight: the upload keeps its bytes, the commit stores the new ones', async () => {
    const { memory, store, repo, mount } = await countingVolume();
    const rw = await mount('read-write');
    const stall = store.inject({ op: 'put', key: blockKey, fault: { kind: 'stall' } });
    const fh = rw.create('/f', 0o644);
    const first = filled(9);
    await rw.write(fh, first, 0);
    expect(store.stalledCalls).toBe(1); // the early upload of `first` has started
    await rw.write(fh, Buffer.from('changed'), 100);
    stall();
    store.releaseAll();
    rw.release(fh);
    await rw.fsync('/f');
    const second = Buffer.from(first);
    Buffer.from('changed').copy(second, 100);
    const inode = Namespace.fromRecord(await repo.readVersion('vol', rw.versionSeq)).resolve('/f').inode as FileInode;
    expect(inode.blocks).toEqual([sha(second)]);
    // Every stored block holds exactly the bytes its name is the hash of.
    for (const [hash, body] of storedBlocks(memory)) expect(sha(body)).toBe(hash);
    expect(storedBlocks(memory).get(sha(second))).toEqual(second);
  });

  it('pages rewritten inside a full block (SQLite) do not upload the block again at each write', async () => {
    const { mount, blockPuts } = await countingVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/app.db', 0o644);
    await rw.write(fh, filled(5), 0);
    const page = bs / 16;
    for (let i = 0; i < 10; i++) await rw.write(fh, Buffer.alloc(page, i), i * page);
    await settle();
    expect(blockPuts.length).toBe(1); // the early upload when the block filled, nothing per page since
    rw.release(fh);
    await rw.fsync('/app.db');
    expect(blockPuts.length).toBe(2); // and the block's final content at the commit
  });

  it('an early upload that failed is uploaded again by the commit', async () => {
    const { memory, store, mount } = await countingVolume();
    const rw = await mount('read-write');
    store.inject({ op: 'put', key: blockKey, fault: { kind: 'fail', error: 'io' }, times: 1 });
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, filled(4), 0);
    await settle();
    expect(storedBlocks(memory).size).toBe(0);
    rw.release(fh);
    await rw.fsync('/f');
    expect(storedBlocks(memory).get(sha(filled(4)))).toEqual(filled(4));
  });

  it('a writer faster than the store waits once twice the upload concurrency is queued', async () => {
    const { store, mount } = await countingVolume(2);
    const rw = await mount('read-write');
    const stall = store.inject({ op: 'put', key: blockKey, fault: { kind: 'stall' } });
    const fh = rw.create('/f', 0o644);
    // 2 running + 2 waiting = 4 = twice the concurrency: these writes return.
    for (let i = 0; i < 4; i++) await rw.write(fh, filled(20 + i), i * bs);
    let done = false;
    const fifth = rw.write(fh, filled(30), 4 * bs).then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    stall();
    store.releaseAll();
    await fifth;
    expect(done).toBe(true);
    rw.release(fh);
    await rw.fsync('/f');
  });
});
