// ONE FUSE mount per volume on this host however many users (containers, pods) use it,
// so that the kernel's POSIX locks (which SQLite relies on) coordinate all of them. The
// Docker volume plugin and the CSI node service both keep their mounts here: made with
// `chalkfs mount` for the first user, released with `chalkfs unmount` after the last,
// the users recorded in a MountRefs table on disk.
//
// Operations on one volume run one at a time (`locked`: two containers starting together
// must not both mount it); operations on different volumes run in parallel. `acquire`
// and `release` expect the caller to hold the volume's lock, so a caller can make more
// of one step (a bind mount after the shared mount) without another user in between.
import { mkdir, readFile, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../util/logger.js';
import { isDeadMountError, isMountPoint, readMountTable } from '../host/mount-table.js';
import { cacheDirArgs, type ChalkfsCli } from './chalkfs-cli.js';
import { MountRefs, type VolumeRefs } from './mount-refs.js';
import { KeyedLock } from './keyed-lock.js';

export interface SharedMountsOptions {
  /** Where the reference table and the boot id are kept. */
  stateDir: string;
  cli: ChalkfsCli;
  logger: Logger;
  /** Block cache for the mounts (default: the CLI's, under CHALKFS_HOME). */
  cacheDir?: string;
}

export type MountState = 'mounted' | 'dead' | 'absent';

export class SharedMounts {
  private readonly lock = new KeyedLock();

  private constructor(
    private readonly options: SharedMountsOptions,
    private readonly refs: MountRefs,
  ) {}

  /** Loads the reference table and repairs the mounts it lists (see recover()). */
  static async open(options: SharedMountsOptions): Promise<SharedMounts> {
    await mkdir(options.stateDir, { recursive: true });
    const mounts = new SharedMounts(options, await MountRefs.load(join(options.stateDir, 'refs.json')));
    await mounts.recover();
    return mounts;
  }

  get(volume: string): VolumeRefs | undefined {
    return this.refs.get(volume);
  }

  count(volume: string): number {
    return this.refs.count(volume);
  }

  /** Reference count per volume that has a mount on this host. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.refs.entries().map(([name, r]) => [name, r.ids.length]));
  }

  /**
   * Adds user `id` of the volume's mount at `mountpoint`, mounting it first (with the
   * `chalkfs mount` flags given) unless it is mounted already. Returns the user count.
   * Call inside locked(volume).
   */
  async acquire(volume: string, id: string, mountpoint: string, mountFlags: string[]): Promise<number> {
    if ((await mountState(mountpoint)) !== 'mounted') await this.mountNow(volume, mountpoint, mountFlags);
    const count = this.refs.add(volume, id, mountpoint, mountFlags);
    await this.refs.save();
    this.options.logger.info({ volume, id, users: count }, 'mount user added');
    return count;
  }

  /**
   * Drops user `id` (an unknown one is a no-op) and unmounts after the last user.
   * Returns the users left. Call inside locked(volume).
   */
  async release(volume: string, id: string): Promise<number> {
    if (!this.refs.get(volume)) return 0;
    const remaining = this.refs.remove(volume, id);
    await this.refs.save();
    this.options.logger.info({ volume, id, users: remaining }, 'mount user removed');
    if (remaining === 0) await this.unmountNow(volume);
    return remaining;
  }

  locked<T>(volume: string, fn: () => Promise<T>): Promise<T> {
    return this.lock.run(volume, fn);
  }

  /** Resolves once every operation started so far has finished. */
  idle(): Promise<void> {
    return this.lock.idle();
  }

  /**
   * After a restart: volumes still referenced keep (or get back) their mount; volumes
   * whose last user left while we were down are unmounted. After a reboot (another boot
   * id) every reference is stale: all containers and pods of that boot are gone.
   */
  private async recover(): Promise<void> {
    const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim();
    const bootPath = join(this.options.stateDir, 'boot-id');
    const lastBoot = await readFile(bootPath, 'utf8').catch(() => undefined);
    if (lastBoot !== undefined && lastBoot.trim() !== bootId) {
      for (const [name] of this.refs.entries()) this.refs.forget(name);
      this.options.logger.info('new boot: dropped mount references of the previous one');
    }
    await writeFile(bootPath, bootId);
    for (const [name, entry] of this.refs.entries()) {
      await this.locked(name, async () => {
        const state = await mountState(entry.mountpoint);
        if (entry.ids.length > 0 && state !== 'mounted') {
          this.options.logger.warn({ volume: name, state, users: entry.ids.length }, 'mount in use but not alive: mounting again');
          await this.mountNow(name, entry.mountpoint, entry.mountFlags ?? []).catch((err: unknown) =>
            this.options.logger.error({ volume: name, err }, 'could not mount again'),
          );
        } else if (entry.ids.length === 0) {
          await this.unmountNow(name).catch((err: unknown) => this.options.logger.error({ volume: name, err }, 'could not release'));
        } else {
          this.options.logger.info({ volume: name, users: entry.ids.length }, 'recovered mount');
        }
      });
    }
    await this.refs.save();
  }

  private async mountNow(name: string, dir: string, mountFlags: string[]): Promise<void> {
    if ((await mountState(dir)) === 'dead') {
      // A daemon that died leaves ENOTCONN behind; `chalkfs unmount` clears that.
      await this.options.cli.run(['unmount', dir]);
    }
    await mkdir(dir, { recursive: true });
    await this.options.cli.run(['mount', name, dir, ...mountFlags, ...cacheDirArgs(this.options.cacheDir)]);
    this.options.logger.info({ volume: name, mountpoint: dir, flags: mountFlags }, 'mounted');
  }

  /** Unmounts a volume nobody uses any more (flushing what is pending first). */
  private async unmountNow(name: string): Promise<void> {
    const dir = this.refs.get(name)?.mountpoint;
    if (dir !== undefined && (await mountState(dir)) !== 'absent') {
      try {
        await this.options.cli.run(['unmount', dir]);
      } catch (err) {
        if ((await mountState(dir)) !== 'absent') throw err;
      }
    }
    this.refs.forget(name);
    await this.refs.save();
    this.options.logger.info({ volume: name, mountpoint: dir }, 'unmounted');
  }
}

/**
 * Whether something is mounted at `dir`, and if so whether it answers (a dead FUSE daemon:
 * ENOTCONN or ECONNABORTED). Asked with statfs, which always reaches the daemon: a stat of
 * the mount's root is answered from the kernel's attribute cache for a while after the
 * daemon died, and a remount right after a kill -9 then took the dead mount for a live one.
 */
export async function mountState(dir: string): Promise<MountState> {
  if (!isMountPoint(dir, await readMountTable())) return 'absent';
  try {
    await statfs(dir);
    return 'mounted';
  } catch (err) {
    if (isDeadMountError(err)) return 'dead';
    throw err;
  }
}
