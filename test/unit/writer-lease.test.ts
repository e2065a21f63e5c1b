// WriterLease (lease/writer-lease.ts) on a fault-injecting in-memory store, with the clock
// injected: acquiring, renewing, losing and releasing the lease.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { WriterLease } from '../../chalkfs/lease/writer-lease.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { encodeMeta } from '../../chalkfs/meta/format.js';
import { fresh, type LeaseHolder } from '../../chalkfs/lease/lease-rules.js';
import { FaultyObjectStore } from '../../chalkfs/store/faulty-object-store.js';
import type { ObjectStore } from '../../chalkfs/store/object-store.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

const ttlMs = 9000;
const a = { host: 'host-a', pid: 1, mountId: 'mount-a' };
const b = { host: 'host-b', pid: 2, mountId: 'mount-b' };

function options(store: ObjectStore, holder: LeaseHolder, clock: { now: number }, onLost?: (reason: string) => void) {
  return { store, volume: 'vol', holder, ttlMs, logger: silentLogger(), clock: () => clock.now, isLocalProcessAlive: () => true, onLost };
}

afterEach(() => {
  vi.useRealTimers();
});


/** Mount a holds the lease; the store stops answering it (not other mounts) for two TTLs, until the test heals `store`. */
async function lapsedThroughAnOutage() {
  vi.useFakeTimers();
  const memory = new MemoryObjectStore();
  const store = new FaultyObjectStore(memory);
  const clock = { now: 1_000_000 };
  const onLost = vi.fn();
  const lease = await WriterLease.acquire(options(store, a, clock, onLost));
  store.inject({ op: 'put', fault: { kind: 'fail', error: 'timeout' } });
  store.inject({ op: 'get', fault: { kind: 'fail', error: 'io' } });
  await advance(clock, 2 * ttlMs, 500);
  return { memory, store, clock, onLost, lease };
}

/** As lapsedThroughAnOutage, and meanwhile mount b took the expired lease. */
async function lapsedWhileAnotherMountTookIt() {
  const lapsed = await lapsedThroughAnOutage();
  const other = await WriterLease.acquire(options(lapsed.memory, b, lapsed.clock));
  return { ...lapsed, other };
}

describe('WriterLease', () => {
  it('acquires, and a second writer is refused with the holder named', async () => {
    const store = new MemoryObjectStore();
    const clock = { now: 1_000_000 };
    const lease = await WriterLease.acquire(options(store, a, clock));
    expect(lease.held()).toBe(true);
    expect((await WriterLease.read(store, 'vol'))!.record.holder).toEqual(a);
    try {
      await WriterLease.acquire(options(store, b, clock));
      expect.unreachable();
    } catch (err) {
      expect(isChalkError(err, 'lease-held')).toBe(true);
      expect((err as Error).message).toContain('host-a');
    }
    await lease.release();
  });

  it('stops being held before expiry when not renewed (clock injected)', async () => {
    const store = new MemoryObjectStore();
    const clock = { now: 1_000_000 };
    vi.useFakeTimers();
    const lease = await WriterLease.acquire(options(store, a, clock));
    clock.now += ttlMs - 1000; // = expiresAt - clockSkew: no longer safe
    expect(lease.held()).toBe(false);
    await lease.release();
  });

  it('renewal keeps it held and moves the expiry', async () => {
    vi.useFakeTimers();
    const store = new MemoryObjectStore();
    const clock = { now: 1_000_000 };
    const lease = await WriterLease.acquire(options(store, a, clock));
    for (let i = 0; i < 5; i++) {
      clock.now += ttlMs / 3;
      await vi.advanceTimersByTimeAsync(ttlMs / 3);
    }
    expect(lease.held()).toBe(true);
    const { record } = (await WriterLease.read(store, 'vol'))!;
    expect(record.holder).toEqual(a);
    expect(record.expiresAt).toBe(clock.now + ttlMs);
    expect(record.acquiredAt).toBe(1_000_000);
    await lease.release();
  });

  it('a lease replaced by another writer is lost and onLost is called once', async () => {
    vi.useFakeTimers();
    const store = new MemoryObjectStore();
    const clock = { now: 1_000_000 };
    const onLost = vi.fn();
    const lease = await WriterLease.acquire(options(store, a, clock, onLost));
    await store.put(storeKeys.lease('vol'), encodeMeta('chalkfs-lease/1', fresh('vol', b, clock.now, ttlMs)));
    clock.now += ttlMs / 3;
    await vi.advanceTimersByTimeAsync(ttlMs / 3);
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(lease.held()).toBe(false);
    clock.now += ttlMs;
    await vi.advanceTimersByTimeAsync(ttlMs);
    expect(onLost).toHaveBeenCalledTimes(1);
    // Releasing a lost lease leaves the new holder's object alone.
    await lease.release();
    expect((await WriterLease.read(store, 'vol'))!.record.holder).toEqual(b);
  });

  it('release marks the lease released (conditionally) so another writer acquires at once', async () => {
    const store = new MemoryObjectStore();
    const clock = { now: 1_000_000 };
    const lease = await WriterLease.acquire(options(store, a, clock));
    await lease.release();
    expect(lease.held()).toBe(false);
    expect((await WriterLease.read(store, 'vol'))!.record).toMatchObject({ holder: a, releasedAt: clock.now });
    const next = await WriterLease.acquire(options(store, b, clock));
    expect(next.held()).toBe(true);
    await next.release();
  });

  it('takes over an expired lease, and replaces a corrupt one', async () => {
    const store = new MemoryObjectStore();
    const clock = { now: 1_000_000 };
    await store.put(storeKeys.lease('vol'), encodeMeta('chalkfs-lease/1', fresh('vol', b, clock.now - 3 * ttlMs, ttlMs)));
    const lease = await WriterLease.acquire(options(store, a, clock));
    expect((await WriterLease.read(store, 'vol'))!.record.holder).toEqual(a);
    await lease.release();
    await store.put(storeKeys.lease('vol'), Buffer.from('not a lease'));
    const again = await WriterLease.acquire(options(store, a, clock));
    expect(again.held()).toBe(true);
    await again.release();
  });
});

/** Advances the injected clock and the fake timers together, one renewal period at a time. */
async function advance(clock: { now: number }, ms: number, stepMs = ttlMs / 3): Promise<void> {
  for (let left = ms; left > 0; left -= stepMs) {
    const step = Math.min(stepMs, left);
    clock.now += step;
    await vi.advanceTimersByTimeAsync(step);
  }
}

describe('WriterLease under store faults', () => {
  it('a renewal that landed but whose answer was lost (the retry then gets 412) keeps the lease', async () => {
    vi.useFakeTimers();
    const memory = new MemoryObjectStore();
    const store = new FaultyObjectStore(memory);
    const clock = { now: 1_000_000 };
    const onLost = vi.fn();
    const lease = await WriterLease.acquire(options(store, a, clock, onLost));
    const rule = store.inject({ op: 'put', key: /lease/, fault: { kind: 'lose-response' }, times: 1 });
    await advance(clock, 4 * ttlMs);
    expect(store.injected[0]).toBe(1);
    rule();
    expect(onLost).not.toHaveBeenCalled();
    expect(lease.held()).toBe(true);
    const { record } = (await WriterLease.read(memory, 'vol'))!;
    expect(record.holder).toEqual(a);
    expect(record.expiresAt).toBeGreaterThan(clock.now);
    await lease.release();
  });

  it('through a store outage longer than the lease: not held during it, held again after, without onLost', async () => {
    const { memory, store, clock, onLost, lease } = await lapsedThroughAnOutage();
    expect(lease.held()).toBe(false);
    store.heal();
    await advance(clock, ttlMs / 3, 500);
    expect(onLost).not.toHaveBeenCalled();
    expect(lease.held()).toBe(true);
    expect(lease.fenced).toBeUndefined();
    // Its own lease was still there: renewed in place, not taken again.
    expect(lease.retakes).toBe(0);
    expect((await WriterLease.read(memory, 'vol'))!.record).toMatchObject({ holder: a, acquiredAt: 1_000_000 });
    await lease.release();
  });

  it('while a store call hangs, the loop does not wait on it: not held once unsafe, held again once the store answers', async () => {
    vi.useFakeTimers();
    const memory = new MemoryObjectStore();
    const store = new FaultyObjectStore(memory);
    const clock = { now: 1_000_000 };
    const lease = await WriterLease.acquire(options(store, a, clock));
    store.inject({ op: 'put', fault: { kind: 'stall' } });
    store.inject({ op: 'get', fault: { kind: 'stall' } });
    await advance(clock, 2 * ttlMs, 500);
    expect(lease.held()).toBe(false);
    expect(store.stalledCalls).toBeGreaterThan(1);
    store.heal();
    store.releaseAll();
    await advance(clock, ttlMs / 3, 500);
    expect(lease.held()).toBe(true);
    await lease.release();
  });

  it('after an outage, a lease another mount took and released is taken again (counted, so history gets checked)', async () => {
    const { memory, store, clock, onLost, lease, other } = await lapsedWhileAnotherMountTookIt();
    await other.release();
    store.heal();
    await advance(clock, ttlMs / 3, 500);
    expect(lease.held()).toBe(true);
    expect(lease.retakes).toBe(1);
    expect(onLost).not.toHaveBeenCalled();
    expect((await WriterLease.read(memory, 'vol'))!.record.holder).toEqual(a);
    await lease.release();
  });

  it('after an outage, a lease another mount holds fences this one for good: onLost once, no more renewals', async () => {
    const { memory, store, clock, onLost, lease, other } = await lapsedWhileAnotherMountTookIt();
    store.heal();
    await advance(clock, ttlMs / 3, 500);
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(lease.fenced).toMatch(/host-b/);
    expect(lease.held()).toBe(false);
    // This mount's store calls go through `store`; the other mount's straight to `memory`.
    const put = vi.spyOn(store, 'put');
    await advance(clock, 3 * ttlMs, 500);
    expect(put).not.toHaveBeenCalled();
    await lease.release();
    expect((await WriterLease.read(memory, 'vol'))!.record.holder).toEqual(b);
    await other.release();
  });

  it('fence() stops renewing and releases the lease while it is still this mount\'s', async () => {
    vi.useFakeTimers();
    const memory = new MemoryObjectStore();
    const clock = { now: 1_000_000 };
    const onLost = vi.fn();
    const lease = await WriterLease.acquire(options(memory, a, clock, onLost));
    await lease.fence('version 2 was written by another writer');
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(lease.held()).toBe(false);
    expect((await WriterLease.read(memory, 'vol'))!.record).toMatchObject({ holder: a, releasedAt: clock.now });
    const puts = memory.requestCounts.put;
    await advance(clock, 3 * ttlMs);
    expect(memory.requestCounts.put).toBe(puts);
    const next = await WriterLease.acquire(options(memory, b, clock));
    expect(next.held()).toBe(true);
    await next.release();
  });

  it('a corrupt lease is replaced only if it is still the same object: a lease written meanwhile survives', async () => {
    const memory = new MemoryObjectStore();
    const clock = { now: 1_000_000 };
    const key = storeKeys.lease('vol');
    await memory.put(key, Buffer.from('not a lease'));
    // Another mount replaces the corrupt object right after this mount has read it.
    const racing: ObjectStore = Object.assign(Object.create(memory) as MemoryObjectStore, {
      get: async (k: string) => {
        const got = await memory.get(k);
        if (k === key && got.body.toString() === 'not a lease') await memory.put(key, encodeMeta('chalkfs-lease/1', fresh('vol', b, clock.now, ttlMs)));
        return got;
      },
    });
    await expect(WriterLease.acquire(options(racing, a, clock))).rejects.toSatisfy((err) => isChalkError(err, 'lease-held'));
    expect((await WriterLease.read(memory, 'vol'))!.record.holder).toEqual(b);
  });
});
