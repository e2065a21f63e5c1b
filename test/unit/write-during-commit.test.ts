// A write that lands while a commit is under way keeps every byte: the file grows in
// the very step its bytes are in place, so a seal never cuts them to the old size.
import { afterEach, describe, expect, it } from 'vitest';
import { closeTestMounts, newTestVolume } from '../support/test-volume.js';

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
});
