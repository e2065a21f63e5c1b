// What the Docker volume plugin does, without the HTTP: create and remove volumes, and
// keep ONE FUSE mount per volume on this host however many containers use it, so that
// the kernel's POSIX locks (which SQLite relies on) coordinate all of them. Mounts are
// reference-counted by Docker's mount request IDs and released after the last Unmount.
//
// Operations on one volume run one at a time (two containers starting together must not
// both mount it); operations on different volumes run in parallel.
import { mkdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChalkError } from '../util/chalk-error.js';
import type { Logger } from '../util/logger.js';
import type { ChalkfsCli } from './chalkfs-cli.js';
import { MountRefs } from './mount-refs.js';
import { isMountPoint, readMountTable } from '../host/mount-table.js';

export interface VolumeDriverOptions {
  stateDir: string;
  cli: ChalkfsCli;
  logger: Logger;
  /** Block cache for the mounts (default: the CLI's, under CHALKFS_HOME). */
  cacheDir?: string;
}

export interface DockerVolume {
  Name: string;
  Mountpoint?: string;
  Status?: Record<string, unknown>;
}

/** Options `docker volume create -o KEY=VALUE` accepts, and the CLI flag each becomes. */
const CREATE_OPTIONS: Record<string, string> = { 'block-size': '--block-size' };

type MountState = 'mounted' | 'dead' | 'absent';

interface VolumeSummaryJson {
  name: string;
  sizeBytes?: number;
  files?: number;
  directories?: number;
  versions?: number;
  latestSeq?: number;
  blockSizeBytes?: number;
  createdAt?: string;
  writer?: { host?: string; pid?: number } | null;
}

export class VolumeDriver {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    private readonly options: VolumeDriverOptions,
    private readonly refs: MountRefs,
  ) {}

  /** Loads the reference table and repairs the mounts it lists (see recover()). */
  static async open(options: VolumeDriverOptions): Promise<VolumeDriver> {
    await mkdir(join(options.stateDir, 'mounts'), { recursive: true });
    const refs = await MountRefs.load(join(options.stateDir, 'refs.json'));
    const driver = new VolumeDriver(options, refs);
    await driver.recover();
    return driver;
  }

  mountpointOf(name: string): string {
    return join(this.options.stateDir, 'mounts', name);
  }

  /** Reference count per volume that has a mount on this host. */
  activeMounts(): Record<string, number> {
    return Object.fromEntries(this.refs.entries().map(([name, r]) => [name, r.ids.length]));
  }

  async create(name: string, opts: Record<string, string> | null | undefined): Promise<void> {
    const flags: string[] = [];
    for (const [key, value] of Object.entries(opts ?? {})) {
      const flag = CREATE_OPTIONS[key];
      if (!flag) throw new ChalkError('config', `unknown volume option "${key}" (known: ${Object.keys(CREATE_OPTIONS).join(', ')})`);
      flags.push(flag, value);
    }
    await this.locked(name, async () => {
      // Docker calls Create for every container that names the volume: existing is fine.
      if (await this.exists(name)) return;
      try {
        await this.options.cli.run(['volume', 'create', name, ...flags]);
      } catch (err) {
        // Another host may have created it in the meantime.
        if (await this.exists(name)) return;
        throw err;
      }
      this.options.logger.info({ volume: name }, 'created volume');
    });
  }

  async remove(name: string): Promise<void> {
    await this.locked(name, async () => {
      const users = this.refs.count(name);
      if (users > 0) throw new ChalkError('config', `volume ${name} is mounted for ${users} container(s) on this host`);
      await this.options.cli.run(['volume', 'rm', name]);
      await rmdir(this.mountpointOf(name)).catch(() => undefined);
      this.options.logger.info({ volume: name }, 'removed volume');
    });
  }

  async mount(name: string, id: string): Promise<string> {
    return this.locked(name, async () => {
      const dir = this.mountpointOf(name);
      if ((await mountState(dir)) !== 'mounted') await this.mountNow(name, dir);
      const count = this.refs.add(name, id, dir);
      await this.refs.save();
      this.options.logger.info({ volume: name, id, users: count }, 'mount');
      return dir;
    });
  }

  async unmount(name: string, id: string): Promise<void> {
    await this.locked(name, async () => {
      if (!this.refs.get(name)) return; // nothing of ours: an Unmount Docker repeats
      const remaining = this.refs.remove(name, id);
      await this.refs.save();
      this.options.logger.info({ volume: name, id, users: remaining }, 'unmount');
      if (remaining === 0) await this.release(name);
    });
  }

  /** The mount point while the volume is mounted on this host, else ''. */
  path(name: string): string {
    return this.refs.count(name) > 0 ? this.mountpointOf(name) : '';
  }

  async get(name: string): Promise<DockerVolume> {
    const info = await this.options.cli.json<VolumeSummaryJson>(['volume', 'info', name]);
    const status: Record<string, unknown> = {};
    for (const key of ['sizeBytes', 'files', 'directories', 'versions', 'latestSeq', 'blockSizeBytes', 'createdAt'] as const) {
      if (info[key] !== undefined) status[key] = info[key];
    }
    status.writer = info.writer ? `${info.writer.host ?? '?'} pid ${info.writer.pid ?? '?'}` : 'none';
    status.containersOnThisHost = this.refs.count(name);
    return { Name: name, Mountpoint: this.path(name), Status: status };
  }

  async list(): Promise<DockerVolume[]> {
    const volumes = await this.options.cli.json<VolumeSummaryJson[]>(['volume', 'ls']);
    return volumes.map((v) => ({ Name: v.name, Mountpoint: this.path(v.name) }));
  }

  /** Resolves once every operation started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * After a plugin restart: volumes still referenced keep (or get back) their mount;
   * volumes whose last user left while the plugin was down are unmounted. After a reboot
   * (another boot id) every reference is stale: all containers of that boot are gone.
   */
  private async recover(): Promise<void> {
    const bootId = await currentBootId();
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
          await this.mountNow(name, entry.mountpoint).catch((err: unknown) =>
            this.options.logger.error({ volume: name, err }, 'could not mount again'),
          );
        } else if (entry.ids.length === 0) {
          await this.release(name).catch((err: unknown) => this.options.logger.error({ volume: name, err }, 'could not release'));
        } else {
          this.options.logger.info({ volume: name, users: entry.ids.length }, 'recovered mount');
        }
      });
    }
    await this.refs.save();
  }

  private async mountNow(name: string, dir: string): Promise<void> {
    if ((await mountState(dir)) === 'dead') {
      // A daemon that died leaves ENOTCONN behind; `chalkfs unmount` clears that.
      await this.options.cli.run(['unmount', dir]);
    }
    await mkdir(dir, { recursive: true });
    // --fallback-read-only: one writer mount per volume across hosts; while another
    // host holds the writer lease, containers here still get a (read-only) view.
    const args = ['mount', name, dir, '--fallback-read-only'];
    if (this.options.cacheDir) args.push('--cache-dir', this.options.cacheDir);
    await this.options.cli.run(args);
    this.options.logger.info({ volume: name, mountpoint: dir }, 'mounted');
  }

  /** Unmounts a volume nobody uses any more (flushing what is pending first). */
  private async release(name: string): Promise<void> {
    const dir = this.refs.get(name)?.mountpoint ?? this.mountpointOf(name);
    if ((await mountState(dir)) !== 'absent') {
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

  private async exists(name: string): Promise<boolean> {
    try {
      await this.options.cli.json(['volume', 'info', name]);
      return true;
    } catch {
      return false;
    }
  }

  private locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(name) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(name, settled);
    this.inFlight.add(settled);
    void settled.then(() => {
      this.inFlight.delete(settled);
      if (this.locks.get(name) === settled) this.locks.delete(name);
    });
    return run;
  }
}

async function currentBootId(): Promise<string> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim();
}

async function mountState(dir: string): Promise<MountState> {
  if (!isMountPoint(dir, await readMountTable())) return 'absent';
  try {
    await stat(dir);
    return 'mounted';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTCONN') return 'dead';
    throw err;
  }
}
