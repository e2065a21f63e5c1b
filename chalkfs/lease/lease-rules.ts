/**
 * The single-writer lease's rules, as pure functions of the stored record and the
 * observer's clock. docs/CONSISTENCY.md states them; the lease loop in writer-lease.ts
 * only performs the store calls they decide.
 */
export interface LeaseHolder {
  host: string;
  pid: number;
  mountId: string;
}

export interface LeaseRecord {
  volume: string;
  holder: LeaseHolder;
  acquiredAt: number;
  renewedAt: number;
  /** Holder's clock, ms since epoch. Hosts are assumed to agree within `clockSkewMs`. */
  expiresAt: number;
  ttlMs: number;
}

export type AcquireDecision =
  | { action: 'create' }
  | { action: 'take-over'; reason: 'expired' | 'holder-process-gone' | 'same-mount' }
  | { action: 'refuse'; holder: LeaseHolder; since: number; expiresAt: number };

export const clockSkewMs = 1_000;

export function decideAcquire(
  current: LeaseRecord | undefined,
  me: LeaseHolder,
  nowMs: number,
  isLocalProcessAlive: (pid: number) => boolean,
): AcquireDecision {
  if (!current) return { action: 'create' };
  if (current.holder.mountId === me.mountId) return { action: 'take-over', reason: 'same-mount' };
  if (nowMs > current.expiresAt + clockSkewMs) return { action: 'take-over', reason: 'expired' };
  // A holder on this very host whose process is gone (kill -9) needs no TTL wait.
  if (current.holder.host === me.host && !isLocalProcessAlive(current.holder.pid)) return { action: 'take-over', reason: 'holder-process-gone' };
  return { action: 'refuse', holder: current.holder, since: current.acquiredAt, expiresAt: current.expiresAt };
}

/** The holder stops writing this long before its lease expires, so a taker never overlaps it. */
export function safeUntil(record: LeaseRecord): number {
  return record.expiresAt - clockSkewMs;
}

export function renewed(record: LeaseRecord, nowMs: number): LeaseRecord {
  return { ...record, renewedAt: nowMs, expiresAt: nowMs + record.ttlMs };
}

export function fresh(volume: string, holder: LeaseHolder, nowMs: number, ttlMs: number): LeaseRecord {
  return { volume, holder, acquiredAt: nowMs, renewedAt: nowMs, expiresAt: nowMs + ttlMs, ttlMs };
}
