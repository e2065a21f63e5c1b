// lease/lease-rules.ts, the writer lease's pure decisions: when a lease may be created or
// taken over, and what a holder does when a renewal does not plainly succeed.
import { describe, expect, it } from 'vitest';
import { clockSkewMs, decideAcquire, decideRecovery, fresh, released, renewed, safeUntil, type LeaseHolder } from '../../chalkfs/lease/lease-rules.js';

const me: LeaseHolder = { host: 'host-a', hostId: 'boot-1/pidns-1', pid: 100, mountId: 'mine' };
const otherHost: LeaseHolder = { host: 'host-b', hostId: 'boot-2/pidns-1', pid: 200, mountId: 'theirs' };
const sameHostOther: LeaseHolder = { host: 'host-a', hostId: 'boot-1/pidns-1', pid: 300, mountId: 'theirs-local' };
/** Same hostname, another machine or pid namespace (cloned VM, container with host networking). */
const twinHost: LeaseHolder = { host: 'host-a', hostId: 'boot-2/pidns-7', pid: 300, mountId: 'twin' };
const alive = () => true;
const dead = () => false;

describe('decideAcquire', () => {
  it('creates when there is no lease', () => {
    expect(decideAcquire(undefined, me, 0, alive)).toEqual({ action: 'create' });
  });

  it('refuses a live lease, naming the holder', () => {
    const current = fresh('v', otherHost, 1000, 10_000);
    expect(decideAcquire(current, me, 5000, dead)).toEqual({ action: 'refuse', holder: otherHost, since: 1000, expiresAt: 11_000 });
  });

  it('takes over an expired lease only after the clock-skew margin', () => {
    const current = fresh('v', otherHost, 1000, 10_000);
    expect(decideAcquire(current, me, 11_000, alive).action).toBe('refuse');
    expect(decideAcquire(current, me, 11_000 + clockSkewMs, alive).action).toBe('refuse');
    expect(decideAcquire(current, me, 11_001 + clockSkewMs, alive)).toEqual({ action: 'take-over', reason: 'expired' });
  });

  it('takes over at once from a dead process on this host, but not on another host', () => {
    const local = fresh('v', sameHostOther, 1000, 10_000);
    const pids: number[] = [];
    expect(decideAcquire(local, me, 2000, (pid) => (pids.push(pid), false))).toEqual({ action: 'take-over', reason: 'holder-process-gone' });
    expect(pids).toEqual([300]);
    expect(decideAcquire(local, me, 2000, alive).action).toBe('refuse');
    expect(decideAcquire(fresh('v', otherHost, 1000, 10_000), me, 2000, dead).action).toBe('refuse');
  });

  it('never takes a live lease from a host that only shares the hostname, whatever its pid looks like here', () => {
    expect(decideAcquire(fresh('v', twinHost, 1000, 10_000), me, 2000, dead)).toMatchObject({ action: 'refuse', holder: twinHost });
  });

  it('without both identities (a lease from an older release, or none readable) the pid is never trusted', () => {
    const { hostId: _old, ...oldHolder } = sameHostOther;
    expect(decideAcquire(fresh('v', oldHolder, 1000, 10_000), me, 2000, dead).action).toBe('refuse');
    const { hostId: _mine, ...meUnknown } = me;
    expect(decideAcquire(fresh('v', sameHostOther, 1000, 10_000), meUnknown, 2000, dead).action).toBe('refuse');
  });

  it('takes a released lease at once', () => {
    const current = released(fresh('v', otherHost, 1000, 10_000), 2000);
    expect(decideAcquire(current, me, 2001, alive)).toEqual({ action: 'take-over', reason: 'released' });
  });

  it('treats its own mount id as the same mount', () => {
    const current = fresh('v', me, 1000, 10_000);
    expect(decideAcquire(current, { ...me, pid: 999 }, 2000, alive)).toEqual({ action: 'take-over', reason: 'same-mount' });
  });
});

describe('decideRecovery (a renewal got 412, 404 or no answer, and the lease was read)', () => {
  it('adopts a lease that names this mount (its renewal landed, the answer was lost)', () => {
    expect(decideRecovery(fresh('v', me, 1000, 10_000), me, 2000)).toEqual({ action: 'adopt' });
    // Even long expired: nobody replaced it, so nobody else wrote under it.
    expect(decideRecovery(fresh('v', me, 1000, 10_000), me, 60_000)).toEqual({ action: 'adopt' });
  });

  it('retakes a lease that is gone, released, or expired', () => {
    expect(decideRecovery(undefined, me, 2000)).toEqual({ action: 'retake' });
    expect(decideRecovery(released(fresh('v', otherHost, 1000, 10_000), 1500), me, 2000)).toEqual({ action: 'retake' });
    expect(decideRecovery(fresh('v', otherHost, 1000, 10_000), me, 11_001 + clockSkewMs)).toEqual({ action: 'retake' });
  });

  it('is fenced by a lease another mount holds', () => {
    expect(decideRecovery(fresh('v', otherHost, 1000, 10_000), me, 2000)).toEqual({ action: 'fenced', holder: otherHost });
    expect(decideRecovery(fresh('v', twinHost, 1000, 10_000), me, 11_000 + clockSkewMs)).toEqual({ action: 'fenced', holder: twinHost });
  });
});

describe('lease records', () => {
  it('a released record is never safe to write under', () => {
    const r = released(fresh('v', me, 1000, 9000), 2000);
    expect(r).toMatchObject({ releasedAt: 2000, expiresAt: 2000 });
    expect(safeUntil(r)).toBeLessThan(0);
  });

  it('fresh, renewed and safeUntil', () => {
    const r = fresh('v', me, 1000, 9000);
    expect(r).toEqual({ volume: 'v', holder: me, acquiredAt: 1000, renewedAt: 1000, expiresAt: 10_000, ttlMs: 9000 });
    const n = renewed(r, 4000);
    expect(n).toMatchObject({ acquiredAt: 1000, renewedAt: 4000, expiresAt: 13_000 });
    expect(r.expiresAt).toBe(10_000);
    expect(safeUntil(n)).toBe(13_000 - clockSkewMs);
    // A holder stops writing before any other host may take over.
    expect(safeUntil(n)).toBeLessThan(n.expiresAt + clockSkewMs);
  });
});
