// SQLite's locks taken from outside SQLite under load: 32 reader processes (16 long-lived
// connections, 16 open→query→close loops) read a bank on local disk without pause while
// the "daemon" (this process) takes the locks again and again; for a rollback-journal
// database it switches the file between two versions each time. Counts, not timings:
// every acquisition succeeds (no starvation), no read fails or sees a torn bank, and every
// long-lived connection ends on the last version.
import { mkdtempSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Acquisition, LockWait } from '../../chalkfs/host/lock-acquisition.js';
import { acquireDatabaseExclusive, acquireWalExclusive } from '../../chalkfs/host/sqlite-locks.js';
import { Children, waitFor, type JsonChild } from '../support/multihost-children.js';
import { bankReaderCode, OpenFiles, TOTAL, writeBankVersions } from '../support/sqlite-lock-fixtures.js';

const READERS = 32;
const CYCLES = 21; // odd: the rollback run ends on version 2
const wait: LockWait = { timeoutMs: 4_000, retryMs: 1, maxRetryMs: 8 };

let dir: string;
let dbPath: string;
let children: Children;
const files = new OpenFiles();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chalkfs-locks-load-'));
  dbPath = join(dir, 'bank.db');
  children = new Children();
});

afterEach(async () => {
  await children.killAll();
  files.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

function startReaders(fingerprints: Record<number, number>): { readers: JsonChild[]; stopFile: string } {
  const stopFile = join(dir, 'stop');
  const readers = Array.from({ length: READERS }, (_, i) =>
    children.spawn(bankReaderCode, { db: dbPath, mode: i % 2 === 0 ? 'long' : 'short', busyTimeoutMs: 10_000, total: TOTAL, fingerprints, stopFile }),
  );
  return { readers, stopFile };
}

/** Acquires and releases CYCLES times, doing `whileHeld(cycle)` under the locks. */
async function cycles(acquire: () => Promise<Acquisition>, whileHeld: (cycle: number) => void) {
  const outcomes = { acquired: 0, gaveUp: 0, maxRounds: 0, maxWaitedMs: 0, totalWaitedMs: 0 };
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const result = await acquire();
    outcomes.maxRounds = Math.max(outcomes.maxRounds, result.rounds);
    outcomes.maxWaitedMs = Math.max(outcomes.maxWaitedMs, Math.round(result.waitedMs));
    outcomes.totalWaitedMs += Math.round(result.waitedMs);
    if (result.acquired) {
      outcomes.acquired++;
      try {
        whileHeld(cycle);
      } finally {
        result.held.release();
      }
    } else {
      outcomes.gaveUp++;
    }
    await sleep(5); // let readers run between cycles
  }
  return outcomes;
}

async function stopAndSummarize(readers: JsonChild[], stopFile: string) {
  writeFileSync(stopFile, '');
  return Promise.all(readers.map((r) => r.waitForLine('the reader summary', 60_000, (l) => l.type === 'summary')));
}

const lastVersion = (r: JsonChild) => r.ofType('version').at(-1)?.version;

describe('SQLite locks from outside SQLite, with 32 readers', () => {
  it('rollback journal: EXCLUSIVE is had every time and the switched file is read whole, to the last version', async () => {
    const { v1, v2, fingerprints } = writeBankVersions(dbPath, join(dir, 'scratch.db'));
    const { readers, stopFile } = startReaders(fingerprints);
    await Promise.all(readers.map((r) => r.waitForLine('the reader to read', 60_000, (l) => l.type === 'ready')));
    const fd = files.open(dbPath);
    const outcomes = await cycles(
      () => acquireDatabaseExclusive(fd, wait),
      (cycle) => {
        const next = cycle % 2 === 0 ? v2 : v1;
        writeSync(fd, next, 0, next.length, 0);
      },
    );
    await waitFor('every long-lived reader on version 2', 60_000, () => readers.filter((_, i) => i % 2 === 0).every((r) => lastVersion(r) === 2));
    const summaries = await stopAndSummarize(readers, stopFile);
    console.log('rollback', JSON.stringify({ ...outcomes, reads: summaries.reduce((n, s) => n + (s.reads as number), 0) }));
    expect(outcomes).toMatchObject({ acquired: CYCLES, gaveUp: 0 });
    for (const s of summaries) expect(s).toMatchObject({ wrong: 0, errors: {} });
    expect(summaries.every((s) => (s.reads as number) > 0)).toBe(true);
    expect(summaries.filter((_, i) => i % 2 === 0).every((s) => (s.dataVersionMoves as number) > 0)).toBe(true);
  });

  it('WAL: every WAL lock is had every time, and no read fails', async () => {
    writeBankVersions(dbPath, join(dir, 'scratch.db'));
    const keeper = new Database(dbPath);
    try {
      keeper.pragma('journal_mode = wal');
      keeper.pragma('wal_autocheckpoint = 0');
      keeper.exec('UPDATE accounts SET amount = amount - 5 WHERE id = 1; UPDATE accounts SET amount = amount + 5 WHERE id = 2;');
      const fingerprint = (keeper.prepare('SELECT sum(id * amount) AS f FROM accounts').get() as { f: number }).f;
      const { readers, stopFile } = startReaders({ 1: fingerprint });
      await Promise.all(readers.map((r) => r.waitForLine('the reader to read', 60_000, (l) => l.type === 'ready')));
      const shm = files.open(`${dbPath}-shm`);
      const outcomes = await cycles(() => acquireWalExclusive(shm, wait), () => {});
      const summaries = await stopAndSummarize(readers, stopFile);
      console.log('wal', JSON.stringify({ ...outcomes, reads: summaries.reduce((n, s) => n + (s.reads as number), 0) }));
      expect(outcomes).toMatchObject({ acquired: CYCLES, gaveUp: 0 });
      for (const s of summaries) expect(s).toMatchObject({ wrong: 0, errors: {}, versions: [1] });
      expect(summaries.every((s) => (s.reads as number) > 0)).toBe(true);
    } finally {
      keeper.close();
    }
  });
});
