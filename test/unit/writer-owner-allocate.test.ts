/*
 * WriterVolume's new names belong to the owner the FUSE layer names (the calling
 * process), and fallocate's allocate grows a file with zeros; a reader refuses both.
 */
import { describe, expect, it } from 'vitest';
import { maxBlocksPerFile } from '../../chalkfs/vfs/writer-volume.js';
import { bs, cleanUpAfterEach, kindOf, newVolume, owner, readFile, reading } from '../support/volume-test-helpers.js';

cleanUpAfterEach();

const nobody = { uid: 65534, gid: 4242 };

describe('WriterVolume ownership of new names', () => {
  it('gives a new file, directory and symlink to the owner named, and keeps it through a commit', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    rw.mkdir('/d', 0o2755, nobody);
    rw.release(rw.create('/d/f', 0o640, nobody));
    rw.symlink('f', '/d/s', nobody);
    rw.release(rw.create('/mine', 0o644));
    await rw.fsync('/');
    const ro = await mount('read-only');
    expect(ro.getattr('/d')).toMatchObject({ uid: 65534, gid: 4242, mode: 0o42755 });
    expect(ro.getattr('/d/f')).toMatchObject({ uid: 65534, gid: 4242, mode: 0o100640 });
    expect(ro.getattr('/d/s')).toMatchObject({ uid: 65534, gid: 4242, mode: 0o120777 });
    // Without an owner: the mount's.
    expect(ro.getattr('/mine')).toMatchObject(owner);
  });
});

describe('allocate (fallocate)', () => {
  it('grows the file to the end of the range with zeros, never shrinks it, and keepSize leaves the size alone', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, Buffer.from('head'), 0);
    await rw.allocate(fh, 3 * bs + 5, false);
    expect(rw.getattr('/f').size).toBe(3 * bs + 5);
    await rw.allocate(fh, 10, false);
    expect(rw.getattr('/f').size).toBe(3 * bs + 5);
    await rw.allocate(fh, 8 * bs, true);
    expect(rw.getattr('/f').size).toBe(3 * bs + 5);
    rw.release(fh);
    await rw.fsync('/f');
    const content = await readFile(await mount('read-only'), '/f');
    expect(content.subarray(0, 4).toString()).toBe('head');
    expect(content.subarray(4).every((b) => b === 0)).toBe(true);
  });

  it('refuses a range past the largest file (EFBIG), a handle not open for writing, and a reader', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/f', 0o644);
    expect(await kindOf(rw.allocate(fh, maxBlocksPerFile * bs + 1, false))).toBe('too-big');
    expect(await kindOf(rw.allocate(fh, maxBlocksPerFile * bs + 1, true))).toBe('too-big');
    rw.release(fh);
    await rw.fsync('/f');
    const readOnlyHandle = rw.open('/f', reading);
    expect(await kindOf(rw.allocate(readOnlyHandle, 100, false))).toBe('bad-handle');
    const ro = await mount('read-only');
    expect(await kindOf(ro.allocate(ro.open('/f', reading) as number, 100, false))).toBe('read-only');
  });
});
