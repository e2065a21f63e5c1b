// Parsing of the mount command's interval options, with the ranges that keep a lease and
// its timers sane.
import { ChalkError } from '../util/chalk-error.js';
import { clockSkewMs } from '../lease/lease-rules.js';

/**
 * Ranges for the mount's intervals. A lease must outlive several renewals (every ttl/3)
 * and the clock-skew margin writes stop short of (lease-rules.ts): below 3 x clockSkewMs
 * every write would find the lease unsafe. Upper bounds keep timers sane (an hour, ten
 * minutes for the lease: a dead writer blocks others for that long).
 */
export const intervalRanges = {
  '--refresh-ms': { min: 10, max: 3_600_000 },
  '--idle-refresh-ms': { min: 10, max: 3_600_000 },
  '--commit-ms': { min: 1, max: 3_600_000 },
  '--lease-ttl-ms': { min: 3 * clockSkewMs, max: 600_000 },
  // Tests only (docs/FORMAT.md, "Presence"): an environment variable, not an option.
  CHALKFS_PRESENCE_INTERVAL_MS: { min: 100, max: 3_600_000 },
} as const;

export function parseInterval(text: string, option: keyof typeof intervalRanges): number {
  const { min, max } = intervalRanges[option];
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ChalkError('config', `invalid ${option} "${text}": expected a whole number of milliseconds from ${min} to ${max}`);
  }
  return n;
}
