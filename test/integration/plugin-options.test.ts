// The volume plugin's `-o` options and Docker's own volume names, spoken to as dockerd
// would (no Docker engine): real chalkfs CLI, MinIO and FUSE mounts.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pluginHostPerTest, uniqueName, type TestPluginHost } from '../support/docker-fixture.js';
import { volumeDriverCalls } from '../support/docker-plugin-client.js';

const host = pluginHostPerTest('plugin-options');

/** The errno code a write into `dir` fails with, or 'written'. */
async function writeOutcome(dir: string): Promise<string> {
  return writeFile(join(dir, `probe-${Date.now()}`), 'x').then(
    () => 'written',
    (err: NodeJS.ErrnoException) => err.code ?? String(err),
  );
}

/** Mounts `name` read-write with the CLI at a temp dir, as another host's writer would. */
async function cliWriter(h: TestPluginHost, name: string): Promise<{ dir: string; unmount: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'plugin-writer-'));
  await h.chalkfs('mount', name, dir);
  return {
    dir,
    unmount: async () => {
      await h.chalkfs('unmount', dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('volume plugin: Docker names', () => {
  it('maps uppercase and anonymous names to chalkfs volumes and lists them under the Docker name', async () => {
    const h = await host();
    const call = volumeDriverCalls(h.socketPath);
    const upper = `My_Data-${uniqueName('x')}`;
    const anonymous = 'c0ffee00'.repeat(8);
    for (const name of [upper, anonymous]) expect((await call('Create', { Name: name })).body).toEqual({});

    expect(((await call('List')).body.Volumes as Array<{ Name: string }>).map((v) => v.Name).sort()).toEqual([upper, anonymous].sort());
    const chalkfsNames = (JSON.parse((await h.chalkfs('volume', 'ls', '--json')).stdout) as Array<{ name: string; createdAt: string }>).map((v) => v.name);
    expect(chalkfsNames).toContain(`esc--_my___data-${upper.slice('My_Data-'.length)}`);
    expect(chalkfsNames.find((n) => n.startsWith('anon--'))).toHaveLength(58);

    const got = (await call('Get', { Name: anonymous })).body.Volume as { Name: string; CreatedAt: string; Status: { chalkfsVolume: string } };
    expect(got.Name).toBe(anonymous);
    const info = JSON.parse((await h.chalkfs('volume', 'info', got.Status.chalkfsVolume, '--json')).stdout) as { createdAt: string };
    expect(got.CreatedAt).toBe(info.createdAt);
    expect(Date.parse(got.CreatedAt)).toBeGreaterThan(Date.now() - 600_000);

    const mountpoint = (await call('Mount', { Name: upper, ID: 'c1' })).body.Mountpoint as string;
    await writeFile(join(mountpoint, 'f.txt'), 'upper\n');
    expect((await call('Path', { Name: upper })).body).toEqual({ Mountpoint: mountpoint });
    await call('Unmount', { Name: upper, ID: 'c1' });
    for (const name of [upper, anonymous]) expect((await call('Remove', { Name: name })).body).toEqual({});
    expect((await call('List')).body.Volumes).toEqual([]);
  });

  it('leaves out chalkfs volumes whose names no Docker name encodes', async () => {
    const h = await host();
    await h.chalkfs('volume', 'create', 'esc--x_');
    await h.chalkfs('volume', 'create', 'plain');
    expect((await volumeDriverCalls(h.socketPath)('List')).body.Volumes).toEqual([{ Name: 'plain', Mountpoint: '' }]);
  });
});

describe('volume plugin: -o options', () => {
  it('refuses bad option values at Create, with one line naming the option', async () => {
    const h = await host();
    const call = volumeDriverCalls(h.socketPath);
    const name = uniqueName('vol');
    for (const [opts, message] of [
      [{ 'read-only': 'yes' }, 'invalid volume option read-only="yes": expected true or false'],
      [{ writer: 'maybe' }, 'invalid volume option writer="maybe": expected required or fallback'],
      [{ version: 'latest' }, /^invalid volume option version="latest"/],
      [{ 'cache-size': 'big' }, /^invalid volume option cache-size "big"/],
      [{ 'block-size': 'huge' }, /invalid block size "huge"/], // from `chalkfs volume create`
    ] as const) {
      const reply = await call('Create', { Name: name, Opts: opts });
      expect(reply.status).toBe(500);
      expect(reply.body.Err).toMatch(message);
      expect(reply.body.Err).not.toContain('\n');
    }
    expect((await call('Create', { Name: name, Opts: { version: '1' } })).body.Err).toMatch(`volume ${name} does not exist: version=1 pins a version of an existing volume`);
  });

  it('writer=required (the default) fails the mount naming the writer; writer=fallback and read-only=true mount read-only', async () => {
    const h = await host();
    const call = volumeDriverCalls(h.socketPath);
    const name = uniqueName('vol');
    expect((await call('Create', { Name: name })).body).toEqual({});
    const writer = await cliWriter(h, name);
    try {
      const status = JSON.parse((await h.chalkfs('status', '--json')).stdout) as Array<{ mountpoint: string; pid: number }>;
      const pid = status.find((m) => m.mountpoint === writer.dir)!.pid;

      const refused = await call('Mount', { Name: name, ID: 'c1' });
      expect(refused.status).toBe(500);
      expect(refused.body.Err).toMatch(new RegExp(`^volume ${name} is mounted read-write by host \\S+ pid ${pid} \\(one writer per volume\\); .*-o read-only=true.*-o writer=fallback.*":ro" in -v does not do it`));
      expect(h.server.activeMounts()).toEqual({});

      expect((await call('Create', { Name: name, Opts: { writer: 'fallback' } })).body).toEqual({});
      const fallback = (await call('Mount', { Name: name, ID: 'c1' })).body.Mountpoint as string;
      expect(await writeOutcome(fallback)).toBe('EROFS');
      // Docker's implicit Create for the next container has no options: the saved ones stay.
      expect((await call('Create', { Name: name, Opts: {} })).body).toEqual({});
      expect((await call('Mount', { Name: name, ID: 'c2' })).body.Mountpoint).toBe(fallback);
      const changed = await call('Create', { Name: name, Opts: { 'read-only': 'true' } });
      expect(changed.body.Err).toMatch(/mounted for 2 container\(s\) on this host with other options/);
      for (const id of ['c1', 'c2']) await call('Unmount', { Name: name, ID: id });

      expect((await call('Create', { Name: name, Opts: { 'read-only': 'true', 'cache-size': '64MiB' } })).body).toEqual({});
      const readOnly = (await call('Mount', { Name: name, ID: 'c3' })).body.Mountpoint as string;
      expect(await writeOutcome(readOnly)).toBe('EROFS');
      expect(await writeOutcome(writer.dir)).toBe('written'); // the writer elsewhere is untouched
      const mounted = JSON.parse((await h.chalkfs('status', '--json')).stdout) as Array<{ mountpoint: string; mode: string }>;
      expect(mounted.find((m) => m.mountpoint === readOnly)?.mode).toBe('read-only');
      await call('Unmount', { Name: name, ID: 'c3' });
    } finally {
      await writer.unmount();
    }
  });

  it('version=N mounts that version, read-only, and the options survive a plugin restart', async () => {
    const h = await host();
    const call = volumeDriverCalls(h.socketPath);
    const name = uniqueName('vol');
    await h.chalkfs('volume', 'create', name); // made elsewhere: in the store, new to this host's Docker
    // dockerd asks Get first and sends Create, with the options, only when Get finds nothing.
    expect((await call('Get', { Name: name })).body.Err).toMatch(`volume ${name} is not known to Docker on this host`);
    const writer = await cliWriter(h, name);
    await writeFile(join(writer.dir, 'a.txt'), 'one\n'); // close commits a version
    const versions = JSON.parse((await h.chalkfs('volume', 'versions', name, '--json')).stdout) as Array<{ seq: number }>;
    const first = Math.max(...versions.map((v) => v.seq));
    await writeFile(join(writer.dir, 'a.txt'), 'two\n');
    await writer.unmount();

    expect((await call('Create', { Name: name, Opts: { version: '999' } })).body.Err).toMatch(`volume ${name} has no version 999`);
    expect((await call('Create', { Name: name, Opts: { version: String(first) } })).body).toEqual({});
    await h.restart();
    const pinned = (await call('Mount', { Name: name, ID: 'c1' })).body.Mountpoint as string;
    expect(await readFile(join(pinned, 'a.txt'), 'utf8')).toBe('one\n');
    expect(await writeOutcome(pinned)).toBe('EROFS');
    expect(h.server.activeMounts()).toEqual({ [`${name}@${first}`]: 1 });
    expect((await call('Get', { Name: name })).body).toMatchObject({ Volume: { Mountpoint: pinned, Status: { options: { version: String(first) }, containersOnThisHost: 1 } } });
    await call('Unmount', { Name: name, ID: 'c1' });
    expect(h.server.activeMounts()).toEqual({});
  });
});
