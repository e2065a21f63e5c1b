// The single-writer lease's rules, as pure functions of the stored record and the
// observer's clock. docs/CONSISTENCY.md states them; the lease loop in writer-lease.ts
// only performs the store calls they decide.
export interface LeaseHolder {
  /** For people: the holder's hostname. Two hosts may share one (cloned VMs, containers). */
  host: string;
  /**
   * Which process-id space `pid` belongs to (host/host-identity.ts). Absent in leases
   * written before it existed, and where it cannot be read: then `pid` is never checked.
   */
  hostId?: string;
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
  /** Set when the holder gave the lease up (unmount, fenced): anyone may take it at once. */
  releasedAt?: number;
}

export type AcquireDecision =
  | { action: 'create' }
  | { action: 'take-over'; reason: 'expired' | 'holder-process-gone' | 'same-mount' | 'released' }
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
  if (current.releasedAt !== undefined) return { action: 'take-over', reason: 'released' };
  if (nowMs > current.expiresAt + clockSkewMs) return { action: 'take-over', reason: 'expired' };
  // A holder in this very pid space whose process is gone (kill -9) needs no TTL wait.
  // A hostname alone does not say that: hosts sharing one see each other's pids as dead.
  if (sharesPidSpace(current.holder, me) && !isLocalProcessAlive(current.holder.pid)) return { action: 'take-over', reason: 'holder-process-gone' };
  return { action: 'refuse', holder: current.holder, since: current.acquiredAt, expiresAt: current.expiresAt };
}

/** Whether `holder.pid` means the same process to `me`: both identities known and equal. */
export function sharesPidSpace(holder: LeaseHolder, me: LeaseHolder): boolean {
  return holder.hostId !== undefined && me.hostId !== undefined && holder.hostId === me.hostId;
}

export type RecoveryDecision =
  /** The stored lease is this mount's (e.g. a renewal landed but its answer was lost): adopt it. */
  | { action: 'adopt' }
  /** Nobody holds it (gone, released, damaged or expired): take it again, conditionally. */
  | { action: 'retake' }
  /** Another mount holds it: this mount is fenced for good. */
  | { action: 'fenced'; holder: LeaseHolder };

/**
 * What a holder does when a renewal did not plainly succeed (412, 404, or no answer)
 * and it has read the stored lease (`undefined`: absent or unreadable as a lease).
 */
export function decideRecovery(current: LeaseRecord | undefined, me: LeaseHolder, nowMs: number): RecoveryDecision {
  if (!current) return { action: 'retake' };
  if (current.holder.mountId === me.mountId) return current.releasedAt === undefined ? { action: 'adopt' } : { action: 'retake' };
  if (current.releasedAt !== undefined || nowMs > current.expiresAt + clockSkewMs) return { action: 'retake' };
  return { action: 'fenced', holder: current.holder };
}

/** The holder stops writing this long before its lease expires, so a taker never overlaps it. */
export function safeUntil(record: LeaseRecord): number {
  return record.releasedAt !== undefined ? Number.NEGATIVE_INFINITY : record.expiresAt - clockSkewMs;
}

export function renewed(record: LeaseRecord, nowMs: number): LeaseRecord {
  return { ...record, renewedAt: nowMs, expiresAt: nowMs + record.ttlMs };
}

/** The record a holder leaves behind when it gives the lease up. */
export function released(record: LeaseRecord, nowMs: number): LeaseRecord {
  return { ...record, expiresAt: Math.min(record.expiresAt, nowMs), releasedAt: nowMs };
}

export function fresh(volume: string, holder: LeaseHolder, nowMs: number, ttlMs: number): LeaseRecord {
  return { volume, holder, acquiredAt: nowMs, renewedAt: nowMs, expiresAt: nowMs + ttlMs, ttlMs };
}
