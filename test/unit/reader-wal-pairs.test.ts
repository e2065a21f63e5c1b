/*
 * A follower serves a WAL database and its -wal from one version (reader-volume.ts,
 * sqlite/wal-pairs.ts), and never adopts a version whose -wal has a header but no commit
 * frame (sqlite/wal-recovery.ts, sqlite-consistency.ts).
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtemp, readFile as readLocal, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanUpAfterEach, newVolume, openNow, createCommitted, rewriteCommitted, writing } from '../support/volume-test-helpers.js';
import type { WriterVolume } from '../../chalkfs/vfs/writer-volume.js';

cleanUpAfterEach();

async function contentOf(v: { read(fh: number, out: Buffer, length: number, offset: number): Promise<number> }, fh: number): Promise<string> {
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
});
