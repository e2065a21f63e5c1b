/*
 * `chalkfs volume rm` sees mounts on every host through their presence objects
 * (docs/FORMAT.md, "Presence"): it refuses while another host has the volume mounted
 * read-only, succeeds once that host unmounts, and with --force deletes anyway; the
 * reader whose volume vanished then says so in its log and status.
 */
import { expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ChalkfsFixture, type ChalkfsHost, type Mount } from '../support/chalkfs-fixture.js';
import { waitFor } from '../support/multihost-children.js';

const presenceEnv = { CHALKFS_PRESENCE_INTERVAL_MS: '300' };

/** Reads a file through the mount from a child process (the test never touches a mount itself). */
function cat(path: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('cat', [path], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function statusOf(mount: Mount): Promise<Record<string, unknown> | undefined> {
  const all = JSON.parse((await mount.host.cliOk(['status', '--json'])).stdout) as Record<string, unknown>[];
  return all.find((s) => s.mountpoint === mount.dir);
}

async function writeThenReader(fx: ChalkfsFixture, readerHost: ChalkfsHost, volume: string): Promise<Mount> {
  await fx.createVolume(volume);
  const writer = await fx.mount(volume, { env: presenceEnv });
  const w = spawnSync('sh', ['-c', `echo hello > ${join(writer.dir, 'f.txt')} && sync ${join(writer.dir, 'f.txt')}`], { encoding: 'utf8' });
  expect(w.status, w.stderr).toBe(0);
  const reader = await readerHost.mount(volume, { readOnly: true, env: presenceEnv });
  expect(cat(join(reader.dir, 'f.txt')).stdout).toBe('hello\n');
  await writer.unmount();
  return reader;
}

test('volume rm refuses while another host has the volume mounted read-only, succeeds after it unmounts', { timeout: 180_000 }, async () => {
  await using fx = await ChalkfsFixture.create();
  const hostB = fx.addHost('host-b');
  const reader = await writeThenReader(fx, hostB, 'shared');

  const refused = await fx.cli(['volume', 'rm', 'shared']);
  expect(refused.code, refused.stdout).not.toBe(0);
  expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  expect(refused.stderr).toMatch(/volume shared is mounted/);
  expect(refused.stderr).toContain(reader.dir);
  expect(refused.stderr).toMatch(/read-only/);
  expect(await fx.listKeys('volumes/shared/volume.json')).toHaveLength(1);
  expect(cat(join(reader.dir, 'f.txt')).stdout).toBe('hello\n');

  await reader.unmount();
  expect(await fx.listKeys('volumes/shared/presence/')).toEqual([]);
  const removed = await fx.cli(['volume', 'rm', 'shared']);
  expect(removed.code, removed.stderr).toBe(0);
  expect(await fx.listKeys('volumes/shared/')).toEqual([]);
});

test('volume rm --force deletes a volume mounted elsewhere; that reader logs and reports the volume deleted', { timeout: 180_000 }, async () => {
  await using fx = await ChalkfsFixture.create();
  const hostB = fx.addHost('host-b');
  const reader = await writeThenReader(fx, hostB, 'doomed');
  expect(await statusOf(reader)).toMatchObject({ volumeState: 'ok' });

  const removed = await fx.cli(['volume', 'rm', 'doomed', '--force']);
  expect(removed.code, removed.stderr).toBe(0);
  expect(await fx.listKeys('volumes/doomed/')).toEqual([]);

  await waitFor('the reader to notice the deletion', 30_000, async () => (await statusOf(reader))?.volumeState === 'deleted');
  expect((await hostB.cliOk(['status'])).stdout).toContain(`${reader.dir}: volume doomed was deleted from the store`);
  const log = await reader.log();
  expect(log.match(/volume doomed was deleted/g)).toHaveLength(1);
  // Still mounted, still answering what it has: the file read before comes from its cache.
  expect(cat(join(reader.dir, 'f.txt')).stdout).toBe('hello\n');
  // Its presence is not written again: the deleted volume stays deleted.
  await new Promise((r) => setTimeout(r, 1000));
  expect(await fx.listKeys('volumes/doomed/')).toEqual([]);
  await reader.unmount();
  expect(await fx.listKeys('volumes/doomed/')).toEqual([]);
});
