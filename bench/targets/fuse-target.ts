/*
 * The lifecycle the FUSE targets (chalkfs, s3fs, rclone) share: mount, install the seeded
 * database, cold resets, remount for writes, unmount. Each target only says how it mounts.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mountDaemonPids } from '../process-cpu.js';
import { dropKernelCaches, forceUnmount, isMounted, runCommand, sleep } from '../system-commands.js';
import type { BenchTarget, InstallTimes, TargetName } from './bench-target.js';

/**
 * What every FUSE target shares: a mount point, a cache directory that a cold reset
 * empties, and an unmount that always happens (lazy, forced) in close().
 */
export abstract class FuseTarget implements BenchTarget {
  abstract readonly name: TargetName;
  abstract readonly setup: Record<string, string>;
  readonly mountDir: string;
  readonly cacheDir: string;
  readonly dbPath: string;
  readonly writeDir: string;
  protected mountedReadOnly: boolean | undefined;

  constructor(protected readonly workDir: string) {
    this.mountDir = join(workDir, 'mnt');
    this.cacheDir = join(workDir, 'cache');
    mkdirSync(this.mountDir, { recursive: true });
    mkdirSync(this.cacheDir, { recursive: true });
    this.dbPath = join(this.mountDir, 'app.db');
    this.writeDir = join(this.mountDir, 'writes');
  }

  /** Mounts at mountDir and resolves once the mount answers. */
  protected abstract mount(readOnly: boolean): Promise<void>;

  /** Unmounts after writing back whatever the daemon holds. */
  protected async unmount(): Promise<void> {
    await runCommand('fusermount3', ['-u', this.mountDir], { timeoutMs: 60_000 });
    const deadline = Date.now() + 10_000;
    while (isMounted(this.mountDir) && Date.now() < deadline) await sleep(50);
    // Give the daemon a moment to exit after the kernel let go of the mount.
    await sleep(200);
  }

  /** Waits until the copied file `name` is durable in the store (peers upload asynchronously). */
  protected async awaitDurable(_name: string, _sizeBytes: number): Promise<void> {}

  async install(seedDbPath: string): Promise<InstallTimes> {
    const { size } = statSync(seedDbPath);
    const start = performance.now();
    await this.mount(false);
    const mounted = performance.now();
    await runCommand('cp', [seedDbPath, this.dbPath], { timeoutMs: 600_000 });
    await this.awaitDurable('app.db', size);
    const copied = performance.now();
    await this.unmount();
    this.mountedReadOnly = undefined;
    return { mountMs: mounted - start, copyMs: copied - mounted, unmountMs: performance.now() - copied };
  }

  async copyIn(srcPath: string, name: string): Promise<void> {
    await this.prepareWrites();
    await runCommand('cp', [srcPath, join(this.mountDir, name)], { timeoutMs: 600_000 });
    await this.awaitDurable(name, statSync(srcPath).size);
  }

  daemonPids(): number[] {
    return isMounted(this.mountDir) ? mountDaemonPids(this.mountDir) : [];
  }

  async resetCold(): Promise<void> {
    if (this.mountedReadOnly !== undefined) await this.unmount();
    this.mountedReadOnly = undefined;
    rmSync(this.cacheDir, { recursive: true, force: true });
    mkdirSync(this.cacheDir, { recursive: true });
    await dropKernelCaches();
    await this.mount(true);
    this.mountedReadOnly = true;
  }

  async prepareWrites(): Promise<void> {
    if (this.mountedReadOnly === false) return;
    if (this.mountedReadOnly !== undefined) await this.unmount();
    this.mountedReadOnly = undefined;
    await this.mount(false);
    this.mountedReadOnly = false;
    mkdirSync(this.writeDir, { recursive: true });
  }

  async close(): Promise<void> {
    if (isMounted(this.mountDir)) {
      await this.unmount().catch(() => undefined);
      await forceUnmount(this.mountDir);
    }
    this.mountedReadOnly = undefined;
  }
}
