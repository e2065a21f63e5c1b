import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { WriterLease } from '../../chalkfs/lease/writer-lease.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { encodeMeta } from '../../chalkfs/meta/format.js';
import { fresh } from '../../chalkfs/lease/lease-rules.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

const ttlMs = 9000;
const a = { host: 'host-a', pid: 1, mountId: 'mount-a' };
const b = { host: 'host-b', pid: 2, mountId: 'mount-b' };

function options(store: MemoryObjectStore, holder: typeof a, clock: { now: number }, onLost?: (reason: string) => void) {
  return { store, volume: 'vol', holder, ttlMs, logger: silentLogger(), clock: () => clock.now, isLocalProcessAlive: () => true, onLost };
}

afterEach(() => {
  vi.useRealTimers();
});

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

  it('release deletes the object so another writer acquires at once', async () => {
    const store = new MemoryObjectStore();
    const clock = { now: 1_000_000 };
    const lease = await WriterLease.acquire(options(store, a, clock));
    await lease.release();
    expect(lease.held()).toBe(false);
    expect(store.objects.has(storeKeys.lease('vol'))).toBe(false);
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
