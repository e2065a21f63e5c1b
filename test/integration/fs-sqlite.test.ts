/*
 * SQLite (better-sqlite3, rollback journal) on a chalkfs mount. better-sqlite3 is
 * synchronous, which is safe here: the test process is not the mount daemon.
 */
import { expect, test } from 'vitest';
import Database from 'better-sqlite3';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';

const ROWS = 100_000;
const PER_TRANSACTION = 10_000;

interface Summary {
  count: number;
  sumN: number;
  checksum: string;
  sample: { id: number; n: number; label: string } | undefined;
}

function summarize(db: Database.Database): Summary {
  const { count, sumN } = db.prepare('SELECT count(*) AS count, sum(n) AS sumN FROM items').get() as { count: number; sumN: number };
  // An order-independent digest of every row's content, computed by SQLite itself.
  const { checksum } = db.prepare("SELECT hex(sum(length(label) * id) + sum(n % 997)) || '-' || max(label) AS checksum FROM items").get() as { checksum: string };
  const sample = db.prepare('SELECT id, n, label FROM items WHERE id = ?').get(77_777) as Summary['sample'];
  return { count, sumN, checksum, sample };
}

test(`SQLite: ${ROWS} rows inserted in transactions, queried, integrity-checked, and all there after a remount with an empty cache`, async () => {
  await using fx = await ChalkfsFixture.create();
  await fx.createVolume('sqlite');
  let m = await fx.mount('sqlite');
  const dbPath = join(m.dir, 'app', 'data.db');
  await mkdir(join(m.dir, 'app'));

  let expected: Summary;
  {
    const db = new Database(dbPath);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
      db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, label TEXT NOT NULL)');
      db.exec('CREATE INDEX items_n ON items (n)');
      const insert = db.prepare('INSERT INTO items (id, n, label) VALUES (?, ?, ?)');
      const batch = db.transaction((from: number) => {
        for (let id = from; id < from + PER_TRANSACTION; id++) insert.run(id, (id * 7919) % 100_003, `label-${id.toString(36)}-${'x'.repeat(id % 50)}`);
      });
      for (let from = 1; from <= ROWS; from += PER_TRANSACTION) batch(from);
      // An update and a delete in one more transaction, and a rolled-back one.
      db.transaction(() => {
        db.prepare('UPDATE items SET label = ? WHERE id = ?').run('updated', 5);
        db.prepare('DELETE FROM items WHERE id = ?').run(6);
      })();
      expect(() =>
        db.transaction(() => {
          db.prepare('DELETE FROM items').run();
          throw new Error('roll back');
        })(),
      ).toThrow('roll back');

      expected = summarize(db);
      expect(expected.count).toBe(ROWS - 1);
      expect(expected.sample).toEqual({ id: 77_777, n: (77_777 * 7919) % 100_003, label: `label-${(77_777).toString(36)}-${'x'.repeat(77_777 % 50)}` });
      expect((db.prepare('SELECT label FROM items WHERE id = 5').get() as { label: string }).label).toBe('updated');
      expect(db.prepare('SELECT count(*) AS c FROM items WHERE n BETWEEN 1000 AND 2000').get()).toEqual({ c: expect.any(Number) });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  }
  // No hot journal is left behind after a clean close.
  expect((await readdir(join(m.dir, 'app'))).sort()).toEqual(['data.db']);

  await m.unmount();
  m = await fx.mount('sqlite'); // a fresh, empty cache directory
  const db = new Database(join(m.dir, 'app', 'data.db'), { readonly: true, fileMustExist: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(summarize(db)).toEqual(expected!);
  } finally {
    db.close();
  }

  // The same database through a read-only mount of another host, also with an empty cache.
  const reader = await fx.addHost('reader').mount('sqlite', { readOnly: true });
  const ro = new Database(join(reader.dir, 'app', 'data.db'), { readonly: true, fileMustExist: true });
  try {
    expect(summarize(ro)).toEqual(expected!);
    expect(ro.pragma('quick_check', { simple: true })).toBe('ok');
  } finally {
    ro.close();
  }
});
