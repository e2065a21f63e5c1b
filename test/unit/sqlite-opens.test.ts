// vfs/sqlite/sqlite-opens.ts: which files a follower keeps on one kernel inode (pinned)
// rather than giving their newest content a new generation: SQLite's journal, WAL and
// shared-memory files by name, databases by their header; the header is loaded only
// when the size allows a database and it is not in memory.
import { describe, expect, it } from 'vitest';
import type { FileInode } from '../../chalkfs/meta/format.js';
import { SqliteOpens } from '../../chalkfs/vfs/sqlite/sqlite-opens.js';

const file = (sizeBytes: number): FileInode => ({ type: 'file', sizeBytes, blocks: ['h'], mode: 0o644, uid: 0, gid: 0, atimeMs: 0, mtimeMs: 0, ctimeMs: 0 });
const header = Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(496)]);
const never = { peek: () => { throw new Error('read a header it did not need'); }, load: () => Promise.reject(new Error('loaded a header it did not need')) };

describe('SqliteOpens', () => {
  it('journal, WAL and shared-memory files by name; a size no database has without reading', () => {
    const opens = new SqliteOpens();
    expect(opens.check('/d/x.db-journal', file(100), never)).toBe(true);
    expect(opens.check('/d/x.db-wal', file(100), never)).toBe(true);
    expect(opens.check('/d/x.db-shm', file(0), never)).toBe(true);
    expect(opens.check('/d/app.log', file(700 * 1024 + 13), never)).toBe(false);
    expect(opens.check('/d/app.log', file(0), never)).toBe(false);
  });

  it('a database-sized file by its header: peeked when in memory, loaded when not, remembered per inode', async () => {
    const opens = new SqliteOpens();
    const db = file(4096);
    expect(opens.check('/x.db', db, { peek: () => header, load: never.load })).toBe(true);
    expect(opens.check('/x.db', db, never)).toBe(true);
    const text = file(1024);
    expect(opens.check('/notes.txt', text, { peek: () => Buffer.alloc(1024, 0x61), load: never.load })).toBe(false);
    const cold = file(8192);
    const loading = opens.check('/cold.db', cold, { peek: () => undefined, load: async () => header });
    expect(loading).toBeInstanceOf(Promise);
    await loading;
    expect(opens.check('/cold.db', cold, never)).toBe(true);
    const hole = file(512);
    await opens.check('/hole', hole, { peek: () => undefined, load: async () => null });
    expect(opens.check('/hole', hole, never)).toBe(false);
  });
});
