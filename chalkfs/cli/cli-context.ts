// What every chalkfs command shares: CHALKFS_HOME, the volume repository of the
// configured store, commands about one named volume, and printing (JSON, aligned tables).
import type { Command } from 'commander';
import { chalkfsHome } from '../util/paths.js';
import { validateVolumeName } from '../meta/volume-name.js';
import { VolumeRepository } from '../meta/volume-repository.js';
import { openStore, resolveStoreSettings } from '../store/store-config.js';

export const home = chalkfsHome();

export async function repository(options: { createBucket?: boolean } = {}): Promise<VolumeRepository> {
  return new VolumeRepository(await openStore(await resolveStoreSettings(), options));
}

/**
 * Gives `command` a `<name>` argument and runs `run` with the checked name and the
 * repository: a bad name is a usage error before the store is contacted.
 */
export function onVolume<O>(command: Command, run: (name: string, repo: VolumeRepository, opts: O) => Promise<void>): Command {
  return command.argument('<name>').action(async (name: string, opts: O) => run(validateVolumeName(name), await repository(), opts));
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

