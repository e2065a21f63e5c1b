// Real dockerd, real containers from the Debian image chalkfs builds; no chalkfs volumes
// here (see plugin-docker.test.ts), only what the Container API itself promises.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Container, DockerEngine, Image, OrchestratorError, Volume, reapOrphanContainers } from '../../orchestrator/index.js';
import { OWNER_HOST_LABEL, OWNER_PID_LABEL, ORCHESTRATOR_LABEL } from '../../orchestrator/container.js';
import { orchestratorContainers, requireDockerEngine, uniqueName } from '../support/docker-fixture.js';

let engine: DockerEngine;
const image = Image.debianSlim('3.11');

beforeAll(async () => {
  engine = await requireDockerEngine();
  await image.ensure({ engine });
});

afterAll(async () => {
  // Nothing this file created may outlive it.
  const left = (await orchestratorContainers(engine)).filter((n) => n.startsWith('orch-test-'));
  expect(left).toEqual([]);
});

async function expectKind(promise: Promise<unknown>, kind: string): Promise<OrchestratorError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OrchestratorError);
  expect((err as OrchestratorError).kind).toBe(kind);
  return err as OrchestratorError;
}

describe('Container', () => {
  it('runs Python 3.11 with its sqlite3 module and returns exit code, stdout and stderr', async () => {
    await using c = await new Container({ image, name: uniqueName('orch-test-py') }).run();
    const r = await c.exec('python3', '-c', 'import sqlite3, sys; print(sys.version_info[:2]); print(sqlite3.sqlite_version_info >= (3, 0, 0)); sys.stderr.write("to stderr\\n"); sys.exit(3)');
    expect(r.exitCode).toBe(3);
    expect(r.stdoutText).toBe('(3, 11)\nTrue\n');
    expect(r.stderrText).toBe('to stderr\n');
    expect(r.stdout.toString()).toBe(r.stdoutText);
  });

  it('reports a missing program as a failed result with the reason on stderr, not as an exception', async () => {
    await using c = await new Container({ image, name: uniqueName('orch-test-missing') }).run();
    const r = await c.exec('no-such-program', '--flag');
    expect(r.exitCode).not.toBe(0);
    expect(r.stdoutText).toBe('');
    expect(r.stderrText).toMatch(/no-such-program.*not found/);
    // The container is still usable afterwards.
    expect((await c.exec('echo', 'still here')).stdoutText).toBe('still here\n');
  });

  it('refuses a name that is in use with a typed error and leaves the first container alone', async () => {
    const name = uniqueName('orch-test-clash');
    await using first = await new Container({ image, name }).run();
    const err = await expectKind(new Container({ image, name }).run(), 'name-in-use');
    expect(err.message).toContain(name);
    expect((await orchestratorContainers(engine)).filter((n) => n === name)).toEqual([name]);
    expect((await first.exec('true')).exitCode).toBe(0);
  });

  it('stop() removes the container; stopping twice is fine and exec afterwards is a typed error', async () => {
    const name = uniqueName('orch-test-stop');
    const c = await new Container({ image, name }).run();
    await c.stop();
    await c.stop();
    expect(await orchestratorContainers(engine)).not.toContain(name);
    await expectKind(c.exec('true'), 'container-not-running');
  });

  it('async disposal stops and removes the container even when the block throws', async () => {
    const name = uniqueName('orch-test-dispose');
    await expect(
      (async () => {
        await using c = await new Container({ image, name }).run();
        expect(await orchestratorContainers(engine)).toContain(name);
        throw new Error('boom');
      })(),
    ).rejects.toThrow('boom');
    expect(await orchestratorContainers(engine)).not.toContain(name);
  });

  it('returns the main process output through logs()', async () => {
    await using c = await new Container({
      image,
      name: uniqueName('orch-test-logs'),
      command: ['sh', '-c', 'echo started; echo warning >&2; exec sleep infinity'],
      stopGraceSeconds: 1,
    }).run();
    // The log driver stores output asynchronously: wait until both lines are in.
    let logs = await c.logs();
    while (!logs.stdout.includes('started') || !logs.stderr.includes('warning')) logs = await c.logs();
    expect(logs.stdout).toBe('started\n');
    expect(logs.stderr).toBe('warning\n');
  });

  it('bind-mounts host directories, read-only ones refusing writes with EROFS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orch-test-bind-'));
    try {
      await writeFile(join(dir, 'hello.txt'), 'from the host\n');
      await using c = await new Container({ image, name: uniqueName('orch-test-bind') }).bindMount(dir, '/host', { readOnly: true }).run();
      expect((await c.exec('cat', '/host/hello.txt')).stdoutText).toBe('from the host\n');
      const w = await c.exec('python3', '-c', 'import errno\ntry:\n    open("/host/new", "w")\nexcept OSError as e:\n    print(errno.errorcode[e.errno])');
      expect(w.stdoutText).toBe('EROFS\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('typed errors', () => {
  it('engine-unreachable when no Docker engine answers (no socket, or nobody listening)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'orch-test-nodocker-'));
    try {
      const missing = new DockerEngine({ socketPath: join(dir, 'missing.sock') });
      let err = await expectKind(new Container({ image, name: uniqueName('orch-test-down'), engine: missing }).run(), 'engine-unreachable');
      expect(err.message).toContain(join(dir, 'missing.sock'));
      // A socket path that exists but where nothing listens (a dockerd that died).
      const stale = join(dir, 'stale.sock');
      await writeFile(stale, '');
      const dead = new DockerEngine({ socketPath: stale });
      err = await expectKind(dead.ping(), 'engine-unreachable');
      await expectKind(Volume.list({ engine: dead }), 'engine-unreachable');
      await expectKind(image.ensure({ engine: dead }), 'engine-unreachable');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('unknown-python-version names the versions Debian offers', () => {
    let caught: unknown;
    try {
      Image.debianSlim('3.12');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(OrchestratorError);
    expect((caught as OrchestratorError).kind).toBe('unknown-python-version');
    expect((caught as OrchestratorError).message).toContain('3.11');
    expect((caught as OrchestratorError).message).toContain('3.13');
  });

  it('invalid-volume-name before anything is created', async () => {
    for (const bad of ['Upper', '-dash', '.dot', '_under', 'a/b', '', 'x'.repeat(64), 'sp ace']) {
      expect(() => new Container({ image, name: uniqueName('orch-test-badvol') }).mountVolume(bad, '/data')).toThrow(
        expect.objectContaining({ kind: 'invalid-volume-name' }),
      );
      expect(() => new Volume({ name: bad })).toThrow(expect.objectContaining({ kind: 'invalid-volume-name' }));
    }
    expect(() => new Volume({ name: 'ok.name_1-2' })).not.toThrow();
  });

  it('image-missing for an image the engine does not have (there is no registry to pull from)', async () => {
    const name = uniqueName('orch-test-noimage');
    await expectKind(new Container({ image: Image.local('chalkfs-test/not-built:1'), name }).run(), 'image-missing');
    expect(await orchestratorContainers(engine)).not.toContain(name);
  });
});

describe('reapOrphanContainers', () => {
  it('removes containers whose owner process is gone and keeps those of live owners', async () => {
    // A pid that certainly belonged to a process that has exited.
    const dead = spawnSync('true');
    expect(dead.pid).toBeGreaterThan(0);
    const orphanName = uniqueName('orch-test-orphan');
    const orphanId = await engine.createContainer({
      name: orphanName,
      image: image.reference,
      cmd: ['sleep', 'infinity'],
      labels: { [ORCHESTRATOR_LABEL]: '1', [OWNER_PID_LABEL]: String(dead.pid), [OWNER_HOST_LABEL]: hostname() },
      mounts: [],
      networkMode: 'none',
    });
    try {
      await using live = await new Container({ image, name: uniqueName('orch-test-live') }).run();
      const removed = await reapOrphanContainers({ engine });
      expect(removed).toContain(orphanName);
      expect(removed).not.toContain(live.name);
      const names = await orchestratorContainers(engine);
      expect(names).not.toContain(orphanName);
      expect(names).toContain(live.name);
    } finally {
      await engine.removeContainer(orphanId);
    }
  });
});
