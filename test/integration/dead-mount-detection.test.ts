/*
 * A mount whose daemon was killed is seen as dead at once, also while the kernel still
 * answers a stat of its root from the attribute cache: the volume plugin's shared mounts
 * (mountState) and a new daemon's mount point check ask with statfs, which always reaches
 * the daemon. Before, a remount right after a kill -9 took the dead mount for a live one
 * and handed it out. libfuse's auto_unmount helper (fusermount3) would detach the dead
 * mount within milliseconds; it is held stopped here so the dead mount stays to be seen.
 */
import { expect, test } from 'vitest';
import { statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { processAlive, waitFor } from '../support/multihost-children.js';
import { pidsWithArgv } from '../support/process-scan.js';
import { mountState } from '../../chalkfs/cli-driver/shared-mounts.js';
import { isMountPoint } from '../../chalkfs/host/mount-table.js';

/** The fusermount3 auto_unmount helper of the mount at `dir`. */
function autoUnmountHelper(dir: string): number | undefined {
  return pidsWithArgv((argv) => argv[0]?.endsWith('fusermount3') === true && argv.at(-1) === dir && argv.some((a) => a.split(',').includes('auto_unmount')))[0];
}

test('a killed daemon\'s mount is dead to mountState and to the next mount, even while a stat of its root still succeeds', { timeout: 120_000 }, async () => {
  await using fx = await ChalkfsFixture.create();
  await fx.createVolume('vol');
  const first = await fx.mount('vol');
  await writeFile(join(first.dir, 'kept.txt'), 'kept\n');
  expect(await mountState(first.dir)).toBe('mounted');

  const helper = autoUnmountHelper(first.dir);
  expect(helper).toBeDefined();
  process.kill(helper!, 'SIGSTOP');
  try {
    statSync(first.dir); // the root's attributes are in the kernel's cache
    process.kill(first.pid, 'SIGKILL');
    await waitFor(`daemon ${first.pid} to die`, 10_000, () => !processAlive(first.pid));
    first.unmount = async () => undefined;
    expect(isMountPoint(first.dir)).toBe(true);
    expect(() => statSync(first.dir)).not.toThrow();
    expect(await mountState(first.dir)).toBe('dead');

    const second = await fx.mount('vol', { dir: first.dir, cacheDir: first.cacheDir });
    expect(await mountState(second.dir)).toBe('mounted');
    expect(await readFile(join(second.dir, 'kept.txt'), 'utf8')).toBe('kept\n');
    process.kill(helper!, 'SIGCONT');
    await waitFor(`helper ${helper} to exit`, 10_000, () => !processAlive(helper!));
    expect(await mountState(second.dir)).toBe('mounted');
    await second.unmount();
  } finally {
    if (processAlive(helper!)) process.kill(helper!, 'SIGCONT');
  }
});
