// What SQLite's WAL recovery finds, read from real WAL files SQLite wrote
// (chalkfs/vfs/sqlite/wal-recovery.ts): a WAL with a valid header and no valid commit
// frame must be told apart, since followers' readers would get stuck on it; and where a
// commit frame ends (a WAL writer's commit point).
import { describe, expect, it } from 'vitest';
import { endsCommitFrame, walRecovery } from '../../chalkfs/vfs/sqlite/wal-recovery.js';
import { walFrames, walOf } from '../support/wal-bytes.js';

/** A WAL holding one committed one-page transaction (its first frame is the commit frame). */
const committedWal = (): Promise<Buffer> => walOf(['CREATE TABLE t (v)']);

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

describe('endsCommitFrame', () => {
  it('is true exactly at the end of each commit frame of a WAL SQLite wrote', async () => {
    // Two transactions: the second spans several pages (a blob in overflow pages).
    const wal = await walOf(['CREATE TABLE t (v)', 'INSERT INTO t VALUES (randomblob(20000))']);
    const frames = walFrames(wal);
    expect(frames.filter((f) => f.commit)).toHaveLength(2);
    expect(frames.filter((f) => !f.commit).length).toBeGreaterThan(2);
    for (const frame of frames) {
      expect(endsCommitFrame(frame.end, reader(wal))).toBe(frame.commit);
      // SQLite writes the frame header, then the page: the header's end is no commit point.
      expect(endsCommitFrame(frame.start + 24, reader(wal))).toBe(false);
    }
    expect(endsCommitFrame(32, reader(wal))).toBe(false);
  });

  it('is false for a frame of an older WAL generation (other salts), and when the bytes are not at hand', async () => {
    const wal = await walOf(['CREATE TABLE t (v)']);
    const [frame] = walFrames(wal);
    const stale = Buffer.from(wal);
    stale[frame!.start + 8] ^= 0xff;
    expect(endsCommitFrame(frame!.end, reader(stale))).toBe(false);
    expect(endsCommitFrame(frame!.end, () => undefined)).toBe(false);
  });
});
