/*
 * Every filesystem operation chalkfs serves, through a real FUSE mount, driven with
 * node:fs/promises from the test process (the daemon is a separate process). Each test
 * ends by remounting with an empty cache where durability matters.
 */
import { describe, expect, test } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  open,
  readFile,
  readdir,
  readlink,
  rename,
  rmdir,
  stat,
  statfs,
  symlink,
  truncate,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { ChalkfsFixture, type Mount } from '../support/chalkfs-fixture.js';
import { snapshotTree } from '../support/fs-tree.js';
import { readAt, writeAt } from '../support/file-io.js';
import { expectCode, volumeInfo } from '../support/fs-checks.js';

const MiB = 1024 * 1024;

describe('filesystem operations through a chalkfs mount', () => {
  test('create, write at offsets, read, sparse holes, truncate and ftruncate; all of it survives a remount with an empty cache', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('ops', ['--block-size', '64KiB']);
    let m: Mount = await fx.mount('ops');
    const f = join(m.dir, 'data.bin');

    // Create and write a few blocks, then overwrite ranges crossing block edges.
    const model = Buffer.alloc(300 * 1024);
    randomBytes(model.length).copy(model);
    await writeFile(f, model);
    for (const [offset, length] of [[0, 10], [65_530, 20], [131_072, 65_536], [299 * 1024, 1024], [1000, 200_000]] as const) {
      const patch = randomBytes(length);
      await writeAt(f, offset, patch);
      patch.copy(model, offset);
    }
    expect((await stat(f)).size).toBe(model.length);
    expect((await readFile(f)).equals(model)).toBe(true);
    expect((await readAt(f, 65_000, 2_000)).equals(model.subarray(65_000, 67_000))).toBe(true);
    // Reads past the end are short, then empty.
    expect((await readAt(f, model.length - 10, 100)).equals(model.subarray(model.length - 10))).toBe(true);
    expect((await readAt(f, model.length + 5, 100)).length).toBe(0);

    // Sparse: a write far past the end leaves a hole of zeros.
    const sparse = join(m.dir, 'sparse.bin');
    await writeFile(sparse, 'head');
    await writeAt(sparse, 5 * MiB + 7, Buffer.from('tail'));
    expect((await stat(sparse)).size).toBe(5 * MiB + 11);
    const hole = await readAt(sparse, 4, 5 * MiB + 3);
    expect(hole.length).toBe(5 * MiB + 3);
    expect(hole.every((b) => b === 0)).toBe(true);
    expect((await readAt(sparse, 5 * MiB + 7, 4)).toString()).toBe('tail');

    // truncate(2): shrink to mid-block, grow again: the cut part reads as zeros.
    await truncate(f, 100_000);
    expect((await stat(f)).size).toBe(100_000);
    await truncate(f, 200_000);
    const grown = await readFile(f);
    expect(grown.length).toBe(200_000);
    expect(grown.subarray(0, 100_000).equals(model.subarray(0, 100_000))).toBe(true);
    expect(grown.subarray(100_000).every((b) => b === 0)).toBe(true);

    // ftruncate(2) on an open handle, then write through the same handle.
    const g = join(m.dir, 'ftrunc.bin');
    const fh = await open(g, 'w+');
    await fh.write(Buffer.alloc(70_000, 0x61), 0, 70_000, 0);
    await fh.truncate(10);
    expect((await fh.stat()).size).toBe(10);
    await fh.write(Buffer.from('XYZ'), 0, 3, 20);
    await fh.truncate(0);
    await fh.write(Buffer.from('abc'), 0, 3, 0);
    await fh.close();
    expect(await readFile(g, 'utf8')).toBe('abc');

    // O_TRUNC and append.
    await writeFile(g, 'new content');
    await writeFile(g, '+more', { flag: 'a' });
    expect(await readFile(g, 'utf8')).toBe('new content+more');

    const before = await snapshotTree(m.dir);
    await m.unmount();
    m = await fx.mount('ops');
    expect(await snapshotTree(m.dir)).toEqual(before);
    expect((await readFile(join(m.dir, 'data.bin'))).subarray(0, 100_000).equals(model.subarray(0, 100_000))).toBe(true);
    expect((await readAt(join(m.dir, 'sparse.bin'), 5 * MiB + 7, 4)).toString()).toBe('tail');
  });

  test('mkdir, rmdir, readdir, unlink and rename of files and directories, replacing targets as POSIX says', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('names');
    let m = await fx.mount('names');
    const p = (rel: string) => join(m.dir, rel);

    await mkdir(p('a/b/c'), { recursive: true });
    await writeFile(p('a/b/c/f1'), 'one');
    await writeFile(p('a/f2'), 'two');
    expect((await readdir(p('a'))).sort()).toEqual(['b', 'f2']);
    expect((await stat(p('a/b'))).isDirectory()).toBe(true);

    // Rename a file onto an existing file: the target is replaced atomically.
    await writeFile(p('x'), 'old x');
    await writeFile(p('y'), 'new y');
    await rename(p('y'), p('x'));
    expect(await readFile(p('x'), 'utf8')).toBe('new y');
    await expectCode(stat(p('y')), 'ENOENT');

    // Rename within and across directories; a renamed directory keeps its children.
    await rename(p('a/f2'), p('a/b/f2-moved'));
    expect(await readFile(p('a/b/f2-moved'), 'utf8')).toBe('two');
    await rename(p('a/b'), p('top'));
    expect(await readFile(p('top/c/f1'), 'utf8')).toBe('one');
    expect(await readdir(p('a'))).toEqual([]);
    await expectCode(stat(p('a/b')), 'ENOENT');

    // A directory replaces an empty directory; a non-empty target is refused.
    await mkdir(p('empty'));
    await rename(p('top/c'), p('empty'));
    expect(await readFile(p('empty/f1'), 'utf8')).toBe('one');
    await mkdir(p('d1'));
    await writeFile(p('d1/keep'), 'k');
    await mkdir(p('d2'));
    await expectCode(rename(p('d2'), p('empty')), 'ENOTEMPTY');
    // A file cannot replace a directory, nor a directory a file.
    await expectCode(rename(p('x'), p('d2')), 'EISDIR');
    await expectCode(rename(p('d2'), p('x')), 'ENOTDIR');
    // A directory cannot move into itself.
    await expectCode(rename(p('d1'), p('d1/sub')), 'EINVAL');
    // Renaming onto itself changes nothing.
    await rename(p('x'), p('x'));
    expect(await readFile(p('x'), 'utf8')).toBe('new y');

    // rmdir and unlink.
    await expectCode(rmdir(p('d1')), 'ENOTEMPTY');
    await unlink(p('d1/keep'));
    await rmdir(p('d1'));
    await rmdir(p('d2'));
    await expectCode(stat(p('d1')), 'ENOENT');

    // An unlinked file stays readable through a handle opened before the unlink.
    await writeFile(p('doomed'), 'still here');
    const fh = await open(p('doomed'), 'r');
    await unlink(p('doomed'));
    await expectCode(stat(p('doomed')), 'ENOENT');
    expect((await fh.readFile('utf8'))).toBe('still here');
    await fh.close();

    // Many entries in one directory.
    await mkdir(p('many'));
    const names = Array.from({ length: 300 }, (_, i) => `entry-${String(i).padStart(3, '0')}`);
    for (const name of names) await writeFile(p(`many/${name}`), name);
    expect((await readdir(p('many'))).sort()).toEqual(names);

    const before = await snapshotTree(m.dir);
    expect(Object.keys(before).filter((k) => !k.startsWith('many/')).sort()).toEqual(['a', 'empty', 'empty/f1', 'many', 'top', 'top/f2-moved', 'x']);
    await m.unmount();
    m = await fx.mount('names');
    expect(await snapshotTree(m.dir)).toEqual(before);
  });

  test('stat, chmod, chown, utimens, symlink and readlink, statfs; attributes survive a remount', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('attrs');
    let m = await fx.mount('attrs');
    const p = (rel: string) => join(m.dir, rel);

    await writeFile(p('f'), 'hello', { mode: 0o640 });
    let st = await stat(p('f'));
    expect(st.isFile()).toBe(true);
    expect(st.size).toBe(5);
    expect(st.nlink).toBe(1);
    expect(st.uid).toBe(process.getuid!());
    await mkdir(p('d'), { mode: 0o750 });
    expect((await stat(p('d'))).mode & 0o7777).toBe(0o750 & ~process.umask());

    await chmod(p('f'), 0o604);
    expect((await stat(p('f'))).mode & 0o7777).toBe(0o604);
    await chmod(p('d'), 0o1777);
    expect((await stat(p('d'))).mode & 0o7777).toBe(0o1777);

    // chown needs root for other ids; otherwise only a no-op chown to ourselves is allowed.
    const root = process.getuid!() === 0;
    const [uid, gid] = root ? [1234, 5678] : [process.getuid!(), process.getgid!()];
    await chown(p('f'), uid, gid);
    st = await stat(p('f'));
    expect([st.uid, st.gid]).toEqual([uid, gid]);
    if (root) {
      // -1 leaves an id unchanged.
      await chown(p('f'), -1, 4321);
      st = await stat(p('f'));
      expect([st.uid, st.gid]).toEqual([1234, 4321]);
    }

    // utimens: atime and mtime set to distinct, exact values (libfuse 2's layer once swapped them).
    const atime = new Date('2001-02-03T04:05:06.000Z');
    const mtime = new Date('2011-12-13T14:15:16.000Z');
    await utimes(p('f'), atime, mtime);
    st = await stat(p('f'));
    expect(st.mtime.toISOString()).toBe(mtime.toISOString());
    expect(st.atime.toISOString()).toBe(atime.toISOString());
    await utimes(p('d'), atime, mtime);
    expect((await stat(p('d'))).mtime.toISOString()).toBe(mtime.toISOString());

    // A write moves mtime forward from the set value.
    await writeFile(p('g'), 'x');
    await utimes(p('g'), atime, mtime);
    await writeFile(p('g'), 'xy', { flag: 'a' });
    expect((await stat(p('g'))).mtimeMs).toBeGreaterThan(mtime.getTime());

    // Symlinks: relative, absolute, dangling; readlink; following them.
    await symlink('f', p('link-rel'));
    await symlink('/nowhere/at/all', p('link-dangling'));
    await symlink('../f', p('d/link-up'));
    expect(await readlink(p('link-rel'))).toBe('f');
    expect(await readlink(p('link-dangling'))).toBe('/nowhere/at/all');
    expect((await lstat(p('link-rel'))).isSymbolicLink()).toBe(true);
    expect(await readFile(p('link-rel'), 'utf8')).toBe('hello');
    expect(await readFile(p('d/link-up'), 'utf8')).toBe('hello');
    await expectCode(readFile(p('link-dangling')), 'ENOENT');
    await expectCode(readlink(p('f')), 'EINVAL');
    await expectCode(symlink('f', p('link-rel')), 'EEXIST');
    await rename(p('link-rel'), p('d/link-moved'));
    expect(await readlink(p('d/link-moved'))).toBe('f');
    await unlink(p('link-dangling'));

    // statfs: sane numbers that reflect what is stored.
    const sfBefore = await statfs(m.dir);
    expect(sfBefore.bsize).toBeGreaterThan(0);
    expect(sfBefore.blocks).toBeGreaterThan(0);
    expect(sfBefore.bavail).toBeLessThanOrEqual(sfBefore.blocks);
    await writeFile(p('big'), Buffer.alloc(4 * MiB, 1));
    const sfAfter = await statfs(m.dir);
    expect(sfAfter.bfree).toBeLessThan(sfBefore.bfree);
    expect(sfAfter.ffree).toBeLessThan(sfBefore.ffree);

    const before = await snapshotTree(m.dir, { mtimes: true });
    const atimeBefore = (await stat(p('f'))).atime.toISOString();
    await m.unmount();
    m = await fx.mount('attrs');
    expect(await snapshotTree(m.dir, { mtimes: true })).toEqual(before);
    expect((await stat(p('f'))).atime.toISOString()).toBe(atimeBefore);
    expect((await stat(p('f'))).mtime.toISOString()).toBe(mtime.toISOString());
  });

  test('unlinking a journal that is still open (libfuse hides it as .fuse_hidden…) commits before unlink returns', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('hidden');
    const m = await fx.mount('hidden', { extraArgs: ['--commit-ms', '3600000', '--log-level', 'debug'] });
    const journal = join(m.dir, 'db-journal');
    // SQLite's DELETE-mode commit: write the journal (hot), close it, unlink it. A second
    // descriptor held open makes libfuse hide the file instead of unlinking it, as it does
    // whenever the kernel's release of the closed one has not been processed yet.
    const held = await open(journal, 'w');
    try {
      const fh = await open(journal, 'r+');
      await fh.write(Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7, 1, 2, 3, 4]), 0, 12, 0);
      await fh.sync(); // deferred: the journal is hot
      await fh.close(); // deferred too
      const before = await volumeInfo(fx, 'hidden');
      await unlink(journal);
      // The deletion's own commit ("journal-deleted"), which unlink waits for. Without it
      // only the release of the closed descriptor commits, a moment later and through
      // close's path ("close"): a COMMIT acknowledged in between could be lost to a crash.
      // (The log is written asynchronously: allow the line a moment to reach the file.)
      const journalCommitLogged = async () => (await m.log()).split('\n').some((l) => l.includes('"msg":"committed"') && l.includes('"reason":"journal-deleted"'));
      for (let i = 0; i < 20 && !(await journalCommitLogged()); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await journalCommitLogged()).toBe(true);
      const after = await volumeInfo(fx, 'hidden');
      expect(after.latestSeq).toBeGreaterThan(before.latestSeq);
      expect((await readdir(m.dir)).filter((n) => n.endsWith('-journal'))).toEqual([]);
    } finally {
      await held.close();
    }
  });

  test('fsync and fdatasync return only once the data is in the store', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('sync');
    // No periodic commits: only fsync, fdatasync and close publish.
    const m = await fx.mount('sync', { extraArgs: ['--commit-ms', '3600000'] });
    const infoBefore = await volumeInfo(fx, 'sync');

    const fh = await open(join(m.dir, 'journal.bin'), 'w');
    await fh.write(Buffer.alloc(3 * MiB + 5, 7), 0, 3 * MiB + 5, 0);
    await fh.sync();
    let info = await volumeInfo(fx, 'sync');
    expect(info.latestSeq).toBeGreaterThan(infoBefore.latestSeq);
    expect(info.sizeBytes).toBe(3 * MiB + 5);

    await fh.write(Buffer.from('more'), 0, 4, 3 * MiB + 5);
    await fh.datasync();
    info = await volumeInfo(fx, 'sync');
    expect(info.sizeBytes).toBe(3 * MiB + 9);

    // Directory fsync publishes a new name.
    await mkdir(join(m.dir, 'dir'));
    const child = await open(join(m.dir, 'dir', 'child'), 'w');
    const dh = await open(join(m.dir, 'dir'), 'r');
    await dh.sync();
    await dh.close();
    info = await volumeInfo(fx, 'sync');
    expect(info.files).toBe(2);
    await child.close();
    await fh.close();
  });
});
