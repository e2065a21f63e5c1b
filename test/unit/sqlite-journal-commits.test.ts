/*
 * WriterVolume and SQLite's rollback journals: a hot journal makes a version
 * inconsistent, syncs inside a transaction wait for its end, and removing a journal
 * (deleting it, or renaming it away) commits before it returns, or is undone. And WAL
 * mode's commit point: writing a commit frame publishes a version with no sync.
 */
import { describe, expect, it, vi } from 'vitest';
import { walFrames, walOf } from '../support/wal-bytes.js';
import { cleanUpAfterEach, bs, failPuts, newVolume, kindOf, readFile, createCommitted, versionKeys } from '../support/volume-test-helpers.js';

cleanUpAfterEach();

describe('WriterVolume (a hot journal)', () => {
  it('a version with a hot journal is written but not consistent; deleting the journal commits', async () => {
    const { repo, mount } = await newVolume();
    const rw = await mount('read-write');
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7, 1, 2, 3]), 0);
    await rw.commit('test');
    expect((await repo.readVersion('vol', 2)).consistent).toBe(false);
    rw.release(j);
    await rw.unlink('/db-journal');
    expect(rw.versionSeq).toBe(3);
    expect((await repo.readVersion('vol', 3)).consistent).toBe(true);
  });
});

describe('WriterVolume (SQLite-aware syncs)', () => {
  const magic = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);

  it('a DELETE-mode transaction (journal synced zeroed, then hot, then the database) is one commit, at the journal deletion', async () => {
    const { memory, mount } = await newVolume();
    const rw = await mount('read-write');
    const db = rw.create('/db', 0o644);
    await rw.write(db, Buffer.alloc(bs, 1), 0);
    await rw.fsync('/db');
    const before = versionKeys(memory).length;
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, Buffer.alloc(512), 0); // synchronous=FULL: header zeroed at first
    await rw.fsync('/db-journal');
    await rw.fsync('/');
    await rw.write(j, magic, 0);
    await rw.fsync('/db-journal');
    await rw.write(db, Buffer.alloc(100, 2), 0);
    await rw.fsync('/db');
    expect(versionKeys(memory)).toHaveLength(before);
    rw.release(j);
    await rw.unlink('/db-journal');
    expect(versionKeys(memory)).toHaveLength(before + 1);
    rw.release(db);
  });

  it('a PERSIST-mode journal zeroed after being hot commits at its sync', async () => {
    const { memory, mount } = await newVolume();
    const rw = await mount('read-write');
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, Buffer.concat([magic, Buffer.alloc(504, 3)]), 0);
    await rw.fsync('/db-journal');
    const before = versionKeys(memory).length;
    await rw.write(j, Buffer.alloc(8), 0);
    await rw.fsync('/db-journal');
    expect(versionKeys(memory)).toHaveLength(before + 1);
    rw.release(j);
  });

  it('a PERSIST-mode journal hot and zeroed again between two commits, with no sync (synchronous=OFF), leaves the next commit consistent', async () => {
    const { repo, mount } = await newVolume();
    const rw = await mount('read-write');
    const db = rw.create('/db', 0o644);
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, Buffer.concat([magic, Buffer.alloc(504, 3)]), 0); // no sync: the magic goes in at once
    await rw.write(db, Buffer.alloc(100, 2), 0);
    await rw.write(j, Buffer.alloc(8), 0); // the commit point
    const seq = await rw.commit('periodic');
    expect((await repo.readVersion('vol', seq)).consistent).toBe(true);
    rw.release(j);
    rw.release(db);
  });
});

describe('WriterVolume (journal deletion)', () => {
  it('a journal deletion whose commit fails is undone: the journal stays, hot, with its unsynced content', async () => {
    const { store, mount } = await newVolume();
    const rw = await mount('read-write');
    const header = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7, 7, 7, 7]);
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, header, 0);
    rw.release(j);
    const putsBack = failPuts(store);
    expect(await kindOf(() => rw.unlink('/db-journal'))).toBe('io');
    putsBack();
    expect(rw.getattr('/db-journal').size).toBe(header.length);
    expect(await readFile(rw, '/db-journal')).toEqual(header);
    await rw.unlink('/db-journal');
    expect(await kindOf(() => rw.getattr('/db-journal'))).toBe('not-found');
  });

  it('a journal whose block awaits upload keeps it through a deletion commit that fails (never dropped as unreferenced meanwhile)', async () => {
    const { store, mount } = await newVolume();
    const rw = await mount('read-write');
    const hot = Buffer.alloc(bs, 7);
    hot.set([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, hot, 0);
    rw.release(j);
    // The store is down: a commit seals the journal's block, which waits for upload...
    const putsBack = failPuts(store);
    expect(await kindOf(() => rw.commit('periodic'))).toBe('io');
    // ...and the journal's deletion (SQLite's commit point) fails and is undone.
    expect(await kindOf(() => rw.unlink('/db-journal'))).toBe('io');
    putsBack();
    expect(await readFile(rw, '/db-journal')).toEqual(hot);
    await rw.unlink('/db-journal');
    expect(await kindOf(() => rw.getattr('/db-journal'))).toBe('not-found');
  });
});

describe('WriterVolume (journal renamed away)', () => {
  it('renaming a journal to a non-journal name (libfuse\'s .fuse_hidden) commits before returning; a failed commit puts both names back', async () => {
    const { store, memory, mount } = await newVolume();
    const rw = await mount('read-write');
    const header = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7, 7, 7, 7]);
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, header, 0);
    await rw.commit('test');
    const versionsBefore = versionKeys(memory).length;

    // Failing: nothing moved, the journal is still there with its content.
    await createCommitted(rw, '/.fuse_hidden0000000100000001', 'in the way');
    const putsBack = failPuts(store);
    expect(await kindOf(() => rw.rename('/db-journal', '/.fuse_hidden0000000100000001'))).toBe('io');
    putsBack();
    expect(await readFile(rw, '/db-journal')).toEqual(header);
    expect((await readFile(rw, '/.fuse_hidden0000000100000001')).toString()).toBe('in the way');

    // Succeeding: a new version, without the journal, is durable when rename returns.
    const committedBefore = versionKeys(memory).length;
    await rw.rename('/db-journal', '/.fuse_hidden0000000100000002');
    expect(versionKeys(memory).length).toBe(committedBefore + 1);
    expect(committedBefore).toBeGreaterThan(versionsBefore);
    const ro = await mount('read-only');
    expect(await kindOf(() => ro.getattr('/db-journal'))).toBe('not-found');
    expect(await readFile(ro, '/.fuse_hidden0000000100000002')).toEqual(header);
    rw.release(j);

    // Renames between journal names, or of other files, do not commit.
    const plain = versionKeys(memory).length;
    await rw.rename('/.fuse_hidden0000000100000002', '/other');
    expect(versionKeys(memory).length).toBe(plain);
  });
});

describe('WriterVolume (WAL commit frames)', () => {
  it('writing a commit frame publishes a version without any sync (synchronous=NORMAL); the frames before it do not', async () => {
    // A WAL SQLite wrote: one transaction of several frames, the last its commit frame.
    const wal = await walOf(['CREATE TABLE t AS SELECT randomblob(20000) AS v']);
    const frames = walFrames(wal);
    expect(frames.map((f) => f.commit)).toEqual([...frames.slice(1).map(() => false), true]);
    const { memory, repo, mount } = await newVolume(); // no periodic commit in tests
    const rw = await mount('read-write');
    const before = versionKeys(memory).length;
    const fh = rw.create('/db-wal', 0o644);
    // As SQLite writes it: the header, then per frame its 24-byte header and its page.
    await rw.write(fh, Buffer.from(wal.subarray(0, 32)), 0);
    for (const { start, end } of frames) {
      await rw.write(fh, Buffer.from(wal.subarray(start, start + 24)), start);
      await rw.write(fh, Buffer.from(wal.subarray(start + 24, end)), start + 24);
    }
    await vi.waitFor(() => expect(versionKeys(memory).length).toBeGreaterThan(before));
    await rw.commit('settle'); // nothing changed since: no version of its own
    // One version, at the commit frame; none for the frames before it.
    expect(versionKeys(memory)).toHaveLength(before + 1);
    const published = await repo.readVersion('vol', rw.versionSeq);
    expect(published.consistent).toBe(true);
    expect(await readFile(rw, '/db-wal')).toEqual(wal);
    rw.release(fh);
  });
});
