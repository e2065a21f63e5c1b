/*
 * The set-up of the multi-host fault tests: a volume with a writer mount on the fixture's
 * first host running a resilient SQLite writer (sqliteResilientWriterCode), and a
 * read-only mount on a second host running an open→query→close reader, both started
 * and past their first commits and reads. Stop files let the test end each child.
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ChalkfsFixture, MountOptions } from './chalkfs-fixture.js';
import { sqliteCheckCode, sqliteReaderCode, sqliteResilientWriterCode, waitFor, stateKey, type Children, type DbState, type JsonChild } from './multihost-children.js';
import type { Mount } from './chalkfs-fixture.js';

export interface WriterAndReaderOptions {
  volume: string;
  writerMount?: MountOptions;
  /** Commits the writer makes before the reader starts. */
  commitsFirst: number;
  writerPauseMs: number;
}

export async function startWriterAndReader(fx: ChalkfsFixture, children: Children, options: WriterAndReaderOptions) {
  const { volume } = options;
  await fx.createVolume(volume);
  const writerMount = await fx.mount(volume, options.writerMount);
  const readerHost = fx.addHost('reader');
  const readerMount = await readerHost.mount(volume, { readOnly: true });
  const control = await fx.tempDir('control');
  const stopWriter = join(control, 'stop-writer');
  const stopReader = join(control, 'stop-reader');

  const writer = children.spawn(sqliteResilientWriterCode, { db: join(writerMount.dir, 'db.sqlite'), journalMode: 'delete', stopFile: stopWriter, pauseMs: options.writerPauseMs }, fx.host.env());
  await writer.waitForLine(`${options.commitsFirst} commits`, 60_000, (l) => l.type === 'commit' && (l.txn as number) >= options.commitsFirst);
  await waitFor('the schema to reach the reader host', 30_000, async () => {
    const probe = children.spawn(sqliteReaderCode, { db: join(readerMount.dir, 'db.sqlite'), stopFile: stopReader, maxReads: 1, quickCheck: false }, readerHost.env());
    await probe.exited;
    return probe.ofType('read').length > 0;
  }, 200);
  const reader = children.spawn(sqliteReaderCode, { db: join(readerMount.dir, 'db.sqlite'), stopFile: stopReader, pauseMs: 20 }, readerHost.env());
  await reader.waitForLine('a first read', 30_000, (l) => l.type === 'read');
  return { writerMount, readerHost, readerMount, writer, reader, stopWriter, stopReader };
}

/**
 * Nothing acknowledged was lost: after the writer's mount is gone, a fresh read-write
 * mount of the volume holds exactly `final` (the last acknowledged state), intact.
 * Returns what the check printed, for the test's own assertions.
 */
export async function checkedAfterRemount(fx: ChalkfsFixture, children: Children, volume: string, writerMount: Mount): Promise<Record<string, unknown>> {
  await writerMount.unmount();
  const again = await fx.mount(volume);
  const check = children.spawn(sqliteCheckCode, { db: join(again.dir, 'db.sqlite') }, fx.host.env());
  const checked = await check.waitForLine('the check', 60_000, (l) => l.type === 'checked' || l.type === 'error');
  await again.unmount();
  return checked;
}

export const matchesState = (final: DbState) => ({ type: 'checked', check: 'ok', txn: final.txn, n: final.n, s: final.s, b: final.b });

/** The reader never failed, never went backwards, and saw only states the writer acknowledged (or found on reopening), each intact. */
export function expectOnlyAcknowledgedStates(writer: JsonChild, reader: JsonChild): void {
  const known = new Set([...writer.ofType('commit'), ...writer.ofType('opened')].map((l) => stateKey(l as unknown as DbState)));
  expect(reader.ofType('error')).toEqual([]);
  let previous = -1;
  for (const read of reader.ofType('read') as unknown as (DbState & { check: string })[]) {
    expect(read.check).toBe('ok');
    expect(read.txn, 'a read went backwards').toBeGreaterThanOrEqual(previous);
    previous = read.txn;
    if (read.txn > 0) expect(known.has(stateKey(read)), `reader saw ${stateKey(read)}, which the writer never acknowledged`).toBe(true);
  }
}
