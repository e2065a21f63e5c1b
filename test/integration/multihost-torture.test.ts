// One writer host and two reader hosts (each its own CHALKFS_HOME, cache and mount)
// share a volume. The writer commits transactions of random size through its
// read-write mount; the readers loop open(read-only) -> state -> quick_check -> close.
// Every state a reader sees must be one the writer committed (no torn transaction),
// its transaction numbers never go backwards, and at the end everyone agrees.
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { Children, sqliteReaderCode, sqliteWriterCode, stateKey, waitFor, type DbState, waitForServedState } from '../support/multihost-children.js';

const runs = [
  { journalMode: 'delete', transactions: 1000, seed: 0xd1e7e },
  { journalMode: 'truncate', transactions: 250, seed: 0x7a11c },
  { journalMode: 'persist', transactions: 250, seed: 0x9e251 },
];

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

describe('multi-host SQLite torture: one writer host, two reader hosts', () => {
  for (const run of runs) {
    it(`journal_mode=${run.journalMode}: ${run.transactions} transactions; readers see only committed states, in order, intact`, { timeout: 300_000 }, async () => {
      await using fx = await ChalkfsFixture.create();
      const children = new Children();
      try {
        const volume = `torture-${run.journalMode}`;
        await fx.createVolume(volume);
        const readerHosts = [fx.addHost('reader-a'), fx.addHost('reader-b')];
        const writerMount = await fx.mount(volume);
        const readerMounts = await Promise.all(readerHosts.map((h) => h.mount(volume, { readOnly: true })));
        const control = await fx.tempDir('control');
        const stopFile = join(control, 'stop');

        const writer = children.spawn(sqliteWriterCode, { db: join(writerMount.dir, 'db.sqlite'), journalMode: run.journalMode, seed: run.seed, transactions: run.transactions }, fx.host.env());
        const ready = await writer.waitForLine('the writer to set up its database', 60_000, (l) => l.type === 'ready' || l.type === 'error');
        expect(ready).toMatchObject({ type: 'ready', mode: run.journalMode, txn: 0 });

        // Readers start once the schema has reached their hosts (before that, "no such table" is expected).
        for (const [i, mount] of readerMounts.entries()) {
          await waitForServedState(children, `the schema to reach reader host ${i}`, join(mount.dir, 'db.sqlite'), readerHosts[i]!.env(), () => true);
        }
        const readers = readerMounts.map((mount, i) => children.spawn(sqliteReaderCode, { db: join(mount.dir, 'db.sqlite'), stopFile, pauseMs: 10 }, readerHosts[i]!.env()));

        const done = await writer.waitForLine('the writer to finish', 240_000, (l) => l.type === 'done' || l.type === 'error');
        expect(done.type, JSON.stringify(done)).toBe('done');
        const final = done as unknown as DbState;
        expect(final.txn).toBe(run.transactions);

        // All agree at the end: each reader reaches the writer's final state.
        for (const [i, reader] of readers.entries()) {
          await reader.waitForLine(`reader ${i} to see the final transaction`, 30_000, (l) => l.type === 'read' && l.txn === final.txn);
        }
        await writeFile(stopFile, '');
        await Promise.all(readers.map((r) => r.exited));

        const committed = new Map<string, number>();
        const commitAt = new Map<number, number>();
        for (const line of [ready, ...writer.ofType('commit')]) {
          committed.set(stateKey(line as unknown as DbState), line.txn as number);
          if (typeof line.at === 'number') commitAt.set(line.txn as number, line.at);
        }
        expect(writer.ofType('commit')).toHaveLength(run.transactions);

        const lagsMs: number[] = [];
        for (const [i, reader] of readers.entries()) {
          expect(reader.ofType('error'), `reader ${i} errors`).toEqual([]);
          expect(reader.ofType('garbled')).toEqual([]);
          const reads = reader.ofType('read') as unknown as (DbState & { check: string; at: number })[];
          expect(reads.length).toBeGreaterThan(10);
          let previous = -1;
          const firstSeen = new Map<number, number>();
          for (const read of reads) {
            expect(read.check, `reader ${i} quick_check at txn ${read.txn}`).toBe('ok');
            expect(committed.get(stateKey(read)), `reader ${i} saw ${stateKey(read)}, a state the writer never committed`).toBe(read.txn);
            expect(read.txn, `reader ${i} went back from txn ${previous}`).toBeGreaterThanOrEqual(previous);
            if (read.txn > previous) firstSeen.set(read.txn, read.at);
            previous = read.txn;
          }
          expect(reads.at(-1)).toMatchObject({ txn: final.txn, n: final.n, s: final.s, b: final.b });
          for (const [txn, seenAt] of firstSeen) {
            const at = commitAt.get(txn);
            if (at !== undefined) lagsMs.push(Math.max(0, seenAt - at));
          }
          console.log(`journal_mode=${run.journalMode} reader ${i}: ${reads.length} reads, ${firstSeen.size} distinct transactions seen`);
        }
        lagsMs.sort((a, b) => a - b);
        console.log(`journal_mode=${run.journalMode}: publish lag (COMMIT returned -> first reader read showing it, sampled) p50 ${percentile(lagsMs, 50)} ms, p90 ${percentile(lagsMs, 90)} ms, max ${lagsMs.at(-1)} ms over ${lagsMs.length} samples`);
      } finally {
        await children.killAll();
      }
    });
  }
});
