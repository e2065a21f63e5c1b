// A chalkfs mount and a directory on the local disk (ext4 under the temporary directory)
// prepared alike, so a test runs one sequence of POSIX calls on both and expects the
// mount to answer as the local disk does. Both are reachable by every uid of the host.
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ChalkfsFixture, type Mount } from './chalkfs-fixture.js';
import { posixCalls, type PosixOp, type PosixResult } from './posix-child.js';

export interface Twins {
  fx: ChalkfsFixture;
  mount: Mount;
  /** The local directory. */
  local: string;
  /** Runs `ops` on the mount, then the same on the local directory. */
  both(ops: PosixOp[], uid?: number): Promise<{ mount: PosixResult[]; local: PosixResult[] }>;
  /** As both, and the mount's answers must be the local disk's: returns them. */
  alike(ops: PosixOp[], uid?: number): Promise<PosixResult[]>;
  /** Unmounts (everything is committed) and mounts the volume again with an empty cache. */
  remount(): Promise<void>;
  close(): Promise<void>;
}

export async function mountWithLocalTwin(volume: string): Promise<Twins> {
  const fx = await ChalkfsFixture.create();
  try {
    await fx.createVolume(volume);
    const dir = await fx.tempDir('mnt');
    const local = await fx.tempDir('local');
    // mkdtemp made the fixture's root 0700: every uid must reach the mount and the twin.
    for (const path of [fx.root, fx.host.root, dir, local]) await chmod(path, 0o755);
    const twins: Twins = {
      fx,
      mount: await fx.mount(volume, { dir }),
      local,
      both: async (ops, uid) => ({ mount: await posixCalls(twins.mount.dir, ops, uid), local: await posixCalls(local, ops, uid) }),
      alike: async (ops, uid) => {
        const { mount, local: onLocal } = await twins.both(ops, uid);
        expect(mount).toEqual(onLocal);
        return mount;
      },
      remount: async () => {
        await twins.mount.unmount();
        const cacheDir = join(fx.host.root, `cache-remount-${Date.now()}`);
        await mkdir(cacheDir);
        twins.mount = await fx.mount(volume, { dir, cacheDir });
      },
      close: () => fx[Symbol.asyncDispose](),
    };
    return twins;
  } catch (err) {
    await fx[Symbol.asyncDispose]();
    throw err;
  }
}
