// The store dies right after a reader host has found a new version, before it has read
// any of the blocks that version changed: the clean-clone CI failure of the store-faults
// test (no read served for 30 s of outage). The reader host reaches the store through a
// fault proxy; the writer host does not. The reader must keep serving the state it had,
// whole (never an error for data it had), and move on once the store is back.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { seqFromKey, storeKeys } from '../../chalkfs/meta/store-keys.js';
import { Children, sqliteReaderCode, sqliteWriterCode, stateKey, waitFor, type DbState, waitForServedState } from '../support/multihost-children.js';

/** One transaction that grows the database by about 1.5 MiB (whole new blocks, not patches). */
const growWriterCode = String.raw`
const Database = require('better-sqlite3');
const crypto = require('node:crypto');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const db = new Database(o.db, { timeout: 10000 });
db.transaction(() => {
  for (let i = 0; i < 5; i++) db.prepare('INSERT INTO t (v, data) VALUES (?, ?)').run(7, crypto.randomBytes(300000));
  db.prepare('UPDATE meta SET txn = txn + 1 WHERE k = 1').run();
})();
const state = db.prepare('SELECT (SELECT txn FROM meta WHERE k = 1) AS txn, count(*) AS n, coalesce(sum(v), 0) AS s, coalesce(sum(length(data)), 0) AS b FROM t').get();
db.close();
out({ type: 'commit', at: Date.now(), ...state });
`;

describe('a reader host during a store outage', () => {
  it('keeps serving the state it has when the store dies right after it fetched a new version', { timeout: 180_000 }, async () => {
    const minio = inject('minio');
    const proxy = await FaultProxy.start(minio.endpoint);
    await using fx = await ChalkfsFixture.create();
    fx.defer(() => proxy.close());
    const children = new Children();
    let paused: number | undefined;
    try {
      const volume = 'outage';
      await fx.createVolume(volume);
      // No periodic commits: each transaction is exactly one version (its journal's
      // deletion), so the version after the newest is the one the reader asks for next.
      const writerMount = await fx.mount(volume, { extraArgs: ['--commit-ms', '600000'] });
      const readerHost = fx.addHost('reader');
      const readerMount = await readerHost.mount(volume, { readOnly: true, env: { CHALKFS_S3_ENDPOINT: proxy.endpoint } });
      const stopReader = join(await fx.tempDir('control'), 'stop-reader');
      const db = (dir: string) => join(dir, 'db.sqlite');

      const writer = children.spawn(sqliteWriterCode, { db: db(writerMount.dir), journalMode: 'delete', transactions: 10, seed: 12 }, fx.host.env());
      const before = (await writer.waitForLine('the first transactions', 60_000, (l) => l.type === 'done')) as unknown as DbState;
      // The reader starts once the reader host serves those transactions: before it has
      // adopted them, the database may not exist there yet (SQLITE_CANTOPEN), and this test
      // is about errors during the outage.
      await waitForServedState(children, 'the first transactions to reach the reader host', db(readerMount.dir), readerHost.env(), (s) => s.txn === before.txn);
      const reader = children.spawn(sqliteReaderCode, { db: db(readerMount.dir), stopFile: stopReader, pauseMs: 20 }, readerHost.env());
      // quick_check reads every page: from here on the reader host has the whole database locally.
      await reader.waitForLine('the reader to read the first transactions', 60_000, (l) => l.type === 'read' && l.txn === before.txn);

      // Pause the reader host's daemon while the writer commits one more transaction, so
      // that the first request it makes for that version is made after the rule below
      // exists; the store dies right after answering it.
      paused = readerMount.pid;
      process.kill(paused, 'SIGSTOP');
      const grow = children.spawn(growWriterCode, { db: db(writerMount.dir) }, fx.host.env());
      const after = (await grow.waitForLine('the growing transaction', 60_000, (l) => l.type === 'commit')) as unknown as DbState;
      const versions = await fx.listKeys(`volumes/${volume}/versions/`);
      // The reader learns that the newest version is the newest by asking for the one
      // after it (a 404): that answer is the last thing the store says before it dies, so
      // the reader has everything it needs to adopt, except the changed blocks.
      const newest = versions.sort().at(-1)!;
      const afterNewest = storeKeys.version(volume, seqFromKey(newest)! + 1);
      proxy.addRule({ match: new RegExp(`^GET \\S+/${afterNewest} `), action: { kind: 'refuse-after-response' } });
      process.kill(paused, 'SIGCONT');
      paused = undefined;
      await waitFor('the reader host to fetch the new version (and the store to die)', 30_000, () => proxy.network === 'refusing');
      const diedAt = Date.now();

      const readsAfter = () => reader.ofType('read').filter((l) => (l.at as number) > diedAt);
      await waitFor('reads while the store is down', 30_000, () => {
        const failed = reader.ofType('error');
        if (failed.length > 0) throw new Error(`the reader failed while the store was down: ${JSON.stringify(failed[0])}`);
        return readsAfter().length >= 20;
      });
      // It served the state it had, whole: the transactions before the outage.
      for (const read of readsAfter() as unknown as (DbState & { check: string })[]) {
        expect(read.check).toBe('ok');
        expect(stateKey(read)).toBe(stateKey(before));
      }
      // And says so: it is serving an older version than the one it found.
      const status = JSON.parse((await readerHost.cliOk(['status', '--json'])).stdout) as { mountpoint: string; seq: number; adoptionWaiting?: number }[];
      const mine = status.find((m) => m.mountpoint === readerMount.dir)!;
      expect(mine.adoptionWaiting).toBeGreaterThan(mine.seq);

      // The store is back: the reader adopts the new version.
      proxy.resume();
      await reader.waitForLine('the reader to see the new transaction', 60_000, (l) => l.type === 'read' && l.txn === after.txn);
      await writeFile(stopReader, '');
      await reader.exited;
      console.log(`${readsAfter().length} reads served from ${diedAt} on; ${reader.ofType('read').length} in all`);

      expect(reader.ofType('error')).toEqual([]);
      const known = new Set([stateKey(before), stateKey(after)]);
      let previous = -1;
      for (const read of reader.ofType('read') as unknown as (DbState & { check: string })[]) {
        expect(read.check).toBe('ok');
        expect(read.txn).toBeGreaterThanOrEqual(previous);
        previous = read.txn;
        if (read.txn >= before.txn) expect(known.has(stateKey(read)), `reader saw ${stateKey(read)}`).toBe(true);
      }
      await readerMount.unmount();
      await writerMount.unmount();
    } finally {
      // A stopped daemon would hang the cleanup's unmount.
      if (paused !== undefined) process.kill(paused, 'SIGCONT');
      await children.killAll();
    }
  });
});
