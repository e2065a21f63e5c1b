// What the Docker volume plugin does, without the HTTP: create and remove volumes, and
// keep ONE FUSE mount per volume on this host however many containers use it
// (cli-driver/shared-mounts.ts), reference-counted by Docker's mount request IDs and
// released after the last Unmount. Docker's names are mapped onto chalkfs names
// (docker-volume-names.ts); the `-o` options of each volume (driver-options.ts) are
// kept in the state dir, since Docker sends them to Create only.
//
// dockerd asks Get before it sends Create, and sends Create (with the options) only
// when Get finds nothing. So Get answers only for volumes this host's Docker has
// created or mounted (those with an options record): for a volume that exists in the
// store but is new to this host, Docker then sends Create, and `docker volume create -o
// read-only=true NAME` on a reader host reaches the plugin.
import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChalkError } from '../util/chalk-error.js';
import type { Logger } from '../util/logger.js';
import { volumeRmArgs, type ChalkfsCli } from '../cli-driver/chalkfs-cli.js';
import { SharedMounts } from '../cli-driver/shared-mounts.js';
import { chalkfsNameOf, dockerNameOf } from './docker-volume-names.js';
import { createFlags, mountArgs, mountsReadOnly, parseDriverOptions, type DriverOptions } from './driver-options.js';

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
  /** RFC 3339; dockerd shows it in `docker volume inspect`. */
  CreatedAt?: string;
  Status?: Record<string, unknown>;
}

type RawOptions = Record<string, string>;

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
    /** The `-o` options each volume was created with, by chalkfs name. */
    private readonly volumeOptions: Map<string, RawOptions>,
  ) {}

  /** Loads the reference table and the volumes' options, and repairs the mounts listed. */
  static async open(options: VolumeDriverOptions): Promise<VolumeDriver> {
    await mkdir(join(options.stateDir, 'mounts'), { recursive: true });
    const optionsDir = join(options.stateDir, 'options');
    await mkdir(optionsDir, { recursive: true });
    const volumeOptions = new Map<string, RawOptions>();
    for (const file of await readdir(optionsDir)) {
      if (!file.endsWith('.json')) continue;
      const path = join(optionsDir, file);
      try {
        volumeOptions.set(file.slice(0, -'.json'.length), JSON.parse(await readFile(path, 'utf8')) as RawOptions);
      } catch (err) {
        throw new ChalkError('corrupt', `volume options file ${path} is not valid JSON; fix or remove it`, { cause: err });
      }
    }
    const mounts = await SharedMounts.open({ stateDir: options.stateDir, cli: options.cli, logger: options.logger, cacheDir: options.cacheDir });
    const driver = new VolumeDriver(options, mounts, volumeOptions);
    // Mounts made before options were recorded (an older plugin): Docker knows those volumes.
    for (const key of Object.keys(mounts.counts())) {
      const name = key.split('@')[0]!;
      if (!volumeOptions.has(name)) await driver.saveOptions(name, {});
    }
    return driver;
  }

  mountpointOf(dockerName: string): string {
    return join(this.options.stateDir, 'mounts', chalkfsNameOf(dockerName));
  }

  /** Reference count per volume (chalkfs name, @VERSION when pinned) that has a mount on this host. */
  activeMounts(): Record<string, number> {
    return this.mounts.counts();
  }

  async create(dockerName: string, opts: RawOptions | null | undefined): Promise<void> {
    const name = chalkfsNameOf(dockerName);
    const parsed = parseDriverOptions(opts);
    const given = Object.keys(opts ?? {}).length > 0;
    await this.mounts.locked(name, async () => {
      const users = this.mounts.count(this.mountKey(name));
      if (given && users > 0 && JSON.stringify(opts) !== JSON.stringify(this.volumeOptions.get(name) ?? {})) {
        throw new ChalkError('config', `volume ${dockerName} is mounted for ${users} container(s) on this host with other options; stop them first`);
      }
      // The volume may exist in the store already (made on another host): that is fine.
      if (parsed.version !== undefined) await this.checkVersion(dockerName, name, parsed.version);
      else if (!(await this.exists(name))) await this.createVolume(name, createFlags(parsed));
      // Docker's implicit Create (`docker run -v NAME:...`) has no options: keep the ones given before.
      if (given || !this.volumeOptions.has(name)) await this.saveOptions(name, opts ?? {});
    });
  }

  async remove(dockerName: string): Promise<void> {
    const name = chalkfsNameOf(dockerName);
    await this.mounts.locked(name, async () => {
      const users = this.mounts.count(this.mountKey(name));
      if (users > 0) throw new ChalkError('config', `volume ${dockerName} is mounted for ${users} container(s) on this host`);
      await this.options.cli.run(volumeRmArgs(name, this.options.cacheDir));
      await rmdir(this.mountpointOf(dockerName)).catch(() => undefined);
      await this.saveOptions(name, undefined);
      this.options.logger.info({ volume: name }, 'removed volume');
    });
  }

  async mount(dockerName: string, id: string): Promise<string> {
    const name = chalkfsNameOf(dockerName);
    return this.mounts.locked(name, async () => {
      const dir = this.mountpointOf(dockerName);
      const options = this.optionsOf(name);
      const { ref, flags } = mountArgs(name, options);
      try {
        await this.mounts.acquire(ref, id, dir, flags);
      } catch (err) {
        throw await this.explainMountFailure(dockerName, name, options, err);
      }
      // Docker knows the volume (it mounts it), though it may never have sent Create here.
      if (!this.volumeOptions.has(name)) await this.saveOptions(name, {});
      return dir;
    });
  }

  async unmount(dockerName: string, id: string): Promise<void> {
    const name = chalkfsNameOf(dockerName);
    await this.mounts.locked(name, () => this.mounts.release(this.mountKey(name), id));
  }

  /** The mount point while the volume is mounted on this host, else ''. */
  path(dockerName: string): string {
    return this.mounts.count(this.mountKey(chalkfsNameOf(dockerName))) > 0 ? this.mountpointOf(dockerName) : '';
  }

  async get(dockerName: string): Promise<DockerVolume> {
    const name = chalkfsNameOf(dockerName);
    if (!this.volumeOptions.has(name)) {
      throw new ChalkError('not-found', `volume ${dockerName} is not known to Docker on this host (docker volume create -d chalkfs ${dockerName} adds it)`);
    }
    const info = await this.options.cli.json<VolumeSummaryJson>(['volume', 'info', name]);
    const status: Record<string, unknown> = {};
    for (const key of ['sizeBytes', 'files', 'directories', 'versions', 'latestSeq', 'blockSizeBytes', 'createdAt'] as const) {
      if (info[key] !== undefined) status[key] = info[key];
    }
    status.writer = info.writer ? `${info.writer.host ?? '?'} pid ${info.writer.pid ?? '?'}` : 'none';
    status.containersOnThisHost = this.mounts.count(this.mountKey(name));
    if (name !== dockerName) status.chalkfsVolume = name;
    const opts = this.volumeOptions.get(name);
    if (opts) status.options = opts;
    return { Name: dockerName, Mountpoint: this.path(dockerName), CreatedAt: info.createdAt, Status: status };
  }

  /** The volumes of the store that have a Docker name (all but chalkfs names no encoding gives). */
  async list(): Promise<DockerVolume[]> {
    const volumes = await this.options.cli.json<VolumeSummaryJson[]>(['volume', 'ls']);
    const out: DockerVolume[] = [];
    for (const v of volumes) {
      const dockerName = dockerNameOf(v.name);
      if (dockerName !== undefined) out.push({ Name: dockerName, Mountpoint: this.path(dockerName) });
    }
    return out;
  }

  /** Resolves once every operation started so far has finished. */
  idle(): Promise<void> {
    return this.mounts.idle();
  }

  private optionsOf(name: string): DriverOptions {
    return parseDriverOptions(this.volumeOptions.get(name));
  }

  /** The shared mount's key: the `chalkfs mount` reference (NAME, or NAME@VERSION when pinned). */
  private mountKey(name: string): string {
    return mountArgs(name, this.optionsOf(name)).ref;
  }

  private async saveOptions(name: string, opts: RawOptions | undefined): Promise<void> {
    const path = join(this.options.stateDir, 'options', `${name}.json`);
    if (opts === undefined) {
      this.volumeOptions.delete(name);
      await rm(path, { force: true });
      return;
    }
    await writeFile(`${path}.tmp`, JSON.stringify(opts));
    await rename(`${path}.tmp`, path);
    this.volumeOptions.set(name, opts);
  }

  private async createVolume(name: string, flags: string[]): Promise<void> {
    try {
      await this.options.cli.run(['volume', 'create', name, ...flags]);
    } catch (err) {
      // Another host may have created it in the meantime.
      if (await this.exists(name)) return;
      throw err;
    }
    this.options.logger.info({ volume: name }, 'created volume');
  }

  /** version=N pins an existing volume's version: both must exist. */
  private async checkVersion(dockerName: string, name: string, version: number): Promise<void> {
    if (!(await this.exists(name))) throw new ChalkError('config', `volume ${dockerName} does not exist: version=${version} pins a version of an existing volume`);
    const versions = await this.options.cli.json<Array<{ seq: number }>>(['volume', 'versions', name]);
    if (!versions.some((v) => v.seq === version)) {
      throw new ChalkError('config', `volume ${dockerName} has no version ${version} (kept: ${versions.map((v) => v.seq).join(', ')})`);
    }
  }

  /**
   * A read-write mount that failed while another mount holds the writer lease gets an
   * error that says so, and how to get a read-only mount instead: Docker shows this
   * message as the container's error.
   */
  private async explainMountFailure(dockerName: string, name: string, options: DriverOptions, err: unknown): Promise<unknown> {
    if (mountsReadOnly(options) || options.writer === 'fallback') return err;
    const writer = await this.options.cli
      .json<VolumeSummaryJson>(['volume', 'info', name])
      .then((info) => info.writer)
      .catch(() => null);
    if (!writer) return err;
    return new ChalkError(
      'lease-held',
      `volume ${dockerName} is mounted read-write by host ${writer.host ?? '?'} pid ${writer.pid ?? '?'} (one writer per volume); ` +
        'to read it here, create the volume on this host with -o read-only=true before its first use, or with -o writer=fallback ' +
        '(read-only while another host writes); ":ro" in -v does not do it: Docker does not pass it to volume plugins',
      { cause: err },
    );
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
