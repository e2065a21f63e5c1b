/*
 * A follower serves a WAL database and its -wal from one version (reader-volume.ts,
 * sqlite/wal-pairs.ts), and never adopts a version whose -wal has a header but no commit
 * frame (sqlite/wal-recovery.ts, sqlite-consistency.ts). A -wal held open that a version
 * deletes (the writer's last connection closed) switches with its database and reads as
 * empty from then on; fstat through it keeps working. A -wal held open that a version
 * replaced (the writer closed and opened again) switches with its database to the new
 * one's content, and no open meanwhile gets one file of each version (docs/CONSISTENCY.md,
 * "WAL mode").
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtemp, readFile as readLocal, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanUpAfterEach, newVolume, openNow, createCommitted, rewriteCommitted, reading, writing, kindOf, invalidatorOf } from '../support/volume-test-helpers.js';
import { waitFor } from '../support/multihost-children.js';
import type { DatabaseGate, VolumeView } from '../../chalkfs/vfs/volume-view.js';
import type { WriterVolume } from '../../chalkfs/vfs/writer-volume.js';

cleanUpAfterEach();

async function contentOf(v: Pick<VolumeView, 'read'>, fh: number): Promise<string> {
  const out = Buffer.alloc(64);
  return out.subarray(0, await v.read(fh, out, 64, 0)).toString();
}

/** Writes `bytes` as the whole of `path` (created if missing) and syncs: one version. */
async function writeCommitted(rw: WriterVolume, path: string, bytes: Buffer): Promise<void> {
  const fh = rw.readdir('/').includes(path.slice(1)) ? rw.open(path, writing) : rw.create(path, 0o644);
  await rw.truncate(path, 0);
  await rw.write(fh, bytes, 0);
  rw.release(fh);
  await rw.fsync(path);
}

/** The first page of a WAL-mode SQLite database (bytes 18 and 19 are 2), with `marker` in it. */
function walDatabase(marker: string): Buffer {
  return sqliteDatabase(marker, 2);
}

/** The first page of a SQLite database whose header says WAL (2) or rollback (1). */
function sqliteDatabase(marker: string, journalVersion: 1 | 2): Buffer {
  const page = Buffer.alloc(512);
  page.write('SQLite format 3\0', 0, 'latin1');
  page[18] = journalVersion;
  page[19] = journalVersion;
  page.write(marker, 100);
  return page;
}

/** A gate that is always granted at once (no reader holds a lock), recording what it was asked. */
function recordingGate(): DatabaseGate & { walPaths: string[]; dropped: number[] } {
  const walPaths: string[] = [];
  const dropped: number[] = [];
  return {
    walPaths,
    dropped,
    holdReaders: async () => ({ held: true, release: () => undefined }),
    holdWalReaders: async (path) => {
      walPaths.push(path);
      return { held: true, release: () => undefined };
    },
    dropPages: async ({ ino }) => void dropped.push(ino),
  };
}

/** A gate whose holds wait until `grant()` (a reader in a read transaction), recording the pages dropped. */
function heldGate(): DatabaseGate & { dropped: number[]; waiting(): number; grant(): void } {
  const dropped: number[] = [];
  const waiters: (() => void)[] = [];
  let granted = false;
  const hold = () => new Promise<{ held: true; release(): void }>((resolve) => {
    const done = () => resolve({ held: true, release: () => undefined });
    if (granted) done();
    else waiters.push(done);
  });
  return {
    dropped,
    waiting: () => waiters.length,
    grant: () => {
      granted = true;
      for (const done of waiters.splice(0)) done();
    },
    holdReaders: hold,
    holdWalReaders: hold,
    dropPages: async ({ ino }) => void dropped.push(ino),
  };
}

/** What a new connection reads: the database's marker and the -wal's content, opened in SQLite's order. */
async function pairRead(ro: VolumeView): Promise<[string, string]> {
  // Awaited: a database whose header is not yet known is read first (empty -wal, sqlite/empty-wals.ts).
  const db = await ro.open('/a.db', reading);
  const wal = openNow(ro, '/a.db-wal');
  try {
    return [Buffer.concat(await ro.readBytes(db, 512, 0)).toString('latin1', 100, 105), await contentOf(ro, wal)];
  } finally {
    ro.release(wal);
    ro.release(db);
  }
}

describe('WAL pairs on a follower', () => {
  it('a -wal opened after its database was pinned gets the database\'s version, and keeps it while the database is open', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await createCommitted(rw, '/a.db', 'db v1');
    await createCommitted(rw, '/a.db-wal', 'wal v1');
    const ro = await mount('read-only');
    const db = openNow(ro, '/a.db');
    await rewriteCommitted(rw, '/a.db-wal', 'wal v2');
    expect(await ro.refresh()).toBe(true);
    // Only the -wal changed, and it was not open: it is served at the database's version.
    const wal = openNow(ro, '/a.db-wal');
    expect(await contentOf(ro, wal)).toBe('wal v1');
    ro.release(wal);
    expect(await contentOf(ro, openNow(ro, '/a.db-wal'))).toBe('wal v1');
    ro.release(db);
  });

  it('a version whose -wal has a valid header but no commit frame is not adopted; the next commit is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wal-pairs-'));
    let wal: Buffer;
    try {
      const local = new Database(join(dir, 'x.db'));
      local.pragma('journal_mode=WAL');
      local.pragma('wal_autocheckpoint=0');
      local.exec('CREATE TABLE t (v)');
      wal = await readLocal(join(dir, 'x.db-wal'));
      local.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    const ro = await mount('read-only');
    const seq = ro.versionSeq;
    await writeCommitted(rw, '/x.db-wal', wal.subarray(0, 32));
    expect(await ro.refresh()).toBe(false);
    expect(ro.versionSeq).toBe(seq);
    await writeCommitted(rw, '/x.db-wal', wal);
    expect(await ro.refresh()).toBe(true);
  });

  it('a -wal held open that a version deletes (its writer closed) switches with its database to empty; fstat through it still answers; a new -wal later: the held -wal follows it', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await writeCommitted(rw, '/a.db', walDatabase('db v1'));
    await createCommitted(rw, '/a.db-wal', 'wal v1');
    const ro = await mount('read-only');
    const gate = recordingGate();
    ro.followOpenDatabases(gate);
    const db = openNow(ro, '/a.db');
    const wal = openNow(ro, '/a.db-wal');
    const shm = openNow(ro, '/a.db-shm');
    const walIno = ro.getattr('/a.db-wal').ino;
    const shmIno = ro.getattr('/a.db-shm').ino;

    // The writer's last connection: a full checkpoint into the database, then the -wal deleted.
    await writeCommitted(rw, '/a.db', walDatabase('db v2'));
    await rw.unlink('/a.db-wal');
    await rw.fsync('/');
    expect(await ro.refresh()).toBe(true);
    expect(await kindOf(() => ro.getattr('/a.db-wal'))).toBe('not-found');
    // Its -shm stays served while held: the switch takes its readers' lock there.
    expect(ro.getattr('/a.db-shm').ino).toBe(shmIno);

    await waitFor('the -wal switched to empty', 5_000, async () => (await contentOf(ro, wal)) === '');
    expect(gate.walPaths).toContain('/a.db');
    expect(gate.dropped).toEqual(expect.arrayContaining([ro.getattr('/a.db').ino, walIno]));
    expect(Buffer.concat(await ro.readBytes(db, 512, 0)).toString('latin1', 100, 105)).toBe('db v2');
    expect(ro.openFileAttributes(walIno)).toMatchObject({ ino: walIno, size: 0, nlink: 0 });
    expect(ro.status().lagging).toEqual([]);

    // The writer opens it again: a new -wal (another inode). The held pair follows it.
    await createCommitted(rw, '/a.db-wal', 'wal v3');
    await writeCommitted(rw, '/a.db', walDatabase('db v3'));
    expect(await ro.refresh()).toBe(true);
    await waitFor('the held -wal switched to the new one', 5_000, async () => (await contentOf(ro, wal)) === 'wal v3');
    expect(Buffer.concat(await ro.readBytes(db, 512, 0)).toString('latin1', 100, 105)).toBe('db v3');
    expect(ro.status().lagging).toEqual([]);
    ro.release(wal);
    ro.release(shm);
    ro.release(db);
    expect(ro.openFileAttributes(walIno)).toBeUndefined();
  });

  it('a held pair whose -wal a version replaced (the writer closed and opened again): new opens get one version of both files, and the held -wal follows with its database', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await writeCommitted(rw, '/a.db', walDatabase('db v1'));
    await createCommitted(rw, '/a.db-wal', 'wal v1');
    const ro = await mount('read-only');
    const gate = heldGate();
    ro.followOpenDatabases(gate);
    const db = openNow(ro, '/a.db');
    const wal = openNow(ro, '/a.db-wal');
    const shm = openNow(ro, '/a.db-shm');
    const oldWalIno = ro.getattr('/a.db-wal').ino;

    // Within one refresh interval: a full checkpoint, the -wal deleted, a new one made with a commit.
    await writeCommitted(rw, '/a.db', walDatabase('db v2'));
    await rw.unlink('/a.db-wal');
    await createCommitted(rw, '/a.db-wal', 'wal v2');
    expect(await ro.refresh()).toBe(true);
    const newWalIno = ro.getattr('/a.db-wal').ino;
    expect(newWalIno).not.toBe(oldWalIno);

    // A reader holds its read transaction: the switch waits. A new connection meanwhile gets one version of the pair.
    expect(await pairRead(ro)).toEqual(['db v1', 'wal v1']);
    await waitFor('the switch waiting for the readers\' lock', 5_000, () => gate.waiting() > 0);
    expect(await pairRead(ro)).toEqual(['db v1', 'wal v1']);

    gate.grant();
    await waitFor('the held -wal switched with its database', 5_000, async () => (await contentOf(ro, wal)) === 'wal v2');
    expect(Buffer.concat(await ro.readBytes(db, 512, 0)).toString('latin1', 100, 105)).toBe('db v2');
    expect(ro.openFileAttributes(oldWalIno)).toMatchObject({ ino: oldWalIno, size: 'wal v2'.length, nlink: 0 });
    expect(gate.dropped).toEqual(expect.arrayContaining([ro.getattr('/a.db').ino, oldWalIno, newWalIno]));
    expect(await pairRead(ro)).toEqual(['db v2', 'wal v2']);
    expect(ro.status().lagging).toEqual([]);

    // The next commit moves the held -wal and the new one together.
    await rewriteCommitted(rw, '/a.db-wal', 'wal v3');
    expect(await ro.refresh()).toBe(true);
    await waitFor('the held -wal following the next commit', 5_000, async () => (await contentOf(ro, wal)) === 'wal v3');
    expect(await pairRead(ro)).toEqual(['db v2', 'wal v3']);

    // The writer closes: every -wal open here reads as empty.
    await writeCommitted(rw, '/a.db', walDatabase('db v4'));
    await rw.unlink('/a.db-wal');
    await rw.fsync('/');
    expect(await ro.refresh()).toBe(true);
    await waitFor('the held -wal switched to empty', 5_000, async () => (await contentOf(ro, wal)) === '');
    expect(Buffer.concat(await ro.readBytes(db, 512, 0)).toString('latin1', 100, 105)).toBe('db v4');
    ro.release(wal);
    ro.release(shm);
    ro.release(db);
  });

  it('a WAL database whose version holds no -wal (its writer closed it) is served with an empty -wal and -shm once opened, kept while that holds, gone once a -wal or a rollback header returns', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await writeCommitted(rw, '/a.db', walDatabase('db v1'));
    const ro = await mount('read-only');
    ro.followOpenDatabases(recordingGate());
    let invalidations = 0;
    ro.setInvalidator(invalidatorOf(() => invalidations++));
    expect(ro.readdir('/')).not.toContain('a.db-wal');
    expect(await kindOf(() => ro.getattr('/a.db-wal'))).toBe('not-found');

    // Opening the database reads its header: WAL, so an empty -wal (and -shm) are served beside it; the kernel is told first.
    const db = await ro.open('/a.db', reading);
    expect(invalidations).toBeGreaterThan(0);
    expect(ro.readdir('/')).toEqual(expect.arrayContaining(['a.db', 'a.db-wal', 'a.db-shm']));
    expect(ro.getattr('/a.db-wal')).toMatchObject({ size: 0 });
    expect(await pairRead(ro)).toEqual(['db v1', '']);
    await expect(Promise.resolve().then(() => ro.open('/a.db-wal', writing))).rejects.toMatchObject({ kind: 'read-only' });
    const shm = openNow(ro, '/a.db-shm');
    ro.release(shm);
    ro.release(db);
    // Never on the writer, never stored.
    expect(rw.readdir('/')).not.toContain('a.db-wal');

    // A version that leaves the database as it was: the empty -wal stays (its header is known).
    await createCommitted(rw, '/other', 'x');
    expect(await ro.refresh()).toBe(true);
    expect(ro.readdir('/')).toContain('a.db-wal');
    expect(await pairRead(ro)).toEqual(['db v1', '']);

    // The writer opens it again: the version's own -wal is served, and read with its database.
    await writeCommitted(rw, '/a.db', walDatabase('db v2'));
    await createCommitted(rw, '/a.db-wal', 'wal v2');
    expect(await ro.refresh()).toBe(true);
    // The kernel knew the pair: it is pinned until it switches as a unit (live-databases.ts; the gate here grants at once).
    await waitFor('the pair switched to the version\'s own -wal', 5_000, async () => (await pairRead(ro))[1] === 'wal v2');
    expect(await pairRead(ro)).toEqual(['db v2', 'wal v2']);
    expect(ro.getattr('/a.db-wal')).toMatchObject({ size: 'wal v2'.length });

    // It closes again: empty once more at the next open.
    await writeCommitted(rw, '/a.db', walDatabase('db v3'));
    await rw.unlink('/a.db-wal');
    await rw.fsync('/');
    expect(await ro.refresh()).toBe(true);
    await waitFor('the pair switched to the database alone', 5_000, async () => (await pairRead(ro))[0] === 'db v3');
    expect(await pairRead(ro)).toEqual(['db v3', '']);

    // Its header says rollback now: no -wal at all (SQLite would open it in WAL mode), also after an open.
    await writeCommitted(rw, '/a.db', sqliteDatabase('db v4', 1));
    expect(await ro.refresh()).toBe(true);
    expect(ro.readdir('/')).not.toContain('a.db-wal');
    await waitFor('the database switched to rollback mode', 5_000, async () => {
      const fh = await ro.open('/a.db', reading);
      const marker = Buffer.concat(await ro.readBytes(fh, 512, 0)).toString('latin1', 100, 105);
      ro.release(fh);
      return marker === 'db v4';
    });
    const rollback = await ro.open('/a.db', reading);
    expect(await kindOf(() => ro.getattr('/a.db-wal'))).toBe('not-found');
    expect(ro.readdir('/')).not.toContain('a.db-wal');
    ro.release(rollback);
  });
});
