// What the Docker volume plugin does, without the HTTP: create and remove volumes, and
// keep ONE FUSE mount per volume on this host however many containers use it
// (cli-driver/shared-mounts.ts), reference-counted by Docker's mount request IDs and
// released after the last Unmount.
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ChalkError } from '../util/chalk-error.js';
import type { Logger } from '../util/logger.js';
import type { ChalkfsCli } from '../cli-driver/chalkfs-cli.js';
import { SharedMounts } from '../cli-driver/shared-mounts.js';

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
  private constructor(
    private readonly options: VolumeDriverOptions,
    private readonly mounts: SharedMounts,
  ) {}

  /** Loads the reference table and repairs the mounts it lists. */
  static async open(options: VolumeDriverOptions): Promise<VolumeDriver> {
    await mkdir(join(options.stateDir, 'mounts'), { recursive: true });
    const mounts = await SharedMounts.open({ stateDir: options.stateDir, cli: options.cli, logger: options.logger, cacheDir: options.cacheDir });
    return new VolumeDriver(options, mounts);
  }

  mountpointOf(name: string): string {
    return join(this.options.stateDir, 'mounts', name);
  }

  /** Reference count per volume that has a mount on this host. */
  activeMounts(): Record<string, number> {
    return this.mounts.counts();
  }

  async create(name: string, opts: Record<string, string> | null | undefined): Promise<void> {
    const flags: string[] = [];
    for (const [key, value] of Object.entries(opts ?? {})) {
      const flag = CREATE_OPTIONS[key];
      if (!flag) throw new ChalkError('config', `unknown volume option "${key}" (known: ${Object.keys(CREATE_OPTIONS).join(', ')})`);
      flags.push(flag, value);
    }
    await this.mounts.locked(name, async () => {
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
    await this.mounts.locked(name, async () => {
      const users = this.mounts.count(name);
      if (users > 0) throw new ChalkError('config', `volume ${name} is mounted for ${users} container(s) on this host`);
      await this.options.cli.run(['volume', 'rm', name]);
      await rmdir(this.mountpointOf(name)).catch(() => undefined);
      this.options.logger.info({ volume: name }, 'removed volume');
    });
  }

  async mount(name: string, id: string): Promise<string> {
    return this.mounts.locked(name, async () => {
      const dir = this.mountpointOf(name);
      // --fallback-read-only: one writer mount per volume across hosts; while another
      // host holds the writer lease, containers here still get a (read-only) view.
      await this.mounts.acquire(name, id, dir, ['--fallback-read-only']);
      return dir;
    });
  }

  async unmount(name: string, id: string): Promise<void> {
    await this.mounts.locked(name, () => this.mounts.release(name, id));
  }

  /** The mount point while the volume is mounted on this host, else ''. */
  path(name: string): string {
    return this.mounts.count(name) > 0 ? this.mountpointOf(name) : '';
  }

  async get(name: string): Promise<DockerVolume> {
    const info = await this.options.cli.json<VolumeSummaryJson>(['volume', 'info', name]);
    const status: Record<string, unknown> = {};
    for (const key of ['sizeBytes', 'files', 'directories', 'versions', 'latestSeq', 'blockSizeBytes', 'createdAt'] as const) {
      if (info[key] !== undefined) status[key] = info[key];
    }
    status.writer = info.writer ? `${info.writer.host ?? '?'} pid ${info.writer.pid ?? '?'}` : 'none';
    status.containersOnThisHost = this.mounts.count(name);
    return { Name: name, Mountpoint: this.path(name), Status: status };
  }

  async list(): Promise<DockerVolume[]> {
    const volumes = await this.options.cli.json<VolumeSummaryJson[]>(['volume', 'ls']);
    return volumes.map((v) => ({ Name: v.name, Mountpoint: this.path(v.name) }));
  }

  /** Resolves once every operation started so far has finished. */
  idle(): Promise<void> {
    return this.mounts.idle();
  }

  private async exists(name: string): Promise<boolean> {
    try {
      await this.options.cli.json(['volume', 'info', name]);
      return true;
    } catch {
      return false;
    }
  }
}
