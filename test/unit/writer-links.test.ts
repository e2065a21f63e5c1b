/*
 * Hard links and special files through the volumes (issue 14): WriterVolume.link and
 * mknod, one inode's data shared by its names, unlink and rename of one name, what
 * commits when a SQLite file has a second name, and a reader adopting a version with
 * links, FIFOs and sockets. The Namespace rules themselves are in namespace.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { cleanUpAfterEach, bs, createCommitted, newVolume, kindOf, readFile, reading, versionKeys, writing } from '../support/volume-test-helpers.js';

cleanUpAfterEach();

const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const journalMagic = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);

describe('WriterVolume: hard links', () => {
  it('a link shares the inode: writes through one name read through the other, st_nlink counts names, ctime changes', async () => {
    let now = 1_000;
    const { mount } = await newVolume({ clock: () => now });
    const rw = await mount('read-write');
    await createCommitted(rw, '/a', 'first');
    now = 2_000;
    rw.mkdir('/d', 0o755);
    rw.link('/a', '/d/b');
    const a = rw.getattr('/a');
    expect(rw.getattr('/d/b')).toEqual(a);
    expect(a).toMatchObject({ nlink: 2, ctimeMs: 2_000, mtimeMs: 1_000 });
    const fh = rw.open('/d/b', writing);
    await rw.write(fh, Buffer.from('SECOND'), 0);
    rw.release(fh);
    expect((await readFile(rw, '/a')).toString()).toBe('SECOND');
    expect(rw.getattr('/a').size).toBe(6);
    expect(await kindOf(() => rw.link('/d', '/d2'))).toBe('not-permitted');
    expect(await kindOf(() => rw.link('/a', '/d/b'))).toBe('exists');
    expect(await kindOf(() => rw.link('/missing', '/x'))).toBe('not-found');
  });

  it('unlinking one name keeps the data under the other, also for a handle open on the removed name; the last name takes it', async () => {
    let now = 1_000;
    const { repo, mount } = await newVolume({ clock: () => now });
    const rw = await mount('read-write');
    await createCommitted(rw, '/a', 'kept');
    rw.link('/a', '/b');
    const fh = rw.open('/a', writing);
    now = 3_000;
    await rw.unlink('/a');
    expect(rw.getattr('/b')).toMatchObject({ nlink: 1, ctimeMs: 3_000 });
    await rw.write(fh, Buffer.from('KEPT!'), 0);
    rw.release(fh);
    await rw.fsync('/b');
    expect((await readFile(rw, '/b')).toString()).toBe('KEPT!');
    // A fresh mount reads it back from the store, under the name left.
    const stored = Namespace.fromRecord(await repo.readVersion('vol', rw.versionSeq));
    expect(stored.tryResolve('/a')).toBeUndefined();
    expect(stored.nlink(stored.resolve('/b').ino)).toBe(1);
    expect((await readFile(await mount('read-only'), '/b')).toString()).toBe('KEPT!');
    const ino = rw.getattr('/b').ino;
    await rw.unlink('/b');
    await rw.fsync('/');
    expect(Namespace.fromRecord(await repo.readVersion('vol', rw.versionSeq)).inodes.has(ino)).toBe(false);
  });

  it('unlinking or renaming over one name of a closed file keeps its uncommitted data for the names left', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await createCommitted(rw, '/a', 'old');
    rw.link('/a', '/b');
    rw.link('/a', '/c');
    const fh = rw.open('/a', writing);
    await rw.write(fh, Buffer.alloc(bs + 10, 7), 0);
    rw.release(fh);
    await rw.unlink('/b');
    await createCommitted(rw, '/other', 'x');
    await rw.rename('/other', '/c');
    expect(await readFile(rw, '/a')).toEqual(Buffer.alloc(bs + 10, 7));
    await rw.fsync('/a');
    expect(await readFile(await mount('read-only'), '/a')).toEqual(Buffer.alloc(bs + 10, 7));
  });

  it('rename onto another name of the same inode does nothing; onto a linked file it takes one name of that file', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await createCommitted(rw, '/a', 'aaa');
    rw.link('/a', '/b');
    await rw.rename('/a', '/b');
    expect(rw.readdir('/').sort()).toEqual(['.', '..', 'a', 'b']);
    expect(rw.getattr('/a').nlink).toBe(2);
    await createCommitted(rw, '/c', 'ccc');
    await rw.rename('/c', '/b');
    expect(rw.getattr('/a').nlink).toBe(1);
    expect((await readFile(rw, '/a')).toString()).toBe('aaa');
    expect((await readFile(rw, '/b')).toString()).toBe('ccc');
  });
});

describe('WriterVolume: mknod', () => {
  it('makes FIFOs, sockets and empty regular files owned as create does; refuses devices with not-permitted', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    rw.mknod('/p', S_IFIFO | 0o640, 0);
    rw.mknod('/s', S_IFSOCK | 0o755, 0);
    rw.mknod('/f', S_IFREG | 0o600, 0);
    expect(rw.getattr('/p')).toMatchObject({ mode: S_IFIFO | 0o640, size: 0, nlink: 1, uid: 1000, gid: 1000 });
    expect(rw.getattr('/s')).toMatchObject({ mode: S_IFSOCK | 0o755, size: 0 });
    expect(rw.getattr('/f')).toMatchObject({ mode: S_IFREG | 0o600, size: 0 });
    expect((await readFile(rw, '/f')).length).toBe(0);
    expect(await kindOf(() => rw.mknod('/c', S_IFCHR | 0o644, 0x0103))).toBe('not-permitted');
    expect(await kindOf(() => rw.mknod('/blk', S_IFBLK | 0o644, 0x0800))).toBe('not-permitted');
    expect(await kindOf(() => rw.mknod('/p', S_IFIFO | 0o644, 0))).toBe('exists');
    expect(await kindOf(() => rw.open('/p', reading))).toBe('invalid');
    expect(await kindOf(() => rw.truncate('/p', 0))).toBe('invalid');
    rw.chmod('/p', 0o600);
    rw.link('/p', '/p2');
    expect(rw.getattr('/p2')).toMatchObject({ mode: S_IFIFO | 0o600, nlink: 2 });
    expect(rw.readdir('/').sort()).toEqual(['.', '..', 'f', 'p', 'p2', 's']);
  });
});

describe('ReaderVolume: links and special files', () => {
  it('adopts a version with links, FIFOs and sockets; refuses link and mknod (read-only)', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    rw.mkdir('/d', 0o755);
    await createCommitted(rw, '/a', 'shared');
    const ro = await mount('read-only');
    expect(ro.getattr('/a').nlink).toBe(1);
    rw.link('/a', '/d/b');
    rw.mknod('/p', S_IFIFO | 0o644, 0);
    rw.mknod('/s', S_IFSOCK | 0o644, 0);
    await rw.fsync('/');
    expect(await ro.refresh()).toBe(true);
    expect(ro.getattr('/d/b')).toEqual(ro.getattr('/a'));
    expect(ro.getattr('/a').nlink).toBe(2);
    expect((await readFile(ro, '/d/b')).toString()).toBe('shared');
    expect(ro.getattr('/p').mode).toBe(S_IFIFO | 0o644);
    expect(ro.getattr('/s').mode).toBe(S_IFSOCK | 0o644);
    await rw.unlink('/a');
    await rw.fsync('/');
    expect(await ro.refresh()).toBe(true);
    expect(ro.getattr('/d/b').nlink).toBe(1);
    expect(await kindOf(() => ro.link('/d/b', '/c'))).toBe('read-only');
    expect(await kindOf(() => ro.mknod('/q', S_IFIFO | 0o644, 0))).toBe('read-only');
  });
});

describe('WriterVolume: SQLite files with a second name', () => {
  it('a sync through a second name of a database (no journal of its own) commits at once; the version is inconsistent while the journal is hot', async () => {
    const { repo, memory, mount } = await newVolume();
    const rw = await mount('read-write');
    const db = rw.create('/db', 0o644);
    await rw.write(db, Buffer.alloc(bs, 1), 0);
    await rw.fsync('/db');
    rw.link('/db', '/db2');
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, Buffer.concat([journalMagic, Buffer.alloc(504, 3)]), 0);
    await rw.write(db, Buffer.alloc(100, 2), 0);
    const before = versionKeys(memory).length;
    await rw.fsync('/db'); // deferred: /db's transaction is open
    expect(versionKeys(memory)).toHaveLength(before);
    await rw.fsync('/db2'); // /db2-journal does not exist: nothing to wait for
    expect(versionKeys(memory)).toHaveLength(before + 1);
    expect((await repo.readVersion('vol', rw.versionSeq)).consistent).toBe(false);
    rw.release(j);
    rw.release(db);
  });

  it('unlinking a journal that has a second name commits (SQLite sees the journal gone), and the version is consistent; the other name keeps the bytes', async () => {
    const { repo, mount } = await newVolume();
    const rw = await mount('read-write');
    const j = rw.create('/db-journal', 0o644);
    const hot = Buffer.concat([journalMagic, Buffer.alloc(504, 3)]);
    await rw.write(j, hot, 0);
    rw.release(j);
    rw.link('/db-journal', '/saved');
    const seq = rw.versionSeq;
    await rw.unlink('/db-journal');
    expect(rw.versionSeq).toBe(seq + 1);
    const stored = await repo.readVersion('vol', rw.versionSeq);
    expect(stored.consistent).toBe(true);
    expect(await readFile(rw, '/saved')).toEqual(hot);
    // A link named as a journal is a journal: hot, it makes versions inconsistent.
    rw.link('/saved', '/other-journal');
    await rw.commit('test');
    expect((await repo.readVersion('vol', rw.versionSeq)).consistent).toBe(false);
  });

  it('every name of a -shm is host-local: a link of one is left out of versions too', async () => {
    const { repo, mount } = await newVolume();
    const rw = await mount('read-write');
    const shm = rw.create('/db-shm', 0o644);
    await rw.write(shm, Buffer.alloc(100, 1), 0);
    rw.release(shm);
    rw.link('/db-shm', '/copy');
    await createCommitted(rw, '/other', 'x');
    const stored = Namespace.fromRecord(await repo.readVersion('vol', rw.versionSeq));
    expect([...stored.walk()].map((e) => e.path)).toEqual(['/other']);
    expect(rw.getattr('/copy').nlink).toBe(2);
  });
});
