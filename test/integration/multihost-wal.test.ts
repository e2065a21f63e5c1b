/*
 * A bank on one host, read on two others (issue 15: "WAL mode across hosts, served"). The
 * writer moves money between accounts, one transaction per transfer, so the sum of the
 * balances never changes; readers on two other hosts check that sum on every read, with
 * connections held open and with open→query→close, read-only or not, as root and as uid
 * 65534. In WAL mode the writer also checkpoints often (WAL restarts) and once with
 * wal_checkpoint(TRUNCATE) mid-run: a reader must never see a torn state, whatever the
 * versions the writer's daemon publishes hold of the database and its -wal. The same bank
 * runs in the rollback-journal modes. No version ever holds a -shm.
 *
 * Each mode runs with better-sqlite3's default synchronous (FULL; NORMAL in WAL mode) and
 * with synchronous=OFF, where SQLite syncs
 * nothing: every commit point then reaches the daemon with no sync after it (a journal
 * deleted, truncated or zeroed; a WAL restarted by a TRUNCATE checkpoint), and only the
 * order of the writes themselves keeps a version from showing a transaction torn.
 */
import { describe, expect, it } from 'vitest';
import { chmod, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ChalkfsFixture, type Mount } from '../support/chalkfs-fixture.js';
import { bankCode } from '../support/bank-code.js';
import { Children, waitFor, type JsonChild } from '../support/multihost-children.js';
import { UnprivilegedProject } from '../support/unprivileged-project.js';
import type { Inode } from '../../chalkfs/meta/format.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';

const NOBODY = 65534;
const ACCOUNTS = 50;
const START_BALANCE = 1000;
const TOTAL = ACCOUNTS * START_BALANCE;
const TRANSFERS = 300;

/**
 * Once the go file exists, moves money (the sum never changes) TRANSFERS times, numbering
 * each transfer in `meta`; in WAL mode checkpoints every few pages and once with TRUNCATE
 * at `checkpointAt`. Keeps its connection open (so the -wal stays) until the stop file
 * exists.
 */
const bankWriterCode = String.raw`
const Database = require('better-sqlite3');
const fs = require('node:fs');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
${bankCode}
let seed = 7;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
try {
  const db = new Database(o.db, { timeout: 10000 });
  const mode = db.pragma('journal_mode=' + o.journalMode, { simple: true });
  if (o.synchronous !== 'default') db.pragma('synchronous=' + o.synchronous);
  if (mode === 'wal') db.pragma('wal_autocheckpoint=16');
  createBank(db, o.accounts, o.start);
  out({ type: 'ready', mode });
  while (!fs.existsSync(o.goFile)) sleep(20);
  const transfer = bankTransfer(db);
  for (let n = 1; n <= o.transfers; n++) {
    transfer(n, 1 + Math.floor(rand() * o.accounts), 1 + Math.floor(rand() * o.accounts), 1 + Math.floor(rand() * 50));
    if (n === o.checkpointAt && mode === 'wal') out({ type: 'checkpoint', n, result: db.pragma('wal_checkpoint(TRUNCATE)')[0] });
    sleep(o.pauseMs);
  }
  out({ type: 'final', txn: o.transfers, sum: db.prepare('SELECT sum(bal) AS s FROM acct').get().s });
  while (!fs.existsSync(o.stopFile)) sleep(20);
  db.close();
  out({ type: 'done' });
} catch (err) {
  out({ type: 'error', message: String(err && err.message), code: err && err.code });
  process.exitCode = 3;
}
`;

/**
 * Reads the transfer number, account count and sum in one read transaction, over and over
 * (one connection held open, or open→query→close), until it has seen transfer `until`, the
 * stop file exists or `forMs` have passed; reports every wrong read, every step backwards
 * and every error.
 */
const bankReaderCode = String.raw`
const Database = require('better-sqlite3');
const fs = require('node:fs');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const open = () => new Database(o.db, { readonly: o.readonlyFlag, fileMustExist: true, timeout: 10000 });
const query = 'SELECT (SELECT txn FROM meta WHERE k = 1) AS txn, count(*) AS n, sum(bal) AS s FROM acct';
let held;
let last = -1, reads = 0, backwards = 0;
const wrong = [], errors = [];
const endMs = Date.now() + o.forMs;
while (last < o.until && !fs.existsSync(o.stopFile) && Date.now() < endMs) {
  try {
    const db = held ?? open();
    try {
      const row = db.prepare(query).get();
      if (reads++ === 0) out({ type: 'first read', txn: row.txn });
      if (row.n !== o.accounts || row.s !== o.total) wrong.push(row);
      if (row.txn < last) backwards++;
      last = Math.max(last, row.txn);
    } finally {
      if (o.longLived) held = db; else db.close();
    }
  } catch (err) {
    errors.push(String(err && err.code) + ': ' + String(err && err.message));
  }
  sleep(o.pauseMs);
}
out({ type: 'stopped', reads, last, backwards, wrong: wrong.slice(0, 5), wrongCount: wrong.length, errors: errors.slice(0, 5), errorCount: errors.length });
`;

interface Stopped { reads: number; last: number; backwards: number; wrongCount: number; wrong: unknown[]; errorCount: number; errors: string[] }

interface ReaderPlan { host: 'b' | 'c'; longLived: boolean; readonlyFlag: boolean; uid?: number }

/** Two readers per host: held open and open→query→close; read-only URI or not; one as uid 65534. */
const readers: ReaderPlan[] = [
  { host: 'b', longLived: true, readonlyFlag: true },
  { host: 'b', longLived: false, readonlyFlag: false },
  { host: 'c', longLived: true, readonlyFlag: false, uid: NOBODY },
  { host: 'c', longLived: false, readonlyFlag: true },
];

/** The fixture's directories are root's (0700): let uid 65534 reach the mount and the control files. */
async function openTo(...dirs: string[]): Promise<void> {
  for (const dir of dirs) for (const up of [dir, dirname(dir)]) await chmod(up, 0o755);
}

function shmNames(inodes: Record<string, Inode>): string[] {
  const found: string[] = [];
  for (const inode of Object.values(inodes)) {
    if (inode.type === 'dir') for (const name of Object.keys(inode.entries)) if (name.endsWith('-shm')) found.push(name);
  }
  return found;
}

describe('a bank on one host, read on two others', () => {
  it.each([
    ['wal', 'default'],
    ['delete', 'default'],
    ['truncate', 'default'],
    ['persist', 'default'],
    ['wal', 'off'],
    ['delete', 'off'],
    ['truncate', 'off'],
    ['persist', 'off'],
  ])('journal_mode=%s, synchronous=%s: every read on the other hosts sees the invariant sum, never goes backwards, and ends at the last transfer', { timeout: 300_000 }, async (journalMode, synchronous) => {
    await using fx = await ChalkfsFixture.create();
    await using project = await UnprivilegedProject.create();
    const children = new Children(project);
    try {
      await fx.createVolume('bank');
      const writerMount = await fx.mount('bank');
      const mounts: Record<'b' | 'c', Mount> = {
        b: await fx.addHost('b').mount('bank', { readOnly: true, extraArgs: ['--refresh-ms', '100'] }),
        c: await fx.addHost('c').mount('bank', { readOnly: true, extraArgs: ['--refresh-ms', '100'] }),
      };
      const control = await fx.tempDir('control');
      const stopFile = join(control, 'stop');
      const goFile = join(control, 'go');
      await openTo(dirname(mounts.c.dir), control);

      const writer = children.spawn(bankWriterCode, { db: join(writerMount.dir, 'bank.db'), journalMode, synchronous, accounts: ACCOUNTS, start: START_BALANCE, transfers: TRANSFERS, checkpointAt: TRANSFERS / 2, pauseMs: 10, stopFile, goFile }, fx.host.env());
      expect(await writer.waitForLine('writer ready', 60_000, (l) => l.type === 'ready' || l.type === 'error')).toMatchObject({ type: 'ready', mode: journalMode });
      const reader = (plan: ReaderPlan, until: number): JsonChild =>
        children.spawn(bankReaderCode, { db: join(mounts[plan.host].dir, 'bank.db'), accounts: ACCOUNTS, total: TOTAL, until, stopFile, forMs: 90_000, pauseMs: 5, longLived: plan.longLived, readonlyFlag: plan.readonlyFlag }, mounts[plan.host].host.env(), plan.uid);
      // The seeded bank reaches both hosts before the readers start counting errors.
      for (const host of ['b', 'c'] as const) {
        await waitFor(`the bank on host ${host}`, 60_000, async () => {
          const probe = reader({ host, longLived: false, readonlyFlag: true }, 0);
          await probe.exited;
          return (probe.ofType('stopped')[0] as unknown as Stopped | undefined)?.reads === 1;
        }, 200);
      }

      // Transfers start once every reader has read: each must see them happen (reads > 1).
      const running = readers.map((plan) => reader(plan, TRANSFERS));
      await Promise.all(running.map((r, i) => r.waitForLine(`reader ${i} reading`, 60_000, (l) => l.type === 'first read' || l.type === 'stopped')));
      await writeFile(goFile, '');
      const final = await writer.waitForLine('the last transfer', 120_000, (l) => l.type === 'final' || l.type === 'error');
      expect(final).toMatchObject({ type: 'final', txn: TRANSFERS, sum: TOTAL });
      if (journalMode === 'wal') expect(writer.ofType('checkpoint')).toMatchObject([{ n: TRANSFERS / 2, result: { busy: 0 } }]);
      const results = await Promise.all(running.map((r, i) => r.waitForLine(`reader ${i} done`, 120_000, (l) => l.type === 'stopped') as Promise<unknown> as Promise<Stopped>));
      results.forEach((result, i) => {
        const who = JSON.stringify(readers[i]);
        expect(result.last, `${who}: ${JSON.stringify(result)}`).toBe(TRANSFERS);
        expect(result.wrongCount, `${who}: wrong reads ${JSON.stringify(result.wrong)}`).toBe(0);
        expect(result.errorCount, `${who}: errors ${JSON.stringify(result.errors)}`).toBe(0);
        expect(result.backwards, who).toBe(0);
        expect(result.reads, who).toBeGreaterThan(1);
      });

      await writeFile(stopFile, '');
      await writer.waitForLine('writer done', 60_000, (l) => l.type === 'done' || l.type === 'error');
      await writerMount.unmount();
      // Most versions are deltas: each is read whole, rebuilt from its checkpoint (docs/FORMAT.md, "Delta log").
      const repo = new VolumeRepository(fx.bucketStore());
      for (const key of await fx.listKeys('volumes/bank/versions/')) {
        expect(shmNames((await repo.readVersion('bank', Number(key.split('/').at(-1)))).inodes), key).toEqual([]);
      }
    } finally {
      await children.killAll();
    }
  });
});
