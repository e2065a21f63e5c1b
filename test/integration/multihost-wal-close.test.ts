/*
 * The writer's last WAL connection closes while a reader on another host holds one open
 * (issue 15). SQLite checkpoints the whole WAL into the database and deletes the `-wal`
 * (and its host's `-shm`); the next version holds the database alone. The reader's
 * connection still holds the `-wal` (and the follower's `-shm`) it opened: it must keep
 * reading without an error and see the checkpointed, final state (docs/CONSISTENCY.md,
 * "WAL mode"). Before the fix its next read transaction failed (SQLITE_IOERR_FSTAT: its
 * `-wal` no longer had a name). New opens of the database there (read-only or not) read
 * the final state too, served with an empty `-wal` of the follower's own
 * (sqlite/empty-wals.ts; before that fix they failed with SQLITE_CANTOPEN). When the
 * writer opens the database again at once
 * (a new `-wal`, another inode) and the reader host adopts that in one step, the held
 * connection follows and new connections read the same state; before that fix new ones
 * read the held connection's pinned database with the new WAL ("no such table").
 */
import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChalkfsFixture, type Mount } from '../support/chalkfs-fixture.js';
import { bankCode } from '../support/bank-code.js';
import { Children, waitFor, type JsonChild } from '../support/multihost-children.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { Namespace } from '../../chalkfs/meta/namespace.js';

const ACCOUNTS = 20;
const START_BALANCE = 1000;
const TOTAL = ACCOUNTS * START_BALANCE;
const TRANSFERS = 60;
/** Reads the held connection must still make once its host serves the database without its -wal. */
const READS_AFTER = 20;

/**
 * A WAL bank: TRANSFERS transfers (the sum never changes), then its only connection
 * closes. With `reopenTransfers`, it opens the database again at once (a new -wal) and
 * makes that many more, then keeps that connection until `stopFile` exists.
 */
const walWriterCode = String.raw`
const Database = require('better-sqlite3');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
${bankCode}
try {
  const db = new Database(o.db, { timeout: 10000 });
  const mode = db.pragma('journal_mode=wal', { simple: true });
  createBank(db, o.accounts, o.start);
  out({ type: 'ready', mode });
  while (!require('node:fs').existsSync(o.goFile)) sleep(20);
  const transfer = bankTransfer(db);
  for (let n = 1; n <= o.transfers; n++) {
    transfer(n, 1 + (n * 7) % o.accounts, 1 + (n * 13) % o.accounts, 1 + n % 50);
    sleep(o.pauseMs);
  }
  db.close();
  out({ type: 'closed', walLeft: require('node:fs').existsSync(o.db + '-wal') });
  if (o.reopenTransfers) {
    const again = new Database(o.db, { timeout: 10000 });
    const transferAgain = bankTransfer(again);
    for (let n = o.transfers + 1; n <= o.transfers + o.reopenTransfers; n++) {
      transferAgain(n, 1 + (n * 7) % o.accounts, 1 + (n * 13) % o.accounts, 1 + n % 50);
      sleep(o.pauseMs);
    }
    out({ type: 'reopened', txn: o.transfers + o.reopenTransfers });
    while (!require('node:fs').existsSync(o.stopFile)) sleep(20);
    again.close();
  }
} catch (err) {
  out({ type: 'error', message: String(err && err.message), code: err && err.code });
  process.exitCode = 3;
}
`;

/**
 * One connection held open, reading in one read transaction at a time until the stop file
 * exists: a line per read. With `fresh`, each read is its own connection (open→query→close).
 */
const heldReaderCode = String.raw`
const Database = require('better-sqlite3');
const fs = require('node:fs');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const sql = 'SELECT (SELECT txn FROM meta WHERE k = 1) AS txn, count(*) AS n, sum(bal) AS s FROM acct';
const open = () => new Database(o.db, { readonly: true, fileMustExist: true, timeout: 10000 });
const db = o.fresh ? undefined : open();
const query = db && db.prepare(sql);
const freshRead = () => {
  const once = open();
  try {
    return once.prepare(sql).get();
  } finally {
    once.close();
  }
};
for (;;) {
  const stopping = fs.existsSync(o.stopFile);
  try {
    out({ type: 'read', ...(query ? query.get() : freshRead()) });
  } catch (err) {
    out({ type: 'failed', code: String(err && err.code), message: String(err && err.message) });
  }
  if (stopping) break;
  sleep(o.pauseMs);
}
if (db) db.close();
out({ type: 'stopped' });
`;

/** open→query→close once: the row, or the error. */
const newOpenCode = String.raw`
const Database = require('better-sqlite3');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
try {
  const db = new Database(o.db, { readonly: o.readonly, fileMustExist: true });
  out({ type: 'read', ...db.prepare('SELECT (SELECT txn FROM meta WHERE k = 1) AS txn FROM acct LIMIT 1').get() });
  db.close();
} catch (err) {
  out({ type: 'failed', code: String(err && err.code), message: String(err && err.message) });
}
`;

interface Read { type: 'read'; txn: number; n: number; s: number }

/**
 * A reader on the host of `mount` (heldReaderCode), started once that host serves the
 * seeded bank: its first read shows every account. A first read of the tables before the
 * seeding transaction (an earlier version, committed and consistent: the host may still
 * serve it) is not the bank yet, and every later read of that reader is checked.
 */
async function startReader(children: Children, mount: Mount, stopFile: string, fresh = false): Promise<JsonChild> {
  return waitFor(`a ${fresh ? 'fresh' : 'held'} reader on host ${mount.host.name}`, 60_000, async () => {
    const candidate = children.spawn(heldReaderCode, { db: join(mount.dir, 'bank.db'), stopFile, pauseMs: 20, fresh }, mount.host.env());
    const first = await candidate.waitForLine('its first read', 30_000, (l) => l.type === 'read' || l.type === 'failed').catch(() => undefined);
    if (first?.type === 'read' && first.n === ACCOUNTS) return candidate;
    candidate.kill();
    return undefined;
  }, 200);
}

/** A reader's reads: every one right (the bank's sum), none going backwards. */
function checkedReads(reader: JsonChild): Read[] {
  const reads = reader.ofType('read') as unknown as Read[];
  expect(reads.filter((r) => r.n !== ACCOUNTS || r.s !== TOTAL)).toEqual([]);
  expect(reads.filter((r, i) => i > 0 && r.txn < reads[i - 1]!.txn)).toEqual([]);
  return reads;
}

describe('the WAL writer closes its last connection while a reader on another host holds one open', () => {
  it('the held connection keeps reading, without an error, and sees the checkpointed final state', { timeout: 240_000 }, async () => {
    await using fx = await ChalkfsFixture.create();
    const children = new Children();
    try {
      await fx.createVolume('bank');
      const writerMount = await fx.mount('bank');
      const readerMount = await fx.addHost('b').mount('bank', { readOnly: true, extraArgs: ['--refresh-ms', '100'] });
      const control = await fx.tempDir('control');
      const goFile = join(control, 'go');
      const stopFile = join(control, 'stop');

      const writer = children.spawn(walWriterCode, { db: join(writerMount.dir, 'bank.db'), accounts: ACCOUNTS, start: START_BALANCE, transfers: TRANSFERS, pauseMs: 20, goFile }, fx.host.env());
      expect(await writer.waitForLine('writer ready', 60_000, (l) => l.type === 'ready' || l.type === 'error')).toMatchObject({ type: 'ready', mode: 'wal' });

      // The held connection opens once the seeded bank (with its -wal) reached host b.
      const reader = await startReader(children, readerMount, stopFile);

      await writeFile(goFile, '');
      expect(await writer.waitForLine('writer closed', 120_000, (l) => l.type === 'closed' || l.type === 'error')).toMatchObject({ type: 'closed', walLeft: false });

      // The writer's daemon publishes the database without its -wal; host b adopts it.
      const repo = new VolumeRepository(fx.bucketStore());
      const withoutWal = await waitFor('a version without bank.db-wal', 30_000, async () => {
        const record = await repo.latestConsistent('bank');
        const ns = record && Namespace.fromRecord(record);
        return record && ns?.tryResolve('/bank.db') && !ns.tryResolve('/bank.db-wal') ? record.seq : undefined;
      }, 100);
      await waitFor(`host b serving version ${withoutWal}`, 30_000, async () => {
        const status = JSON.parse((await readerMount.host.cliOk(['status', '--json'])).stdout) as { mountpoint: string; seq: number }[];
        return (status.find((m) => m.mountpoint === readerMount.dir)?.seq ?? 0) >= withoutWal;
      }, 100);

      // New opens there, read-only or not, read the final state (docs/CONSISTENCY.md, "WAL mode").
      for (const readonly of [true, false, true]) {
        const newOpen = children.spawn(newOpenCode, { db: join(readerMount.dir, 'bank.db'), readonly }, readerMount.host.env());
        expect(await newOpen.waitForLine(`a new open on host b (readonly: ${readonly})`, 30_000, (l) => l.type === 'read' || l.type === 'failed')).toEqual({ type: 'read', txn: TRANSFERS });
      }

      // The held connection keeps reading for a while (many refresh intervals): every read right, none failing.
      const readsBefore = reader.ofType('read').length + reader.ofType('failed').length;
      await waitFor(`${READS_AFTER} more reads`, 60_000, () => reader.ofType('read').length + reader.ofType('failed').length >= readsBefore + READS_AFTER, 50);
      // It reads the database file alone (its -wal reads as empty), not an older version kept for it.
      const status = JSON.parse((await readerMount.host.cliOk(['status', '--json'])).stdout) as { mountpoint: string; lagging?: { path: string }[] }[];
      expect(status.find((m) => m.mountpoint === readerMount.dir)?.lagging).toEqual([]);
      await writeFile(stopFile, '');
      await reader.waitForLine('reader stopped', 30_000, (l) => l.type === 'stopped');

      expect(reader.ofType('failed').slice(0, 3)).toEqual([]);
      expect(checkedReads(reader).at(-1)).toMatchObject({ txn: TRANSFERS, n: ACCOUNTS, s: TOTAL });
      await writerMount.unmount();
    } finally {
      await children.killAll();
    }
  });

  it('the writer closes and opens again within one refresh interval of the reader: its held connection and new ones read one state of both files, and follow to the end', { timeout: 240_000 }, async () => {
    await using fx = await ChalkfsFixture.create();
    const children = new Children();
    try {
      await fx.createVolume('bank');
      const writerMount = await fx.mount('bank');
      // Looks every 3 s, so the close, the new -wal and the writes after it mostly reach it as one change.
      const readerMount = await fx.addHost('b').mount('bank', { readOnly: true, extraArgs: ['--refresh-ms', '3000', '--idle-refresh-ms', '3000'] });
      const control = await fx.tempDir('control');
      const goFile = join(control, 'go');
      const stopFile = join(control, 'stop');
      const writerStopFile = join(control, 'writer-stop');
      const finalTxn = 2 * TRANSFERS;

      const writer = children.spawn(walWriterCode, { db: join(writerMount.dir, 'bank.db'), accounts: ACCOUNTS, start: START_BALANCE, transfers: TRANSFERS, reopenTransfers: TRANSFERS, pauseMs: 10, goFile, stopFile: writerStopFile }, fx.host.env());
      expect(await writer.waitForLine('writer ready', 60_000, (l) => l.type === 'ready' || l.type === 'error')).toMatchObject({ type: 'ready', mode: 'wal' });
      const held = await startReader(children, readerMount, stopFile);
      const fresh = await startReader(children, readerMount, stopFile, true);

      await writeFile(goFile, '');
      expect(await writer.waitForLine('writer closed and opened again', 120_000, (l) => l.type === 'reopened' || l.type === 'error')).toMatchObject({ type: 'reopened', txn: finalTxn });
      const atFinal = (r: JsonChild) => (r.ofType('read') as unknown as Read[]).some((read) => read.txn === finalTxn);
      // Not reaching it is checked below, after what the readers read (a torn state shows there).
      await waitFor('both readers on host b at the final state', 60_000, () => atFinal(held) && atFinal(fresh), 100).catch(() => undefined);
      await writeFile(stopFile, '');
      await held.waitForLine('held reader stopped', 30_000, (l) => l.type === 'stopped');
      await fresh.waitForLine('fresh reader stopped', 30_000, (l) => l.type === 'stopped');
      await writeFile(writerStopFile, '');

      // No connection fails, held or new (a version without the -wal is served with an empty one).
      expect(held.ofType('failed')).toEqual([]);
      expect(fresh.ofType('failed')).toEqual([]);
      expect(checkedReads(held).at(-1)).toMatchObject({ txn: finalTxn, n: ACCOUNTS, s: TOTAL });
      expect(checkedReads(fresh).at(-1)).toMatchObject({ txn: finalTxn, n: ACCOUNTS, s: TOTAL });
      // Nothing stays lagging (a switch a read transaction held back is tried again at the next look), and no switch failed.
      await waitFor('nothing lagging on host b', 30_000, async () => {
        const status = JSON.parse((await readerMount.host.cliOk(['status', '--json'])).stdout) as { mountpoint: string; lagging?: { path: string }[] }[];
        return status.find((m) => m.mountpoint === readerMount.dir)?.lagging?.length === 0;
      }, 500);
      expect(await readerMount.log()).not.toContain('switching an open database to the version served failed');
      await writerMount.unmount();
    } finally {
      await children.killAll();
    }
  });
});
