// The seed scenario and its guarantees with everything real: dockerd, containers from
// the Debian image, the chalkfs volume plugin (in this process), chalkfs mount daemons,
// MinIO. Each test has its own bucket and plugin host(s) and removes all it made.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Container, DockerEngine, Image, OrchestratorError, Volume, type RunningContainer } from '../../orchestrator/index.js';
import { dirSizeBytes } from '../../orchestrator/demo/demo-steps.js';
import { DB_PATH, expectedReaderOutput, expectedWriterOutput, readerScript, writerScript } from '../../orchestrator/demo/seed-scripts.js';
import { mountsUnder, orchestratorContainers, requireDockerEngine, startPluginHost, uniqueName, type TestPluginHost } from '../support/docker-fixture.js';

const execFileAsync = promisify(execFile);

let engine: DockerEngine;
const image = Image.debianSlim('3.11');
const undo: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  engine = await requireDockerEngine();
  await image.ensure({ engine });
});

afterEach(async () => {
  const failures: unknown[] = [];
  for (const fn of undo.splice(0).reverse()) await fn().catch((err: unknown) => failures.push(err));
  expect((await orchestratorContainers(engine)).filter((n) => n.startsWith('plugin-test-'))).toEqual([]);
  expect(failures).toEqual([]);
});

async function host(bucket: string, label: string): Promise<TestPluginHost> {
  const h = await startPluginHost({ bucket, label });
  undo.push(() => h.dispose());
  return h;
}

/**
 * Resolves once the host holds no mount (Docker sends Unmount while it removes a
 * container); a mount that is never released fails the test by its timeout.
 */
async function released(h: TestPluginHost): Promise<void> {
  while (Object.keys(h.server.activeMounts()).length > 0) await new Promise((r) => setTimeout(r, 50));
}

/** Starts a container on the volume and makes sure it is removed after the test. */
async function run(h: TestPluginHost, role: string, volume: string, options: { readOnly?: boolean } = {}): Promise<RunningContainer> {
  const c = await new Container({ image, name: uniqueName(`plugin-test-${role}`), volumeDriver: h.driver }).mountVolume(volume, '/data', options).run();
  undo.push(() => c.stop());
  return c;
}

describe('chalkfs volumes in Docker containers', () => {
  it('runs the seed scenario: the writer is removed before two readers start, and each prints the three rows', async () => {
    const h = await host(uniqueName('chalkfs-docker-t'), 'seed');
    const volume = uniqueName('sqlite-persistence');

    const writer = await run(h, 'writer', volume);
    const wrote = await writer.exec('python3', '-c', writerScript(DB_PATH));
    expect(wrote.stderrText).toBe('');
    expect(wrote.exitCode).toBe(0);
    expect(wrote.stdoutText).toBe(expectedWriterOutput(DB_PATH));
    await writer.stop();
    expect(await orchestratorContainers(engine)).not.toContain(writer.name);
    await released(h); // with the writer gone, its mount is released

    const readerA = await run(h, 'reader-a', volume, { readOnly: true });
    const readerB = await run(h, 'reader-b', volume, { readOnly: true });
    // Both running at once, on one shared FUSE mount.
    expect(h.server.activeMounts()).toEqual({ [volume]: 2 });
    expect(await mountsUnder(`${h.stateDir}/mounts/${volume}`)).toHaveLength(1);
    for (const reader of [readerA, readerB]) {
      const r = await reader.exec('python3', '-c', readerScript(DB_PATH));
      expect(r.stderrText).toBe('');
      expect(r.exitCode).toBe(0);
      expect(r.stdoutText).toBe(expectedReaderOutput());
    }
    await readerA.stop();
    await readerB.stop();
    await released(h);

    expect((await Volume.list({ driver: h.driver })).map((v) => v.name)).toContain(volume);
    const info = await new Volume({ name: volume, driver: h.driver }).inspect();
    expect(info.status).toMatchObject({ files: 1 });
    await new Volume({ name: volume, driver: h.driver }).delete();
    expect((await Volume.list({ driver: h.driver })).map((v) => v.name)).not.toContain(volume);
    await expect(new Volume({ name: volume, driver: h.driver }).delete()).rejects.toMatchObject({ kind: 'volume-unknown' });
  });

  it('a second host with its own daemon and an empty cache reads what the first wrote, through the store', async () => {
    const bucket = uniqueName('chalkfs-docker-t');
    const volume = uniqueName('handoff');
    const hostA = await host(bucket, 'host-a');
    const writer = await run(hostA, 'writer', volume);
    expect((await writer.exec('python3', '-c', writerScript(DB_PATH))).exitCode).toBe(0);
    await writer.stop();
    await released(hostA);
    await hostA.stop();
    expect(await mountsUnder(hostA.stateDir)).toEqual([]); // nothing of host A is mounted

    const hostB = await host(bucket, 'host-b');
    expect(await dirSizeBytes(hostB.cacheDir)).toBe(0);
    const readers = [await run(hostB, 'reader-a', volume, { readOnly: true }), await run(hostB, 'reader-b', volume, { readOnly: true })];
    for (const reader of readers) {
      const r = await reader.exec('python3', '-c', readerScript(DB_PATH));
      expect(r.stdoutText).toBe(expectedReaderOutput());
    }
    expect(await dirSizeBytes(hostB.cacheDir)).toBeGreaterThan(0); // blocks came from the store
  });

  it('a read-only mount refuses writes with EROFS, while a read-write container on the same mount writes', async () => {
    const h = await host(uniqueName('chalkfs-docker-t'), 'readonly');
    const volume = uniqueName('ro');
    const rw = await run(h, 'rw', volume);
    const ro = await run(h, 'ro', volume, { readOnly: true });
    expect((await rw.exec('sh', '-c', 'echo written > /data/note.txt')).exitCode).toBe(0);
    // Same mount: the read-only container sees the write at once.
    expect((await ro.exec('cat', '/data/note.txt')).stdoutText).toBe('written\n');
    const attempt = await ro.exec(
      'python3',
      '-c',
      'import errno\nfor op in (lambda: open("/data/x", "w"), lambda: open("/data/note.txt", "a")):\n    try:\n        op()\n        print("written")\n    except OSError as e:\n        print(errno.errorcode[e.errno])',
    );
    expect(attempt.stdoutText).toBe('EROFS\nEROFS\n');
    const shell = await ro.exec('touch', '/data/y');
    expect(shell.exitCode).not.toBe(0);
    expect(shell.stderrText).toMatch(/Read-only file system/);
  });

  it('containers on one host share one mount, so SQLite locks work across them', async () => {
    const h = await host(uniqueName('chalkfs-docker-t'), 'locks');
    const volume = uniqueName('locks');
    const first = await run(h, 'lock-holder', volume);
    const second = await run(h, 'lock-prober', volume);
    await first.exec('python3', '-c', 'import sqlite3\nwith sqlite3.connect("/data/l.db") as db: db.execute("CREATE TABLE t (x)")');

    // The holder takes the write lock, announces it, and keeps it until the prober is done.
    const holder = first.exec(
      'python3',
      '-c',
      [
        'import os, sqlite3, time',
        'db = sqlite3.connect("/data/l.db", isolation_level=None)',
        'db.execute("BEGIN EXCLUSIVE")',
        'db.execute("INSERT INTO t VALUES (1)")',
        'open("/data/locked", "w").close()',
        'while not os.path.exists("/data/probed"): time.sleep(0.02)',
        'db.execute("COMMIT")',
        'print("committed")',
      ].join('\n'),
    );
    const prober = await second.exec(
      'python3',
      '-c',
      [
        'import os, sqlite3, time',
        'while not os.path.exists("/data/locked"): time.sleep(0.02)',
        'try:',
        '    sqlite3.connect("/data/l.db", timeout=0).execute("INSERT INTO t VALUES (2)")',
        '    print("not locked")',
        'except sqlite3.OperationalError as e:',
        '    print(e)',
        'open("/data/probed", "w").close()',
      ].join('\n'),
    );
    expect(prober.stdoutText).toBe('database is locked\n');
    expect((await holder).stdoutText).toBe('committed\n');
    const rows = await second.exec('python3', '-c', 'import sqlite3\nprint(sqlite3.connect("/data/l.db").execute("SELECT x FROM t").fetchall())');
    expect(rows.stdoutText).toBe('[(1,)]\n');
  });

  it('works from the plain docker CLI: docker run --volume-driver', async () => {
    const h = await host(uniqueName('chalkfs-docker-t'), 'cli');
    const volume = uniqueName('cli');
    const docker = (script: string) =>
      execFileAsync('docker', ['run', '--rm', '--network', 'none', '--volume-driver', h.driver, '-v', `${volume}:/data`, image.reference, 'python3', '-c', script], { encoding: 'utf8' });
    undo.push(() => new Volume({ name: volume, driver: h.driver }).delete());
    expect((await docker(writerScript(DB_PATH))).stdout).toBe(expectedWriterOutput(DB_PATH));
    expect((await docker(readerScript(DB_PATH))).stdout).toBe(expectedReaderOutput());
    await released(h); // --rm released the mount
  });

  it('reports volume errors as typed errors', async () => {
    const h = await host(uniqueName('chalkfs-docker-t'), 'errors');
    const volume = uniqueName('busy');
    const user = await run(h, 'user', volume);
    await expect(new Volume({ name: volume, driver: h.driver }).delete()).rejects.toMatchObject({ kind: 'volume-in-use' });
    await user.stop();
    await new Volume({ name: volume, driver: h.driver }).delete();

    const err = await new Volume({ name: uniqueName('badblock'), driver: h.driver }).create({ blockSize: 'huge' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrchestratorError);
    expect((err as OrchestratorError).kind).toBe('volume-driver-failed');
    expect((err as OrchestratorError).message).toMatch(/block size/i);
  });
});
