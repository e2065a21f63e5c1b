// vfs/sqlite/sqlite-files.ts: sorting a path into a SQLite file kind, reading WAL mode from
// a database header, and leaving -shm files out of a version.
import { describe, expect, it } from 'vitest';
import { classify, headerSaysRollback, headerSaysWal, isHostLocal, mayBeDatabase, withoutHostLocalFiles } from '../../chalkfs/vfs/sqlite/sqlite-files.js';
import type { Inode } from '../../chalkfs/meta/format.js';

const base = { mode: 0o644, uid: 0, gid: 0, atimeMs: 0, mtimeMs: 0, ctimeMs: 0 };
const file = (sizeBytes = 0): Inode => ({ type: 'file', ...base, sizeBytes, blocks: [] });
const dir = (entries: Record<string, number>): Inode => ({ type: 'dir', ...base, entries });

function header(writeVersion: number, readVersion: number): Buffer {
  const h = Buffer.alloc(100);
  h.write('SQLite format 3\0', 'latin1');
  h[18] = writeVersion;
  h[19] = readVersion;
  return h;
}

describe('sqlite-files', () => {
  it('classifies a path as database, journal, wal or shm and names its database', () => {
    expect(classify('/d/app.db')).toEqual({ kind: 'db', database: '/d/app.db' });
    expect(classify('/d/app.db-journal')).toEqual({ kind: 'journal', database: '/d/app.db' });
    expect(classify('/d/app.db-wal')).toEqual({ kind: 'wal', database: '/d/app.db' });
    expect(classify('/d/app.db-shm')).toEqual({ kind: 'shm', database: '/d/app.db' });
    expect(isHostLocal('app.db-shm')).toBe(true);
    expect(isHostLocal('app.db-wal')).toBe(false);
    expect(isHostLocal('app.db')).toBe(false);
  });

  it('reads WAL mode from bytes 18/19 of a SQLite header only', () => {
    expect(headerSaysWal(header(2, 2))).toBe(true);
    expect(headerSaysWal(header(1, 1))).toBe(false);
    expect(headerSaysWal(Buffer.alloc(100, 2))).toBe(false);
    expect(headerSaysWal(header(2, 2).subarray(0, 19))).toBe(false);
    expect(mayBeDatabase(4096)).toBe(true);
    expect(mayBeDatabase(0)).toBe(false);
    expect(mayBeDatabase(4097)).toBe(false);
  });

  it('tells a rollback-journal database (the ones a follower switches under their locks) by bytes 18/19 both 1', () => {
    expect(headerSaysRollback(header(1, 1))).toBe(true);
    expect(headerSaysRollback(header(2, 2))).toBe(false);
    expect(headerSaysRollback(header(1, 2))).toBe(false);
    expect(headerSaysRollback(Buffer.alloc(100, 1))).toBe(false);
    expect(headerSaysRollback(header(1, 1).subarray(0, 19))).toBe(false);
  });

  it('leaves -shm files out of a version without touching the live inodes', () => {
    const root = dir({ 'a.db': 2, 'a.db-shm': 3, 'a.db-wal': 4, sub: 5 });
    const sub = dir({ 'b.db-shm': 6 });
    const inodes: Record<string, Inode> = { '1': root, '2': file(4096), '3': file(32768), '4': file(8192), '5': sub, '6': file(32768) };
    const { inodes: kept, left } = withoutHostLocalFiles(inodes);
    expect([...left].sort()).toEqual([3, 6]);
    expect(Object.keys(kept).sort()).toEqual(['1', '2', '4', '5']);
    expect(kept['1']).toMatchObject({ entries: { 'a.db': 2, 'a.db-wal': 4, sub: 5 } });
    expect(kept['5']).toMatchObject({ entries: {} });
    // The mount's own namespace still has its -shm.
    expect(root).toMatchObject({ entries: { 'a.db-shm': 3 } });
    expect(Object.keys(inodes)).toHaveLength(6);
    const none = { '1': dir({ 'a.db': 2 }), '2': file() };
    expect(withoutHostLocalFiles(none).inodes).toBe(none);
  });
});
