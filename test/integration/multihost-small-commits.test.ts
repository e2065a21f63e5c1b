/*
 * Small SQLite transactions commit as block patches (docs/FORMAT.md, "Patches"): one
 * version PUT each, no block upload, except when a commit folds patches back into
 * blocks. Another host, with an empty cache, reads the exact result.
 */
import { expect, test } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { seededRandom } from '../../chalkfs/util/seeded-random.js';

const ROWS = 20_000;
const UPDATES = 60;

function digest(db: Database.Database): unknown {
  return db.prepare("SELECT count(*) AS count, sum(n) AS sumN, hex(sum(length(label) * id)) || max(label) AS labels FROM items").get();
}

test(`${UPDATES} one-row transactions upload far fewer blocks than they write versions; another host reads the exact result`, { timeout: 180_000 }, async () => {
  await using fx = await ChalkfsFixture.create();
  await fx.createVolume('small');
  const writer = await fx.mount('small');
  const db = new Database(join(writer.dir, 'data.db'));
  let expected: unknown;
  let blocksBefore: number;
  let versionsBefore: number;
  try {
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, label TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO items (id, n, label) VALUES (?, ?, ?)');
    db.transaction(() => {
      for (let id = 1; id <= ROWS; id++) insert.run(id, id % 1000, `label-${id}-${'y'.repeat(id % 90)}`);
    })();
    blocksBefore = (await fx.listKeys('volumes/small/blocks/')).length;
    versionsBefore = (await fx.listKeys('volumes/small/versions/')).length;
    const random = seededRandom(42);
    const update = db.prepare('UPDATE items SET n = ?, label = ? WHERE id = ?');
    for (let i = 0; i < UPDATES; i++) {
      const id = 1 + Math.floor(random() * ROWS);
      update.run(i, `updated-${i}`, id);
    }
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expected = digest(db);
  } finally {
    db.close();
  }
  const newBlocks = (await fx.listKeys('volumes/small/blocks/')).length - blocksBefore;
  const newVersions = (await fx.listKeys('volumes/small/versions/')).length - versionsBefore;
  // The transactions were committed one by one, not batched (a commit that starts while
  // one runs may legitimately carry the next transaction too, so not exactly one each)...
  expect(newVersions).toBeGreaterThanOrEqual(UPDATES / 2);
  // ...and without patches every version carrying a transaction uploads a whole block.
  expect(newBlocks).toBeLessThan(newVersions / 2);

  const reader = await fx.addHost('reader').mount('small', { readOnly: true });
  const ro = new Database(join(reader.dir, 'data.db'), { readonly: true, fileMustExist: true });
  try {
    expect(ro.pragma('quick_check', { simple: true })).toBe('ok');
    expect(digest(ro)).toEqual(expected);
  } finally {
    ro.close();
  }
});
