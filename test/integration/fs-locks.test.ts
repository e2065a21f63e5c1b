/*
 * POSIX advisory locks within a host: processes sharing one mount coordinate through
 * the kernel's fcntl and flock locks, as on a local disk, so concurrent SQLite writers
 * serialize instead of losing transactions.
 */
import { expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { projectRoot } from '../../chalkfs/util/paths.js';

const WRITERS = 4;
const TRANSACTIONS = 40;

const writerScript = `
const Database = require('better-sqlite3');
const [path, worker, count] = process.argv.slice(1);
const db = new Database(path);
db.pragma('busy_timeout = 30000');
const insert = db.prepare('INSERT INTO log (worker, seq, payload) VALUES (?, ?, ?)');
for (let i = 0; i < Number(count); i++) {
  db.transaction(() => insert.run(Number(worker), i, 'x'.repeat(200 + ((i * 37) % 500))))();
}
db.close();
`;

function run(command: string, args: string[], cwd = projectRoot): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

test('several processes writing one SQLite database on one mount keep every transaction', async () => {
  await using fx = await ChalkfsFixture.create();
  await fx.createVolume('locks');
  const m = await fx.mount('locks');
  const path = join(m.dir, 'shared.db');
  const setup = new Database(path);
  setup.exec('CREATE TABLE log (worker INTEGER, seq INTEGER, payload TEXT, PRIMARY KEY (worker, seq))');
  setup.close();

  const results = await Promise.all(
    Array.from({ length: WRITERS }, (_, worker) => run(process.execPath, ['-e', writerScript, path, String(worker), String(TRANSACTIONS)])),
  );
  for (const r of results) expect(r.code, r.stderr).toBe(0);

  const db = new Database(path, { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  const rows = db.prepare('SELECT worker, count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM log GROUP BY worker ORDER BY worker').all();
  db.close();
  expect(rows).toEqual(Array.from({ length: WRITERS }, (_, worker) => ({ worker, n: TRANSACTIONS, lo: 0, hi: TRANSACTIONS - 1 })));
});

test('flock and fcntl locks taken by one process are seen by another on the same mount', async () => {
  await using fx = await ChalkfsFixture.create();
  await fx.createVolume('flock');
  const m = await fx.mount('flock');
  const file = join(m.dir, 'lockfile');
  const held = spawn('flock', [file, 'sleep', '2'], { stdio: 'ignore' });
  const heldExit = new Promise((r) => held.once('exit', r));
  try {
    // Wait until the holder has the lock (bounded): a non-blocking attempt fails then.
    let busy = false;
    for (let i = 0; i < 50 && !busy; i++) {
      busy = (await run('flock', ['-n', file, 'true'])).code !== 0;
      if (!busy) await new Promise((r) => setTimeout(r, 50));
    }
    expect(busy).toBe(true);
    // SQLite's own fcntl locking: a second writer is refused while the first holds a write transaction.
    const a = new Database(join(m.dir, 'f.db'));
    a.exec('CREATE TABLE t (x)');
    a.exec('BEGIN IMMEDIATE');
    const b = new Database(join(m.dir, 'f.db'));
    b.pragma('busy_timeout = 0');
    expect(() => b.exec('BEGIN IMMEDIATE')).toThrow(/database is locked/);
    a.exec('COMMIT');
    b.exec('BEGIN IMMEDIATE');
    b.exec('COMMIT');
    a.close();
    b.close();
  } finally {
    // The lock lives as long as the holder's sleep: wait for it rather than kill flock.
    await heldExit;
  }
  expect((await run('flock', ['-n', file, 'true'])).code).toBe(0);
});
