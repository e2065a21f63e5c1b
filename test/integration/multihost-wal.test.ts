/*
 * A WAL-mode database read from another host. chalkfs does not ship a WAL index between
 * hosts, and a writer's `-shm` (its host's shared memory) served to a reader made the
 * reader's SQLite trust a stale index: wrong sums, with quick_check saying ok. A `-shm`
 * is never stored now, and a read-only or pinned mount refuses to open a WAL database,
 * naming the cause in its log and status, instead of serving wrong data.
 */
import { expect, test } from 'vitest';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { Children, waitFor } from '../support/multihost-children.js';
import type { Inode } from '../../chalkfs/meta/format.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';

const ACCOUNTS = 200;
const START_BALANCE = 1000;
const TOTAL = ACCOUNTS * START_BALANCE;
const READS = 150;

/** Moves money between accounts in WAL mode (the sum never changes) until the stop file exists. */
const walWriterCode = String.raw`
const Database = require('better-sqlite3');
const fs = require('node:fs');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
let seed = 7;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
try {
  const db = new Database(o.db, { timeout: 10000 });
  const mode = db.pragma('journal_mode=WAL', { simple: true });
  // Frequent checkpoints restart the WAL often: a stale index then names frames that now
  // hold other pages (what made readers on other hosts see wrong sums).
  db.pragma('wal_autocheckpoint=8');
  db.exec('CREATE TABLE IF NOT EXISTS acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL, pad BLOB NOT NULL)');
  db.transaction(() => {
    const insert = db.prepare('INSERT INTO acct (id, bal, pad) VALUES (?, ?, randomblob(300))');
    for (let id = 1; id <= o.accounts; id++) insert.run(id, o.start);
  })();
  out({ type: 'ready', mode });
  const move = db.prepare('UPDATE acct SET bal = bal + ?, pad = randomblob(300) WHERE id = ?');
  const transfer = db.transaction((from, to, amount) => { move.run(-amount, from); move.run(amount, to); });
  let n = 0;
  while (!fs.existsSync(o.stopFile)) {
    transfer(1 + Math.floor(rand() * o.accounts), 1 + Math.floor(rand() * o.accounts), 1 + Math.floor(rand() * 50));
    if (++n % 20 === 0) {
      // The kernel writes SQLite's mmap'ed -shm pages back to the mount within 30 s
      // (dirty_expire_centisecs); syncing it here makes that happen within the test.
      const fd = fs.openSync(o.db + '-shm', 'r+');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      out({ type: 'progress', n, sum: db.prepare('SELECT sum(bal) AS s FROM acct').get().s });
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
  }
  db.close();
  out({ type: 'done', n });
} catch (err) {
  out({ type: 'error', message: String(err && err.message), code: err && err.code });
  process.exitCode = 3;
}
`;

/** open -> sum -> close, over and over, reporting each sum or error. */
const walReaderCode = String.raw`
const Database = require('better-sqlite3');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
for (let i = 0; i < o.reads; i++) {
  try {
    const db = new Database(o.db, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('SELECT count(*) AS n, sum(bal) AS s FROM acct').get();
      out({ type: 'read', n: row.n, s: row.s, check: db.pragma('quick_check', { simple: true }) });
    } finally {
      db.close();
    }
  } catch (err) {
    out({ type: 'error', message: String(err && err.message), code: err && err.code });
  }
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, o.pauseMs);
}
out({ type: 'stopped' });
`;

function shmPaths(inodes: Record<string, Inode>): string[] {
  const found: string[] = [];
  for (const inode of Object.values(inodes)) {
    if (inode.type === 'dir') for (const name of Object.keys(inode.entries)) if (name.endsWith('-shm')) found.push(name);
  }
  return found;
}

test('a WAL database read from another host never returns a wrong sum: the open fails, the log and status name the cause, no -shm is stored', { timeout: 240_000 }, async () => {
  await using fx = await ChalkfsFixture.create();
  const children = new Children();
  try {
    await fx.createVolume('wal');
    const writerMount = await fx.mount('wal');
    const stopFile = join(await fx.tempDir('stop'), 'stop');
    const writer = children.spawn(walWriterCode, { db: join(writerMount.dir, 'bank.db'), accounts: ACCOUNTS, start: START_BALANCE, stopFile });
    expect(await writer.waitForLine('writer ready', 60_000, (l) => l.type === 'ready' || l.type === 'error')).toMatchObject({ type: 'ready', mode: 'wal' });
    await writer.waitForLine('some transfers', 60_000, (l) => l.type === 'progress' && (l.n as number) >= 100);

    const readerHost = fx.addHost('reader');
    const reader = await readerHost.mount('wal', { readOnly: true, extraArgs: ['--refresh-ms', '100'] });
    const readerChild = children.spawn(walReaderCode, { db: join(reader.dir, 'bank.db'), reads: READS, pauseMs: 20 });
    await readerChild.waitForLine('reader done', 120_000, (l) => l.type === 'stopped');

    const reads = readerChild.ofType('read');
    const errors = readerChild.ofType('error');
    const wrong = reads.filter((r) => r.s !== TOTAL || r.n !== ACCOUNTS);
    // Every read either fails or is right; never a wrong sum "ok"-ed by quick_check.
    expect(wrong, `${wrong.length} of ${reads.length} reads wrong, e.g. ${JSON.stringify(wrong.slice(0, 3))}`).toEqual([]);
    expect(reads.length + errors.length).toBe(READS);
    expect(errors.length, 'a WAL database is refused on a read-only mount until WAL is served across hosts').toBe(READS);
    const log = await waitFor('the refusal in the reader log', 10_000, async () => {
      const text = await reader.log();
      return /WAL-mode database served read-only across hosts is not supported yet: use journal_mode=DELETE\/TRUNCATE\/PERSIST/.test(text) && text;
    });
    expect(log).toMatch(/bank\.db/);
    const status = JSON.parse((await readerHost.cliOk(['status', '--json'])).stdout) as { mountpoint: string; problem?: string }[];
    expect(status.find((s) => s.mountpoint === reader.dir)?.problem).toMatch(/WAL-mode database served read-only across hosts is not supported yet/);

    // A pinned mount of a version is read-only too: same refusal.
    await writeFile(stopFile, '');
    await writer.waitForLine('writer done', 60_000, (l) => l.type === 'done' || l.type === 'error');
    await writerMount.unmount();
    const versionKeys = await fx.listKeys('volumes/wal/versions/');
    const latest = versionKeys.at(-1)!;
    const pinned = await readerHost.mount(`wal@${Number(latest.split('/').at(-1))}`);
    const pinnedChild = children.spawn(walReaderCode, { db: join(pinned.dir, 'bank.db'), reads: 3, pauseMs: 10 });
    await pinnedChild.waitForLine('pinned reader done', 60_000, (l) => l.type === 'stopped');
    expect(pinnedChild.ofType('read').filter((r) => r.s !== TOTAL)).toEqual([]);
    expect(pinnedChild.ofType('error')).toHaveLength(3);
    expect(await pinned.log()).toMatch(/WAL-mode database served read-only across hosts is not supported yet/);

    // No version the writer committed holds its -shm.
    // (Most are deltas: each is read whole, rebuilt from its checkpoint, docs/FORMAT.md "Delta log".)
    const repo = new VolumeRepository(fx.bucketStore());
    for (const key of versionKeys) {
      const record = await repo.readVersion('wal', Number(key.split('/').at(-1)));
      expect(shmPaths(record.inodes), key).toEqual([]);
    }
  } finally {
    await children.killAll();
  }
});
