/*
 * WriterVolume: what a read-write mount commits and when (fsync, group commit), what
 * survives a failed commit, and small changes stored inline as block patches.
 */
import { describe, expect, it } from 'vitest';
import { encodeMeta, type FileInode } from '../../chalkfs/meta/format.js';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import type { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { extentBytes } from '../../chalkfs/vfs/block-patches.js';
import { cleanUpAfterEach, bs, failPuts, loseVersionPutResponses, newVolume, kindOf, readFile, versionKey, versionKeys } from '../support/volume-test-helpers.js';

cleanUpAfterEach();

describe('WriterVolume', () => {
  it('create, write, fsync: a new version holding the data is in the store', async () => {
    const { repo, memory, mount } = await newVolume();
    const rw = await mount('read-write');
    expect(rw.versionSeq).toBe(1);
    rw.mkdir('/dir', 0o755);
    const fh = rw.create('/dir/f', 0o644);
    const payload = Buffer.alloc(bs + 100, 0x5a);
    expect(await rw.write(fh, payload, 0)).toBe(payload.length);
    await rw.fsync('/dir/f');
    expect(rw.versionSeq).toBe(2);
    const v2 = await repo.readVersion('vol', 2);
    expect(v2.consistent).toBe(true);
    const ns = Namespace.fromRecord(v2);
    const inode = ns.resolve('/dir/f').inode;
    expect(inode).toMatchObject({ type: 'file', sizeBytes: bs + 100 });
    for (const hash of (inode as { blocks: readonly string[] }).blocks) expect(memory.objects.has(storeKeys.block('vol', hash))).toBe(true);
    rw.release(fh);
    // A fresh mount reads the data back from the store.
    const ro = await mount('read-only');
    expect(await readFile(ro, '/dir/f')).toEqual(payload);
  });

  it('fsync with nothing changed writes no version', async () => {
    const { memory, mount } = await newVolume();
    const rw = await mount('read-write');
    await rw.fsync('/');
    expect(versionKeys(memory)).toHaveLength(1);
  });

  it('group commit: commits requested while one runs share the next one', async () => {
    const { store, memory, mount } = await newVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, Buffer.from('one'), 0);
    // The first commit is held at its version PUT, so it is surely running (sealed)
    // when the next write and the next two requests come.
    store.inject({ op: 'put', key: versionKey, fault: { kind: 'stall' }, times: 1 });
    const first = rw.commit('a');
    for (let i = 0; i < 100 && store.stalledCalls === 0; i++) await new Promise((r) => setImmediate(r));
    expect(store.stalledCalls).toBe(1);
    await rw.write(fh, Buffer.from('two'), 3);
    const second = rw.commit('b');
    const third = rw.commit('c');
    expect(third).toBe(second);
    store.releaseAll();
    expect(await Promise.all([first, second, third])).toEqual([2, 3, 3]);
    expect(versionKeys(memory)).toHaveLength(3);
    // Two synchronous requests with nothing running share one commit too.
    await rw.write(fh, Buffer.from('three'), 6);
    const [x, y] = await Promise.all([rw.fsync('/f'), rw.fsync('/f')]);
    expect(x).toBe(y);
    expect(rw.versionSeq).toBe(4);
    expect(versionKeys(memory)).toHaveLength(4);
  });

  it('dirty data survives a failed commit and is committed by the next', async () => {
    const { store, memory, repo, mount } = await newVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/f', 0o644);
    const payload = Buffer.alloc(3 * bs, 0x77);
    await rw.write(fh, payload, 0);
    const putsBack = failPuts(store);
    expect(await kindOf(() => rw.fsync('/f'))).toBe('io');
    expect(rw.versionSeq).toBe(1);
    expect(versionKeys(memory)).toHaveLength(1);
    // Still readable on this mount while uncommitted.
    const back = Buffer.alloc(payload.length);
    expect(await rw.read(fh, back, back.length, 0)).toBe(payload.length);
    expect(back).toEqual(payload);
    putsBack();
    await rw.fsync('/f');
    expect(rw.versionSeq).toBe(2);
    rw.release(fh);
    const inode = Namespace.fromRecord(await repo.readVersion('vol', 2)).resolve('/f').inode;
    expect(inode).toMatchObject({ sizeBytes: payload.length });
    const ro = await mount('read-only');
    expect(await readFile(ro, '/f')).toEqual(payload);
  });

  it('a namespace-only change survives a failed commit', async () => {
    const { store, repo, mount } = await newVolume();
    const rw = await mount('read-write');
    rw.mkdir('/d', 0o755);
    const putsBack = failPuts(store);
    expect(await kindOf(() => rw.fsync('/'))).toBe('io');
    putsBack();
    await rw.fsync('/');
    expect(rw.versionSeq).toBe(2);
    expect(Namespace.fromRecord(await repo.readVersion('vol', 2)).tryResolve('/d')).toBeDefined();
  });

  it('a version PUT whose answer is lost: the commit asks the store, finds its own version, and succeeds', async () => {
    const { store, memory, mount } = await newVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, Buffer.from('first'), 0);
    const responsesBack = loseVersionPutResponses(store);
    await rw.fsync('/f'); // version 2 landed: reporting a failure would let the application undo it
    responsesBack();
    expect(rw.versionSeq).toBe(2);
    expect(versionKeys(memory)).toHaveLength(2);
    await rw.write(fh, Buffer.from(' second'), 5);
    await rw.fsync('/f');
    rw.release(fh);
    expect(rw.versionSeq).toBe(3);
    const ro = await mount('read-only');
    expect((await readFile(ro, '/f')).toString()).toBe('first second');
  });
});

describe('WriterVolume (block patches)', () => {
  const blockKeys = (memory: MemoryObjectStore) => [...memory.objects.keys()].filter((k) => k.startsWith(storeKeys.blocksPrefix('vol'))).sort();

  it('a small change to a committed block commits as one version PUT, with the bytes inline, and reads back elsewhere', async () => {
    const { repo, memory, mount } = await newVolume({ maxPatchBytesPerBlock: 512, patchBudgetBytes: 4096 });
    const rw = await mount('read-write');
    const fh = rw.create('/db', 0o644);
    const original = Buffer.alloc(3 * bs, 0x11);
    await rw.write(fh, original, 0);
    await rw.fsync('/db');
    const blocksBefore = blockKeys(memory);
    const keysBefore = memory.objects.size;
    await rw.write(fh, Buffer.from('page change'), bs + 100);
    await rw.fsync('/db');
    // Exactly one new object: the version (no block upload).
    expect(blockKeys(memory)).toEqual(blocksBefore);
    expect(memory.objects.size).toBe(keysBefore + 1);
    const record = await repo.readVersion('vol', rw.versionSeq);
    expect(record.format).toBe('chalkfs-version/3');
    const inode = Namespace.fromRecord(record).resolve('/db').inode as FileInode;
    expect(Object.keys(inode.patches ?? {})).toEqual(['1']);
    const expected = Buffer.from(original);
    expected.write('page change', bs + 100);
    expect(await readFile(await mount('read-only'), '/db')).toEqual(expected);
    rw.release(fh);
  });

  it('past the patch budget, the most-patched blocks are folded back into whole blocks', async () => {
    const { repo, memory, mount } = await newVolume({ maxPatchBytesPerBlock: 1024, patchBudgetBytes: 1500 });
    const rw = await mount('read-write');
    const fh = rw.create('/db', 0o644);
    const expected = Buffer.alloc(4 * bs);
    for (let i = 0; i < 4; i++) expected.fill(0x41 + i, i * bs, (i + 1) * bs);
    await rw.write(fh, Buffer.from(expected), 0); // a copy: write keeps a whole block of its data, and `expected` changes below
    await rw.fsync('/db');
    for (let i = 0; i < 4; i++) {
      const change = Buffer.alloc(600, 0x30 + i);
      await rw.write(fh, change, i * bs);
      change.copy(expected, i * bs);
      await rw.fsync('/db');
    }
    const inode = Namespace.fromRecord(await repo.readVersion('vol', rw.versionSeq)).resolve('/db').inode as FileInode;
    const patchBytes = Object.values(inode.patches ?? {}).reduce((sum, e) => sum + extentBytes(e), 0);
    // Each fold leaves at most half the budget; the commit after it may add one patch.
    expect(patchBytes).toBeLessThanOrEqual(750 + 1024);
    expect(blockKeys(memory).length).toBeGreaterThan(4);
    expect(await readFile(await mount('read-only'), '/db')).toEqual(expected);
    rw.release(fh);
  });

  it('still reads versions of format chalkfs-version/1', async () => {
    const { repo, mount } = await newVolume();
    const v1 = await repo.readVersion('vol', 1);
    const body = encodeMeta('chalkfs-version/1', { ...v1, format: 'chalkfs-version/1', seq: 2, parentSeq: 1 });
    await repo.store.put(storeKeys.version('vol', 2), body);
    const ro = await mount('read-only');
    expect(ro.versionSeq).toBe(2);
  });
});
