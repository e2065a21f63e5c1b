// A version PUT lands in the store but its answer is held longer than the store call's
// whole budget (every attempt of it), while a SQLite writer commits on one host and a
// reader reads on another. The COMMIT must not be reported failed while its version is
// in the store (the application would roll back what readers already saw): no
// transaction acknowledged and then lost, none reported failed and then visible, and
// reads never go backwards.
import { writeFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { Children, waitFor, type DbState } from '../support/multihost-children.js';
import { checkedAfterRemount, expectOnlyAcknowledgedStates, matchesState, startWriterAndReader } from '../support/writer-and-reader.js';

const versionPut = /^PUT \S+\/versions\//;
/** Longer than one store call's budget (8 s), so every attempt of the PUT goes unanswered. */
const holdMs = 9_000;

describe('commit faults: a version PUT whose answer is held past the store timeout', () => {
  it('the COMMIT waits for the outcome and succeeds; nothing acknowledged is lost, nothing reported failed appears, reads never go backwards', { timeout: 240_000 }, async () => {
    const minio = inject('minio');
    const proxy = await FaultProxy.start(minio.endpoint);
    const children = new Children();
    try {
      await using fx = await ChalkfsFixture.create({ store: { ...minio, endpoint: proxy.endpoint } });
      const volume = 'commitfaults';
      const { writerMount, readerMount, writer, reader, stopWriter, stopReader } = await startWriterAndReader(fx, children, { volume, commitsFirst: 10, writerPauseMs: 50 });

      // Every attempt of the next version PUT lands, and its answer is held.
      const faultAt = Date.now();
      proxy.addRule({ match: versionPut, action: { kind: 'hold-response', ms: holdMs }, times: 3 });
      await waitFor('the held PUTs', 60_000, () => proxy.rulesUsed(), 100);
      const usedAt = Date.now();
      await writer.waitForLine('10 commits after the fault', 90_000, () => writer.ofType('commit').filter((l) => (l.at as number) > usedAt).length >= 10);
      await writeFile(stopWriter, '');
      await writer.waitForLine('the writer to stop', 60_000, (l) => l.type === 'stopped');
      const commits = writer.ofType('commit') as unknown as (DbState & { at: number })[];
      const final = commits.at(-1)!;
      await reader.waitForLine('the reader to see the final transaction', 60_000, (l) => l.type === 'read' && l.txn === final.txn);
      await writeFile(stopReader, '');
      await reader.exited;

      // How long the COMMIT caught by the fault blocked.
      const begins = new Map(writer.ofType('begin').map((l) => [l.txn as number, l.at as number]));
      const blockedMs = Math.max(...commits.filter((c) => c.at > faultAt).map((c) => c.at - (begins.get(c.txn) ?? c.at)));
      const errors = writer.ofType('error');
      console.log(`held version PUT: ${commits.filter((c) => c.at > faultAt).length} COMMITs acknowledged after the fault, ${errors.length} reported failed; the longest COMMIT took ${blockedMs} ms`);

      // No COMMIT was reported failed: its outcome was found out before answering.
      expect(errors).toEqual([]);
      // Each acknowledged transaction follows the previous one; none vanished.
      let lastAcked = 0;
      for (const line of writer.lines) {
        if (line.type === 'commit') {
          expect(line.txn as number).toBe(lastAcked + 1);
          lastAcked = line.txn as number;
        }
        if (line.type === 'opened') expect(line.txn as number, 'an acknowledged transaction vanished').toBeGreaterThanOrEqual(lastAcked);
      }
      // The reader: never an error, never backwards, only acknowledged states.
      expectOnlyAcknowledgedStates(writer, reader);

      // The store holds the last acknowledged state.
      expect(await checkedAfterRemount(fx, children, volume, writerMount)).toMatchObject(matchesState(final));
      await readerMount.unmount();
    } finally {
      await children.killAll();
      await proxy.close();
    }
  });
});
