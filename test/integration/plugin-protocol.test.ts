// The volume plugin spoken to directly, as dockerd would: real chalkfs CLI, real MinIO,
// real FUSE mounts; no Docker engine involved.
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servePlugin } from '../../chalkfs/plugin/plugin-server.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { mountsUnder, pluginHostPerTest, uniqueName } from '../support/docker-fixture.js';
import { pluginCall, volumeDriverCalls } from '../support/docker-plugin-client.js';
import { processAlive } from '../../chalkfs/host/process-liveness.js';

const host = pluginHostPerTest('plugin-protocol');

const fuseMountCount = async (dir: string): Promise<number> => (await mountsUnder(dir)).filter((p) => p === dir).length;

describe('volume plugin protocol', () => {
  it('answers the handshake and capability calls, and rejects what is not the protocol', async () => {
    const h = await host();
    const activate = await pluginCall(h.socketPath, '/Plugin.Activate');
    expect(activate.status).toBe(200);
    expect(activate.contentType).toBe('application/vnd.docker.plugins.v1.2+json');
    expect(activate.body).toEqual({ Implements: ['VolumeDriver'] });
    expect((await pluginCall(h.socketPath, '/VolumeDriver.Capabilities')).body).toEqual({ Capabilities: { Scope: 'global' } });
    const unknown = await pluginCall(h.socketPath, '/VolumeDriver.Snapshot', { Name: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.Err).toMatch(/not part of the volume plugin protocol/);
    const noName = await pluginCall(h.socketPath, '/VolumeDriver.Mount', { ID: 'abc' });
    expect(noName.status).toBe(500);
    expect(noName.body.Err).toMatch(/Name/);
  });

  it('creates, lists, mounts once for many users, unmounts after the last, and removes', async () => {
    const h = await host();
    const name = uniqueName('vol');
    const call = volumeDriverCalls(h.socketPath);

    const bad = await call('Create', { Name: 'A'.repeat(30), Opts: {} });
    expect(bad.status).toBe(500);
    expect(bad.body.Err).toMatch(/too long for chalkfs/);
    expect((await call('Create', { Name: name, Opts: { colour: 'blue' } })).body.Err).toMatch(/unknown volume option "colour"/);
    expect((await call('Create', { Name: name, Opts: { 'block-size': '64KiB' } })).body).toEqual({});
    expect((await call('Create', { Name: name, Opts: null })).body).toEqual({}); // Docker repeats Create: fine

    const got = await call('Get', { Name: name });
    expect(got.body).toMatchObject({ Volume: { Name: name, Mountpoint: '', Status: { blockSizeBytes: 65536, files: 0, containersOnThisHost: 0 } } });
    // The volume's own creation time, which `docker volume inspect` shows as CreatedAt.
    const info = JSON.parse((await h.chalkfs('volume', 'info', name, '--json')).stdout) as { createdAt: string };
    expect((got.body.Volume as { CreatedAt: string }).CreatedAt).toBe(info.createdAt);
    expect((await call('List')).body.Volumes).toEqual([{ Name: name, Mountpoint: '' }]);

    const first = await call('Mount', { Name: name, ID: 'container-1' });
    const mountpoint = join(h.stateDir, 'mounts', name);
    expect(first.body).toEqual({ Mountpoint: mountpoint });
    expect(await fuseMountCount(mountpoint)).toBe(1);
    const second = await call('Mount', { Name: name, ID: 'container-2' });
    expect(second.body).toEqual({ Mountpoint: mountpoint });
    expect(await fuseMountCount(mountpoint)).toBe(1); // shared, not mounted twice
    expect(h.server.activeMounts()).toEqual({ [name]: 2 });
    expect((await call('Path', { Name: name })).body).toEqual({ Mountpoint: mountpoint });

    await writeFile(join(mountpoint, 'hello.txt'), 'hello\n');
    const inUse = await call('Remove', { Name: name });
    expect(inUse.status).toBe(500);
    expect(inUse.body.Err).toMatch(/mounted for 2 container/);

    expect((await call('Unmount', { Name: name, ID: 'container-1' })).body).toEqual({});
    expect(await fuseMountCount(mountpoint)).toBe(1);
    expect(await readFile(join(mountpoint, 'hello.txt'), 'utf8')).toBe('hello\n');
    expect((await call('Unmount', { Name: name, ID: 'container-2' })).body).toEqual({});
    expect(await fuseMountCount(mountpoint)).toBe(0);
    expect(h.server.activeMounts()).toEqual({});
    expect((await call('Path', { Name: name })).body).toEqual({ Mountpoint: '' });
    expect((await call('Unmount', { Name: name, ID: 'container-2' })).body).toEqual({}); // repeated: harmless

    // What was written through the shared mount reached the store.
    expect((await call('Get', { Name: name })).body).toMatchObject({ Volume: { Status: { files: 1, sizeBytes: 6 } } });

    expect((await call('Remove', { Name: name })).body).toEqual({});
    expect((await call('Get', { Name: name })).body.Err).toMatch(/is not known to Docker on this host/);
    expect((await call('List')).body.Volumes).toEqual([]);
  });

  it('keeps reference counts across a plugin restart and releases the mount after the last Unmount', async () => {
    const h = await host();
    const name = uniqueName('vol');
    const call = volumeDriverCalls(h.socketPath);
    await call('Create', { Name: name });
    const { body } = await call('Mount', { Name: name, ID: 'a' });
    const mountpoint = body.Mountpoint as string;
    await call('Mount', { Name: name, ID: 'b' });
    await writeFile(join(mountpoint, 'before-restart.txt'), 'kept\n');

    await h.restart();
    expect(h.server.activeMounts()).toEqual({ [name]: 2 });
    expect(await fuseMountCount(mountpoint)).toBe(1);
    expect(await readFile(join(mountpoint, 'before-restart.txt'), 'utf8')).toBe('kept\n');
    const saved = JSON.parse(await readFile(join(h.stateDir, 'refs.json'), 'utf8'));
    expect(saved.volumes[name].ids).toEqual(['a', 'b']);

    await call('Unmount', { Name: name, ID: 'a' });
    expect(await fuseMountCount(mountpoint)).toBe(1);
    await call('Unmount', { Name: name, ID: 'b' });
    expect(await fuseMountCount(mountpoint)).toBe(0);
    expect(h.server.activeMounts()).toEqual({});
  });

  it('mounts again when the mount daemon of a volume in use has died', async () => {
    const h = await host();
    const name = uniqueName('vol');
    const call = volumeDriverCalls(h.socketPath);
    await call('Create', { Name: name });
    const mountpoint = (await call('Mount', { Name: name, ID: 'a' })).body.Mountpoint as string;
    const file = await open(join(mountpoint, 'data.txt'), 'w');
    await file.writeFile('durable\n');
    await file.sync(); // acknowledged by fsync: must survive the daemon's death
    await file.close();

    const status = JSON.parse((await h.chalkfs('status', '--json')).stdout) as Array<{ mountpoint: string; pid: number }>;
    const daemon = status.find((m) => m.mountpoint === mountpoint);
    expect(daemon).toBeDefined();
    process.kill(daemon!.pid, 'SIGKILL');
    while (processAlive(daemon!.pid)) await new Promise((r) => setTimeout(r, 20));

    // 'a' still holds the volume; the next container's Mount finds the mount dead.
    const again = await call('Mount', { Name: name, ID: 'b' });
    expect(again.body).toEqual({ Mountpoint: mountpoint });
    expect(await fuseMountCount(mountpoint)).toBe(1);
    expect(await readFile(join(mountpoint, 'data.txt'), 'utf8')).toBe('durable\n');
    expect(h.server.activeMounts()).toEqual({ [name]: 2 });
    for (const id of ['a', 'b']) await call('Unmount', { Name: name, ID: id });
    expect(await fuseMountCount(mountpoint)).toBe(0);
  });

  it('refuses a second plugin on a socket that is served, and takes over a stale socket file', async () => {
    const h = await host();
    const stateDir = await mkdtemp(join(tmpdir(), 'plugin-second-'));
    try {
      await expect(servePlugin({ socketPath: h.socketPath, stateDir, env: h.env, logger: silentLogger() })).rejects.toMatchObject({ kind: 'exists' });
      // The first plugin is unaffected.
      expect((await pluginCall(h.socketPath, '/Plugin.Activate')).status).toBe(200);

      const stale = join(stateDir, 'stale.sock');
      await writeFile(stale, '');
      const server = await servePlugin({ socketPath: stale, stateDir: join(stateDir, 'state'), env: h.env, logger: silentLogger() });
      try {
        expect((await pluginCall(stale, '/Plugin.Activate')).body).toEqual({ Implements: ['VolumeDriver'] });
      } finally {
        await server.close();
      }
      await expect(stat(stale)).rejects.toMatchObject({ code: 'ENOENT' }); // removed on close
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
