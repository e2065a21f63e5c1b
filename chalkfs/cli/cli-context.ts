/**
 * What every chalkfs command shares: CHALKFS_HOME, the volume repository of the
 * configured store, and printing (JSON, aligned tables).
 */
import { chalkfsHome } from '../util/paths.js';
import { VolumeRepository } from '../meta/volume-repository.js';
import { openStore, resolveStoreSettings } from '../store/store-config.js';

export const home = chalkfsHome();

export async function repository(options: { createBucket?: boolean } = {}): Promise<VolumeRepository> {
  return new VolumeRepository(await openStore(await resolveStoreSettings(), options));
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

