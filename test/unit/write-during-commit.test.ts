// A write that lands while a commit is under way keeps every byte: the file grows in
// the very step its bytes are in place, so a seal never cuts them to the old size.
import { afterEach, describe, expect, it } from 'vitest';
import { closeTestMounts, newTestVolume } from '../support/test-volume.js';

afterEach(closeTestMounts);

const O_RDONLY = 0;

describe('a write during a commit', () => {
  it('extending a dirty block while a commit is queued keeps the bytes past the old size, here and in the store', async () => {
    const { mount } = await newTestVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, Buffer.from('one'), 0);
    const first = rw.commit('a');
    await rw.write(fh, Buffer.from('two'), 3);
    const second = rw.commit('b');
    expect(await Promise.all([first, second])).toEqual([2, 3]);
    const here = Buffer.alloc(6);
    expect(await rw.read(fh, here, 6, 0)).toBe(6);
    expect(here.toString()).toBe('onetwo');
    rw.release(fh);
    const ro = await mount('read-only');
    const roFh = await ro.open('/f', O_RDONLY);
    const there = Buffer.alloc(6);
    expect(await ro.read(roFh, there, 6, 0)).toBe(6);
    expect(there.toString()).toBe('onetwo');
  });
});
