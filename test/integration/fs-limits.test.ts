/*
 * The limits of a chalkfs mount through a real FUSE mount, driven with node:fs/promises:
 * each error a local disk gives (ENOENT, EEXIST, ENOTEMPTY, ENOTDIR, EISDIR,
 * ENAMETOOLONG, EFBIG), a read-only mount refusing writes with EROFS, and a sparse file
 * past 10 GiB. fs-ops.test.ts has the operations themselves.
 */
import { describe, expect, test } from 'vitest';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, open, readFile, readdir, readlink, rename, rmdir, stat, symlink, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { readAt, writeAt } from '../support/file-io.js';
import { expectCode, volumeInfo } from '../support/fs-checks.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('the limits of a chalkfs mount', () => {
  test('error cases: ENOENT, EEXIST, ENOTEMPTY, ENOTDIR, EISDIR, ENAMETOOLONG', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('errs');
    const m = await fx.mount('errs');
    const p = (rel: string) => join(m.dir, rel);
    await writeFile(p('file'), 'x');
    await mkdir(p('dir'));
    await writeFile(p('dir/inner'), 'y');

    // ENOENT
    await expectCode(readFile(p('missing')), 'ENOENT');
    await expectCode(stat(p('missing/deeper')), 'ENOENT');
    await expectCode(unlink(p('missing')), 'ENOENT');
    await expectCode(rmdir(p('missing')), 'ENOENT');
    await expectCode(rename(p('missing'), p('other')), 'ENOENT');
    await expectCode(writeFile(p('missing-dir/f'), 'z'), 'ENOENT');
    await expectCode(readdir(p('missing')), 'ENOENT');
    await expectCode(truncate(p('missing'), 0), 'ENOENT');
    await expectCode(chmod(p('missing'), 0o600), 'ENOENT');

    // EEXIST
    await expectCode(mkdir(p('dir')), 'EEXIST');
    await expectCode(mkdir(p('file')), 'EEXIST');
    await expectCode(writeFile(p('file'), 'z', { flag: 'wx' }), 'EEXIST');
    await expectCode(symlink('t', p('dir')), 'EEXIST');

    // ENOTEMPTY
    await expectCode(rmdir(p('dir')), 'ENOTEMPTY');
    await mkdir(p('other'));
    await expectCode(rename(p('other'), p('dir')), 'ENOTEMPTY');

    // ENOTDIR
    await expectCode(stat(p('file/x')), 'ENOTDIR');
    await expectCode(readdir(p('file')), 'ENOTDIR');
    await expectCode(mkdir(p('file/sub')), 'ENOTDIR');
    await expectCode(writeFile(p('file/sub'), 'z'), 'ENOTDIR');
    await expectCode(rmdir(p('file')), 'ENOTDIR');
    await expectCode(rename(p('other'), p('file')), 'ENOTDIR');

    // EISDIR
    await expectCode(writeFile(p('dir'), 'z'), 'EISDIR');
    await expectCode(readFile(p('dir')), 'EISDIR');
    await expectCode(unlink(p('dir')), 'EISDIR');
    await expectCode(rename(p('file'), p('other')), 'EISDIR');
    await expectCode(truncate(p('dir'), 0), 'EISDIR');

    // ENAMETOOLONG: 255 bytes is allowed, 256 is not.
    const ok = 'n'.repeat(255);
    await writeFile(p(ok), 'fits');
    expect(await readFile(p(ok), 'utf8')).toBe('fits');
    const long = 'n'.repeat(256);
    await expectCode(writeFile(p(long), 'z'), 'ENAMETOOLONG');
    await expectCode(mkdir(p(long)), 'ENAMETOOLONG');
    await expectCode(symlink('t', p(long)), 'ENAMETOOLONG');
    await expectCode(rename(p('file'), p(long)), 'ENAMETOOLONG');

    // Nothing above changed the tree.
    expect((await readdir(m.dir)).sort()).toEqual(['dir', 'file', ok, 'other'].sort());
    expect(await readFile(p('file'), 'utf8')).toBe('x');
    expect(await readdir(p('dir'))).toEqual(['inner']);
  });

  test('a write or truncate beyond the largest file size fails with EFBIG, and the daemon lives on', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('efbig');
    const m = await fx.mount('efbig');
    const f = join(m.dir, 'f');
    await writeFile(f, 'small');
    // 1 PiB: far past 2^22 blocks of 1 MiB. This once killed the daemon (ENOTCONN).
    await expectCode(writeAt(f, 2 ** 50, Buffer.from('x')), 'EFBIG');
    await expectCode(truncate(f, 2 ** 50), 'EFBIG');
    expect(await readFile(f, 'utf8')).toBe('small');
    await writeFile(join(m.dir, 'g'), 'still working');
    expect(await readFile(join(m.dir, 'g'), 'utf8')).toBe('still working');
    await m.unmount();
    const again = await fx.mount('efbig');
    expect(await readFile(join(again.dir, 'f'), 'utf8')).toBe('small');
  });

  test('a read-only mount serves reads and refuses every write with EROFS', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('ro');
    const rw = await fx.mount('ro');
    await writeFile(join(rw.dir, 'f'), 'content');
    await mkdir(join(rw.dir, 'd'));
    await symlink('f', join(rw.dir, 'l'));
    await rw.unmount();

    const m = await fx.mount('ro', { readOnly: true });
    const p = (rel: string) => join(m.dir, rel);
    expect(await readFile(p('f'), 'utf8')).toBe('content');
    expect(await readlink(p('l'))).toBe('f');

    await expectCode(writeFile(p('new'), 'z'), 'EROFS');
    await expectCode(writeFile(p('f'), 'z'), 'EROFS');
    await expectCode(open(p('f'), 'r+'), 'EROFS');
    await expectCode(mkdir(p('d2')), 'EROFS');
    await expectCode(rmdir(p('d')), 'EROFS');
    await expectCode(unlink(p('f')), 'EROFS');
    await expectCode(rename(p('f'), p('g')), 'EROFS');
    await expectCode(truncate(p('f'), 0), 'EROFS');
    await expectCode(chmod(p('f'), 0o600), 'EROFS');
    await expectCode(chown(p('f'), process.getuid!(), process.getgid!()), 'EROFS');
    await expectCode(utimes(p('f'), new Date(), new Date()), 'EROFS');
    await expectCode(symlink('f', p('l2')), 'EROFS');

    expect(await readFile(p('f'), 'utf8')).toBe('content');
    expect((await readdir(m.dir)).sort()).toEqual(['d', 'f', 'l']);
  });

  test('a sparse file over 10 GiB: data beyond 4 GiB and 10 GiB reads back, also after a remount with an empty cache', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('huge');
    let m = await fx.mount('huge');
    const f = join(m.dir, 'huge.bin');
    const pieces = [
      { offset: 0, data: randomBytes(1 * MiB) },
      { offset: 4 * GiB + 12_345, data: randomBytes(3 * MiB) },
      { offset: 10 * GiB + 777, data: randomBytes(2 * MiB + 3) },
    ];
    const fh = await open(f, 'w+');
    for (const { offset, data } of pieces) await fh.write(data, 0, data.length, offset);
    await fh.close();
    const size = 10 * GiB + 777 + 2 * MiB + 3;

    const check = async (path: string) => {
      expect((await stat(path)).size).toBe(size);
      for (const { offset, data } of pieces) expect((await readAt(path, offset, data.length)).equals(data)).toBe(true);
      // Holes read as zeros, including right before the data beyond 4 GiB.
      expect((await readAt(path, 4 * GiB - 100, 100 + 12_345)).every((b) => b === 0)).toBe(true);
      expect((await readAt(path, 7 * GiB, 64 * 1024)).every((b) => b === 0)).toBe(true);
      // The tail: a short read at the end.
      const tail = await readAt(path, size - 10, 100);
      expect(tail.equals(pieces[2]!.data.subarray(pieces[2]!.data.length - 10))).toBe(true);
    };
    await check(f);
    await m.unmount();
    m = await fx.mount('huge');
    await check(join(m.dir, 'huge.bin'));
    const info = await volumeInfo(fx, 'huge');
    expect(info.sizeBytes).toBe(size);
  });
});
