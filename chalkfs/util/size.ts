// Byte sizes as people write them ("256KiB", "2GiB") and back.
import { ChalkError } from './chalk-error.js';

const units: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** Parses "256KiB", "2GiB", "1.5GB", "4096" into bytes. */
export function parseSize(text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = match ? units[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new ChalkError('config', `invalid ${what} "${text}": use a number with an optional unit such as 256KiB, 64MiB or 2GiB`);
  const bytes = Math.round(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new ChalkError('config', `invalid ${what} "${text}": too large`);
  return bytes;
}

export function formatSize(bytes: number): string {
  const steps = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < steps.length - 1) {
    value /= 1024;
    i++;
  }
  return `${i === 0 ? value : value.toFixed(value >= 10 ? 0 : 1)}${steps[i]}`;
}
