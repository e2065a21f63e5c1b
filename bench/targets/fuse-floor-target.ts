/*
 * The FUSE floor: bench/fuse-floor/fuse_floor.c, a file system in memory in C that answers
 * every request at once and stores nothing. Its figures are what the kernel's FUSE protocol
 * alone costs on this machine, for a file system mounted as chalkfs's writer is (write-through,
 * 1 MiB requests), measured in the same run as chalkfs: the bound under every FUSE target.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../chalkfs/util/paths.js';
import { dropKernelCaches, runCommand, waitForMount } from '../system-commands.js';
import type { InstallTimes } from './bench-target.js';
import { FuseTarget } from './fuse-target.js';

const source = join(projectRoot, 'bench/fuse-floor/fuse_floor.c');

/** Compiles the floor into dir; its path, or why it cannot be built. */
export async function buildFuseFloor(dir: string): Promise<{ binary: string } | { unavailable: string }> {
  const binary = join(dir, 'fuse-floor');
  try {
    // libcurl and libcrypto for its store mode (store_uploads.h).
    const flags = (await runCommand('pkg-config', ['--cflags', '--libs', 'fuse3', 'libcurl', 'libcrypto'])).stdout.trim().split(/\s+/);
    await runCommand('cc', ['-O2', '-Wall', '-o', binary, source, ...flags, '-lpthread'], { timeoutMs: 60_000 });
    return { binary };
  } catch (err) {
    return { unavailable: `the FUSE floor did not build (cc, libfuse3-dev, libcurl4-openssl-dev, libssl-dev): ${(err as Error).message.split('\n')[0]}` };
  }
}

/**
 * Its data lives in the daemon's memory, so it is mounted once and stays mounted until
 * close: a cold reset drops the kernel's caches only (the daemon has none to drop), and
 * reads and writes go through the same read-write mount.
 */
export class FuseFloorTarget extends FuseTarget {
  readonly name = 'fuse-floor' as const;
  readonly setup: Record<string, string>;

  constructor(
    workDir: string,
    private readonly binary: string,
    libfuse: string,
  ) {
    super(workDir);
    this.setup = { source: 'bench/fuse-floor/fuse_floor.c', libfuse, options: 'default_permissions,allow_other, 1 MiB requests, no writeback cache, 60 s kernel caches' };
  }

  protected async mount(): Promise<void> {
    // It forks into the background once mounted.
    await runCommand(this.binary, [this.mountDir], { timeoutMs: 30_000 });
    await waitForMount(this.mountDir, 15_000, 'fuse-floor');
  }

  override async install(seedDbPath: string): Promise<InstallTimes> {
    const start = performance.now();
    await this.prepareWrites();
    const mounted = performance.now();
    await runCommand('cp', [seedDbPath, this.dbPath], { timeoutMs: 600_000 });
    return { mountMs: mounted - start, copyMs: performance.now() - mounted };
  }

  override async resetCold(): Promise<void> {
    await this.prepareWrites();
    await dropKernelCaches();
  }

  override async prepareWrites(): Promise<void> {
    if (this.mountedReadOnly === undefined) {
      await this.mount();
      this.mountedReadOnly = false;
    }
    mkdirSync(this.writeDir, { recursive: true });
  }
}
