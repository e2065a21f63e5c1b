import { describe, expect, it } from 'vitest';
import { clockSkewMs, decideAcquire, fresh, renewed, safeUntil, type LeaseHolder } from '../../chalkfs/lease/lease-rules.js';

const me: LeaseHolder = { host: 'host-a', pid: 100, mountId: 'mine' };
const otherHost: LeaseHolder = { host: 'host-b', pid: 200, mountId: 'theirs' };
const sameHostOther: LeaseHolder = { host: 'host-a', pid: 300, mountId: 'theirs-local' };
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

  it('treats its own mount id as the same mount', () => {
    const current = fresh('v', me, 1000, 10_000);
    expect(decideAcquire(current, { ...me, pid: 999 }, 2000, alive)).toEqual({ action: 'take-over', reason: 'same-mount' });
  });
});

describe('lease records', () => {
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
