// transfer/sqlite-source.ts against real SQLite (better-sqlite3) on a local directory: a
// rollback-journal database is read under SQLite's SHARED lock (a writer of this process,
// whose POSIX locks conflict with our OFD locks, gets SQLITE_BUSY until we let go); a hot
// journal is refused; a journal with RESERVED held (a writer mid-transaction) is not hot;
// a WAL database is copied with the backup API; any other file is read as it is.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSourceFile, type SourceFile } from '../../chalkfs/transfer/sqlite-source.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chalkfs-sqlite-source-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function contentOf(source: SourceFile): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source.content()) parts.push(c);
  return Buffer.concat(parts);
}

function database(name: string, mode: 'delete' | 'wal'): Database.Database {
  const db = new Database(join(dir, name));
  db.pragma(`journal_mode = ${mode}`);
  db.pragma('busy_timeout = 0');
  db.exec('CREATE TABLE t (x INTEGER)');
  db.exec('INSERT INTO t VALUES (1), (2), (3)');
  return db;
}

describe('openSourceFile', () => {
  it('reads a file that is no database as it is', async () => {
    await writeFile(join(dir, 'notes.txt'), 'just text');
    const source = await openSourceFile(join(dir, 'notes.txt'));
    expect(source.method).toBe('plain');
    expect((await contentOf(source)).toString()).toBe('just text');
    source.close();
  });

  it("holds SQLite's SHARED lock on a rollback-journal database until closed: a writer waits", async () => {
    const db = database('app.db', 'delete');
    const source = await openSourceFile(join(dir, 'app.db'), { timeoutMs: 1000, retryMs: 1 });
    expect(source.method).toBe('sqlite-shared');
    expect(() => db.exec('INSERT INTO t VALUES (4)')).toThrow(/locked|busy/i);
    expect(await contentOf(source)).toEqual(await readFile(join(dir, 'app.db')));
    source.close();
    db.exec('INSERT INTO t VALUES (4)');
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 4 });
    db.close();
  });

  it('refuses a database beside a hot journal, and names the way out', async () => {
    database('app.db', 'delete').close();
    // A journal header as a crashed writer leaves it: the magic, then the rest.
    const header = Buffer.alloc(512);
    Buffer.from('d9d505f920a163d7', 'hex').copy(header);
    await writeFile(join(dir, 'app.db-journal'), header);
    await expect(openSourceFile(join(dir, 'app.db'), { timeoutMs: 1000, retryMs: 1 })).rejects.toThrow(/hot journal .*Open the database with SQLite once/);
  });

  it('copies a database whose writer is inside a transaction (RESERVED held): its journal is not hot', async () => {
    const db = database('app.db', 'delete');
    db.exec('BEGIN IMMEDIATE');
    db.exec('INSERT INTO t VALUES (99)');
    const source = await openSourceFile(join(dir, 'app.db'), { timeoutMs: 1000, retryMs: 1 });
    const copy = join(dir, 'copy.db');
    await writeFile(copy, await contentOf(source));
    source.close();
    db.exec('ROLLBACK');
    db.close();
    const read = new Database(copy, { readonly: true });
    expect(read.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 3 });
    read.close();
  });

  it("copies a WAL database with SQLite's backup API, frames still in the WAL included", async () => {
    const db = database('wal.db', 'wal');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('INSERT INTO t VALUES (4)');
    const source = await openSourceFile(join(dir, 'wal.db'));
    expect(source.method).toBe('sqlite-backup');
    const copy = join(dir, 'copy.db');
    await writeFile(copy, await contentOf(source));
    source.close();
    db.close();
    const read = new Database(copy);
    expect(read.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(read.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 4 });
    read.close();
  });
});
