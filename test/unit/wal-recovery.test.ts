// What SQLite's WAL recovery finds, read from real WAL files SQLite wrote
// (chalkfs/vfs/sqlite/wal-recovery.ts): a WAL with a valid header and no valid commit
// frame must be told apart, since followers' readers would get stuck on it.
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walRecovery } from '../../chalkfs/vfs/sqlite/wal-recovery.js';

/** A WAL holding one committed one-page transaction (its first frame is the commit frame). */
async function committedWal(): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'wal-recovery-'));
  try {
    const db = new Database(join(dir, 'x.db'));
    db.pragma('journal_mode=WAL');
    db.pragma('wal_autocheckpoint=0');
    db.exec('CREATE TABLE t (v)');
    const wal = await readFile(join(dir, 'x.db-wal'));
    db.close();
    return wal;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const reader = (bytes: Buffer) => (offset: number, lengthBytes: number) => bytes.subarray(offset, offset + lengthBytes);

describe('walRecovery', () => {
  it('finds the commit frame of a WAL SQLite wrote', async () => {
    const wal = await committedWal();
    expect(walRecovery(wal.length, reader(wal))).toBe('committed');
  });

  it('a valid header alone (a restarted WAL before its first commit) is no-commit; nothing at all is empty', async () => {
    const wal = await committedWal();
    const header = wal.subarray(0, 32);
    expect(walRecovery(32, reader(header))).toBe('no-commit');
    // The old frames a restarted WAL still holds carry the old salt: not this generation's.
    const restarted = Buffer.from(wal);
    restarted[16] ^= 0xff;
    expect(walRecovery(restarted.length, reader(restarted))).toBe('empty'); // header checksum no longer matches
    expect(walRecovery(0, reader(Buffer.alloc(0)))).toBe('empty');
  });

  it('a commit frame whose page was not written yet (torn) is no-commit', async () => {
    const wal = await committedWal();
    const torn = Buffer.from(wal);
    torn[32 + 24 + 100] ^= 0xff;
    expect(walRecovery(torn.length, reader(torn))).toBe('no-commit');
  });

  it('is undefined while bytes it needs are not at hand', async () => {
    const wal = await committedWal();
    expect(walRecovery(wal.length, (offset, length) => (offset === 0 ? wal.subarray(0, length) : undefined))).toBeUndefined();
  });
});
