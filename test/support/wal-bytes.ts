/*
 * Real WAL files for tests: the bytes SQLite (better-sqlite3) writes for some statements,
 * read before the connection closes (its close would checkpoint and delete the WAL), and
 * where each frame of them lies.
 */
import Database from 'better-sqlite3';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The `-wal` after running `statements` (each its own transaction) on a new WAL database, never checkpointed. */
export async function walOf(statements: string[]): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'wal-bytes-'));
  try {
    const db = new Database(join(dir, 'x.db'));
    db.pragma('journal_mode=WAL');
    db.pragma('wal_autocheckpoint=0');
    for (const sql of statements) db.exec(sql);
    const wal = await readFile(join(dir, 'x.db-wal'));
    db.close();
    return wal;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Each frame of a WAL: its byte range and whether it is a commit frame (non-zero database size). */
export function walFrames(wal: Buffer): { start: number; end: number; commit: boolean }[] {
  const frameBytes = 24 + wal.readUInt32BE(8);
  const frames = [];
  for (let start = 32; start + frameBytes <= wal.length; start += frameBytes) {
    frames.push({ start, end: start + frameBytes, commit: wal.readUInt32BE(start + 4) !== 0 });
  }
  return frames;
}
