/*
 * SQLite with no journal on disk (journal_mode=MEMORY or OFF) on a writer mount: nothing in the
 * namespace says a transaction is under way, so only SQLite's lock on the database does
 * (vfs/sqlite/journalless-databases.ts). Every version the writer marks consistent must
 * hold a whole database at a transaction boundary, however many versions are sealed in
 * the middle of a long transaction, and the last state must end up in a consistent version.
 * Before the lock probe, versions sealed mid-transaction were marked consistent and held a
 * torn database ("database disk image is malformed").
 */
import { expect, test } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { waitFor } from '../support/multihost-children.js';

const ROWS = 20_000;
const SMALL_TRANSACTIONS = 10;

interface VersionLine {
  seq: number;
  consistent: boolean;
}

test.each(['memory', 'off'])('journal_mode=%s: every version marked consistent holds a whole database at a transaction boundary, and the last state reaches one', { timeout: 240_000 }, async (journalMode) => {
  await using fx = await ChalkfsFixture.create();
  await fx.createVolume('mem');
  // Frequent periodic commits: many land inside the long transaction.
  const m = await fx.mount('mem', { extraArgs: ['--commit-ms', '50'] });
  const db = new Database(join(m.dir, 'app.db'));
  try {
    // better-sqlite3 turns SQLite's defensive mode on, which refuses journal_mode=OFF.
    if (journalMode === 'off') db.unsafeMode(true);
    expect(db.pragma(`journal_mode=${journalMode}`, { simple: true })).toBe(journalMode);
    db.exec('BEGIN; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL); CREATE INDEX t_v ON t (v); CREATE TABLE meta (k INTEGER PRIMARY KEY, txn INTEGER NOT NULL); INSERT INTO meta VALUES (1, 0); COMMIT');
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < ROWS; i++) insert.run(`a-${rand().toString(36)}-${'x'.repeat(rand() % 40)}`);
      db.prepare('UPDATE meta SET txn = 1').run();
    })();
    // The long one rewrites pages the database already had (every row, and the index in
    // random order); a small page cache spills them to the file before the commit.
    db.pragma('cache_size=50');
    const update = db.prepare('UPDATE t SET v = ? WHERE id = ?');
    db.transaction(() => {
      for (let id = 1; id <= ROWS; id++) update.run(`b-${rand().toString(36)}`, id);
      db.prepare('UPDATE meta SET txn = 2').run();
    })();
    for (let n = 3; n <= SMALL_TRANSACTIONS + 2; n++) {
      db.prepare('UPDATE meta SET txn = ?').run(n);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    db.close();
  }

  const versions = async (): Promise<VersionLine[]> => JSON.parse((await fx.cliOk(['volume', 'versions', 'mem', '--json'])).stdout) as VersionLine[];
  await waitFor('a consistent version after the last transaction', 30_000, async () => (await versions()).at(-1)?.consistent === true, 200);
  await m.unmount();

  const all = await versions();
  // The test means something only if versions were sealed inside the long transaction.
  expect(all.some((v) => !v.consistent)).toBe(true);
  const states: number[] = [];
  for (const { seq } of all.filter((v) => v.consistent)) {
    const out = join(await fx.tempDir(`v${seq}`), 'x');
    await fx.cliOk(['volume', 'export', `mem@${seq}`, out]);
    let exported: Database.Database;
    try {
      exported = new Database(join(out, 'app.db'), { readonly: true, fileMustExist: true });
    } catch {
      continue; // before the database was created
    }
    try {
      expect(exported.pragma('integrity_check', { simple: true }), `version ${seq}`).toBe('ok');
      const tables = exported.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'meta'").get() as { n: number };
      if (tables.n === 0) continue; // before the schema's transaction
      const { txn } = exported.prepare('SELECT txn FROM meta').get() as { txn: number };
      const { rows, updated } = exported.prepare("SELECT count(*) AS rows, count(*) FILTER (WHERE v LIKE 'b-%') AS updated FROM t").get() as { rows: number; updated: number };
      expect({ rows, updated }, `version ${seq}: txn ${txn}`).toEqual({ rows: txn === 0 ? 0 : ROWS, updated: txn >= 2 ? ROWS : 0 });
      states.push(txn);
    } finally {
      exported.close();
    }
  }
  expect(states.at(-1)).toBe(SMALL_TRANSACTIONS + 2);
  expect(states).toEqual([...states].sort((a, b) => a - b));
});
