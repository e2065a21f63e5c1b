// The store dies (kill -9 of a private MinIO) while a writer host commits and a reader
// host reads, then comes back on the same port with the same data. The writer's COMMITs
// fail cleanly (or wait and succeed), never corrupt; the reader keeps serving what it
// has; once the store is back, writes work on the same mount and nothing acknowledged
// is lost.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { freeLoopbackPort, startMinio, type RunningMinio } from '../../chalkfs/minio/minio-server.js';
import { Children, type DbState } from '../support/multihost-children.js';
import { checkedAfterRemount, expectOnlyAcknowledgedStates, matchesState, startWriterAndReader } from '../support/writer-and-reader.js';

describe('store faults: MinIO killed and restarted mid-run', () => {
  it('COMMIT fails cleanly or succeeds, readers keep serving, writes resume, nothing acknowledged is lost', { timeout: 240_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'chalkfs-faults-minio-'));
    const credentials = { accessKeyId: 'faults-test', secretAccessKey: 'faults-test-secret-key' };
    const port = await freeLoopbackPort();
    const logFile = `${dataDir}.log`;
    let minio: RunningMinio = await startMinio({ dataDir, credentials, port, logFile });
    try {
      await using fx = await ChalkfsFixture.create({ store: { endpoint: minio.endpoint, ...credentials } });
      const children = new Children();
      try {
        const volume = 'faults';
        // A lease longer than the outage: this test is about the store, not lease loss.
        const { writerMount, readerMount, writer, reader, stopWriter, stopReader } = await startWriterAndReader(fx, children, { volume, writerMount: { extraArgs: ['--lease-ttl-ms', '60000'] }, commitsFirst: 15, writerPauseMs: 20 });

        // The store dies.
        minio.process.kill('SIGKILL');
        await new Promise<void>((r) => (minio.process.exitCode !== null || minio.process.signalCode !== null ? r() : minio.process.once('exit', () => r())));
        const killedAt = Date.now();
        await writer.waitForLine('a COMMIT to fail while the store is down', 60_000, (l) => l.type === 'error' && (l.at as number) > killedAt);
        await reader.waitForLine('reads while the store is down', 30_000, () => reader.ofType('read').filter((l) => (l.at as number) > killedAt).length >= 5);
        // Keep it down a while (well within the 60 s lease), so the writer retries against a dead store.
        await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 5000 - Date.now())));
        const outage = { commits: writer.ofType('commit').filter((l) => (l.at as number) > killedAt).length };

        // The store comes back: same port, same data.
        minio = await startMinio({ dataDir, credentials, port, logFile });
        const restartedAt = Date.now();
        const firstAfter = await writer.waitForLine('a commit after the restart', 90_000, (l) => l.type === 'commit' && (l.at as number) > restartedAt).catch(async (err: Error) => {
          // Say why: the writer's last lines and its daemon's log.
          const log = (await writerMount.log()).split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-15).join('\n');
          throw new Error(`${err.message}\nwriter: ${JSON.stringify(writer.lines.slice(-5))}\ndaemon warnings and errors:\n${log}`);
        });
        await writer.waitForLine('10 commits after the restart', 90_000, () => writer.ofType('commit').filter((l) => (l.at as number) > restartedAt).length >= 10);
        await writeFile(stopWriter, '');
        await writer.waitForLine('the writer to stop', 60_000, (l) => l.type === 'stopped');
        const commits = writer.ofType('commit') as unknown as DbState[];
        const final = commits.at(-1)!;
        await reader.waitForLine('the reader to see the final transaction', 30_000, (l) => l.type === 'read' && l.txn === final.txn);
        await writeFile(stopReader, '');
        await reader.exited;

        // COMMITs failed cleanly: I/O errors, nothing else.
        const errors = writer.ofType('error');
        const recoveryErrors = errors.filter((e) => (e.at as number) > restartedAt).length;
        console.log(`${recoveryErrors} writer errors after the restart`);
        console.log(`store down ${restartedAt - killedAt} ms: ${errors.length} writer errors (${[...new Set(errors.map((e) => e.code))].join(', ')}), ${outage.commits} commits acknowledged while down, ${reader.ofType('read').filter((l) => (l.at as number) > killedAt && (l.at as number) < restartedAt).length} reader reads served while down; first acknowledged COMMIT ${(firstAfter.at as number) - restartedAt} ms after the restart`);
        for (const e of errors) expect(String(e.code), JSON.stringify(e)).toMatch(/^SQLITE_(IOERR|BUSY|CANTOPEN)/);
        // Each time the writer reopened, it found at least everything acknowledged before.
        let lastAcked = 0;
        for (const line of writer.lines) {
          if (line.type === 'commit') lastAcked = line.txn as number;
          if (line.type === 'opened') expect(line.txn as number, 'an acknowledged transaction vanished').toBeGreaterThanOrEqual(lastAcked);
        }
        // The reader: never an error, always intact, never backwards, only real states.
        expectOnlyAcknowledgedStates(writer, reader);

        // Nothing acknowledged lost: the store holds the final state, intact.
        expect(await checkedAfterRemount(fx, children, volume, writerMount)).toMatchObject(matchesState(final));
        await readerMount.unmount();
      } finally {
        await children.killAll();
      }
    } finally {
      await minio.stop();
      await rm(dataDir, { recursive: true, force: true });
      await rm(logFile, { force: true });
    }
  });
});
