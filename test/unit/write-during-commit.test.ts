// A write that lands while a commit is under way keeps every byte: the file grows in
// the very step its bytes are in place, so a seal never cuts them to the old size.
import { afterEach, describe, expect, it } from 'vitest';
import { FaultyObjectStore } from '../../chalkfs/store/faulty-object-store.js';
import { closeTestMounts, newTestVolume, testBlockSize as bs } from '../support/test-volume.js';

afterEach(closeTestMounts);


async function readAll(read: (target: Buffer, length: number) => Promise<number>, sizeBytes: number): Promise<string> {
  const out = Buffer.alloc(sizeBytes);
  expect(await read(out, sizeBytes)).toBe(sizeBytes);
  return out.toString();
}

describe('a write during a commit', () => {
  it('each write extending a dirty block while a commit is queued keeps its bytes past the old size, here and in the store', async () => {
    const { mount } = await newTestVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/f', 0o644);
    let expected = '';
    const commits: Promise<number>[] = [];
    for (const word of ['one', 'two', 'three', 'four']) {
      commits.push(rw.commit('racing'));
      await rw.write(fh, Buffer.from(word), expected.length);
      expected += word;
    }
    await Promise.all(commits);
    await rw.commit('last');
    expect(await readAll((target, length) => rw.read(fh, target, length, 0), expected.length)).toBe(expected);
    rw.release(fh);
    const ro = await mount('read-only');
    const roFh = await ro.open('/f', { write: false });
    expect(await readAll((target, length) => ro.read(roFh, target, length, 0), expected.length)).toBe(expected);
  });

  it('a write across the old end whose first block must be fetched keeps its bytes past the end when a commit seals meanwhile', async () => {
    // The old end is inside block 0, which this mount has never read: the write's part
    // in block 0 waits for a GET while its part in block 1 has nothing to load. A commit
    // sealing in that gap once dropped the block-1 part (past the old size) and the
    // file then grew over zeros.
    const { store, mount } = await newTestVolume((memory) => new FaultyObjectStore(memory));
    const first = await mount('read-write', { mountId: 'first' });
    const fh0 = first.create('/log', 0o644);
    await first.write(fh0, Buffer.alloc(bs - 10, 'a'), 0);
    first.release(fh0);
    await first.close();

    const rw = await mount('read-write', { mountId: 'second' });
    const blockGets = /\/blocks\//;
    store.inject({ op: 'get', key: blockGets, fault: { kind: 'stall' }, times: 1 });
    const fh = rw.open('/log', { write: true });
    // Another change waits for the commit, as a busy writer's always does.
    rw.chmod('/log', 0o600);
    const writing = rw.write(fh, Buffer.alloc(20, 'b'), bs - 10);
    for (let i = 0; i < 100 && store.stalledCalls === 0; i++) await new Promise((r) => setImmediate(r));
    expect(store.stalledCalls).toBe(1);
    await rw.commit('meanwhile');
    store.releaseAll();
    await writing;
    await rw.commit('after');
    const expected = 'a'.repeat(bs - 10) + 'b'.repeat(20);
    expect(await readAll((target, length) => rw.read(fh, target, length, 0), bs + 10)).toBe(expected);
    rw.release(fh);
    const ro = await mount('read-only');
    const roFh = await ro.open('/log', { write: false });
    expect(await readAll((target, length) => ro.read(roFh, target, length, 0), bs + 10)).toBe(expected);
  });
});
