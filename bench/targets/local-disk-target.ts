/*
 * The local-disk bench target: the baseline every other target's figures are a ratio of.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { dropKernelCaches, runCommand } from '../system-commands.js';
import type { BenchTarget, InstallTimes } from './bench-target.js';

/** The baseline: the same file on the machine's own ext4 disk. */
export class LocalDiskTarget implements BenchTarget {
  readonly name = 'local' as const;
  readonly setup: Record<string, string>;
  readonly dbPath: string;
  readonly writeDir: string;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.dbPath = join(dir, 'app.db');
    this.writeDir = join(dir, 'writes');
    mkdirSync(this.writeDir, { recursive: true });
    this.setup = { dir };
  }

  async install(seedDbPath: string): Promise<InstallTimes> {
    const start = performance.now();
    await runCommand('cp', [seedDbPath, this.dbPath]);
    await runCommand('sync', [this.dbPath]);
    return { copyMs: performance.now() - start };
  }

  async copyIn(srcPath: string, name: string): Promise<void> {
    const path = join(this.dir, name);
    await runCommand('cp', [srcPath, path], { timeoutMs: 600_000 });
    await runCommand('sync', [path]);
  }

  async resetCold(): Promise<void> {
    await dropKernelCaches();
  }

  async prepareWrites(): Promise<void> {}

  async close(): Promise<void> {}
}
