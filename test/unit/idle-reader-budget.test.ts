// What a follower costs the store (issue 17), counted from the store's side on a virtual
// clock: an idle read-only mount, presence renewals included, stays within 60 requests a
// minute and never LISTs; while the writer commits it adopts each version at the first
// poll after it; when the writer stops and starts again it backs off and comes back.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BlockCache } from '../../chalkfs/cache/block-cache.js';
import type { VersionRecord } from '../../chalkfs/meta/format.js';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { PresenceKeeper, defaultPresenceIntervalMs } from '../../chalkfs/meta/presence.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { PeriodicTask } from '../../chalkfs/vfs/periodic-task.js';
import { defaultIdleRefreshIntervalMs, defaultRefreshIntervalMs } from '../../chalkfs/vfs/refresh-schedule.js';
import { VersionFollower, type ServedVersion } from '../../chalkfs/vfs/version-follower.js';
import { CountingObjectStore } from '../support/counting-object-store.js';

const minute = 60_000;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A volume, a writer that commits empty consistent versions, and a follower on the CLI's default intervals with its presence. */
async function followerWithPresence() {
  const memory = new MemoryObjectStore();
  const writerRepo = new VolumeRepository(memory);
  const config = await writerRepo.create('vol', 4096, { uid: 0, gid: 0 }, { host: 'w', pid: 1, mountId: 'w' }, Date.now());
  const store = new CountingObjectStore(memory);
  const repo = new VolumeRepository(store);
  let latest = await writerRepo.readVersion('vol', 1);
  const commit = async () => {
    latest = { ...latest, seq: latest.seq + 1, parentSeq: latest.seq, createdAt: new Date(Date.now()).toISOString() };
    await writerRepo.writeVersion(latest);
    return latest.seq;
  };

  const follower = new VersionFollower({
    repo,
    config,
    cache: new BlockCache(1 << 22, undefined, silentLogger()),
    logger: silentLogger(),
    clock: Date.now,
    refreshIntervalMs: defaultRefreshIntervalMs,
    idleRefreshIntervalMs: defaultIdleRefreshIntervalMs,
    fetchConcurrency: 2,
    fetchBlock: (hash) => memory.get(`volumes/vol/blocks/${hash}`).then((o) => o.body),
  });
  const first = await repo.latestConsistent('vol');
  let served: ServedVersion = { seq: first!.seq, ns: Namespace.fromRecord(first!) };
  const adoptedAt = new Map<number, number>();
  const poll = new PeriodicTask(async () => {
    const record: VersionRecord | undefined = await follower.nextVersion(served);
    if (!record) return;
    served = { seq: record.seq, ns: Namespace.fromRecord(record) };
    follower.adopted(record, served.ns);
    adoptedAt.set(record.seq, Date.now());
  }, () => follower.nextDelayMs());
  const presence = await PresenceKeeper.start({
    store,
    identity: { volume: 'vol', mountId: 'r', host: 'r', pid: 2, mode: 'read-only', mountpoint: '/mnt' },
    intervalMs: defaultPresenceIntervalMs,
    logger: silentLogger(),
    volumeExists: () => repo.config('vol').then(() => true),
  });
  poll.start();
  return { store, memory, writerRepo, commit, adoptedAt, stop: async () => (poll.stop(), await presence.stop()) };
}

describe('an idle follower on the default intervals', () => {
  it('makes at most 60 requests a minute, presence renewals included, and never a LIST', async () => {
    const { store, stop } = await followerWithPresence();
    const start = Date.now();
    // The first minute still has the active polls of the mount's first 10 s; then steady state.
    await vi.advanceTimersByTimeAsync(minute);
    for (let m = 1; m <= 5; m++) {
      await vi.advanceTimersByTimeAsync(minute);
      const counts = store.between(start + m * minute, start + (m + 1) * minute);
      expect(counts.list).toBe(0);
      expect(counts.total).toBeLessThanOrEqual(60);
      // The presence renewal (a PUT and a GET of volume.json) is in the count.
      expect(counts.put).toBe(1);
    }
    await stop();
  });
});

describe('a follower under a writer that stops and starts', () => {
  it('adopts each commit at the first poll after it while active, backs off when the writer stops, and is back to the active interval after one idle poll', async () => {
    const { store, commit, adoptedAt, stop } = await followerWithPresence();
    await vi.advanceTimersByTimeAsync(minute);

    // Active: a commit a second for 20 s. Each is adopted within one active interval.
    const committedAt = new Map<number, number>();
    for (let i = 0; i < 20; i++) {
      committedAt.set(await commit(), Date.now());
      await vi.advanceTimersByTimeAsync(1000);
    }
    for (const [seq, at] of committedAt) {
      // The first commit comes after an idle spell: found within an idle interval.
      const bound = seq === Math.min(...committedAt.keys()) ? defaultIdleRefreshIntervalMs : defaultRefreshIntervalMs;
      expect(adoptedAt.get(seq)! - at).toBeLessThanOrEqual(bound);
    }

    // Stopped: after the active spell, the follower backs off to the idle budget.
    const stoppedAt = Date.now();
    await vi.advanceTimersByTimeAsync(2 * minute);
    const idle = store.between(stoppedAt + minute, stoppedAt + 2 * minute);
    expect(idle.list).toBe(0);
    expect(idle.total).toBeLessThanOrEqual(60);

    // Started again: found within one idle interval, then followed at the active one.
    const again = [await commit()];
    const firstAt = Date.now();
    await vi.advanceTimersByTimeAsync(defaultIdleRefreshIntervalMs);
    expect(adoptedAt.get(again[0]!)! - firstAt).toBeLessThanOrEqual(defaultIdleRefreshIntervalMs);
    const secondAt = Date.now();
    again.push(await commit());
    await vi.advanceTimersByTimeAsync(defaultRefreshIntervalMs);
    expect(adoptedAt.get(again[1]!)! - secondAt).toBeLessThanOrEqual(defaultRefreshIntervalMs);
    await stop();
  });

  it('follows a writer committing faster than it polls with GETs alone, no LIST, adopting the newest version at each poll', async () => {
    const { store, commit, adoptedAt, stop } = await followerWithPresence();
    await vi.advanceTimersByTimeAsync(minute);
    const activeFrom = Date.now();
    // Ten commits a second for ten seconds: two or three new versions at each 250 ms poll.
    const committedAt = new Map<number, number>();
    for (let i = 0; i < 100; i++) {
      committedAt.set(await commit(), Date.now());
      await vi.advanceTimersByTimeAsync(100);
    }
    await vi.advanceTimersByTimeAsync(defaultRefreshIntervalMs);
    expect(store.between(activeFrom, Date.now()).list).toBe(0);
    const last = Math.max(...committedAt.keys());
    expect(adoptedAt.get(last)! - committedAt.get(last)!).toBeLessThanOrEqual(defaultRefreshIntervalMs);
    // Polls adopt the newest there is, skipping the versions in between.
    expect(adoptedAt.size).toBeLessThan(committedAt.size);
    await stop();
  });

  it('finds a newer version through the head hint when the next one was collected, with no LIST until the hint shows one', async () => {
    const { store, commit, adoptedAt, writerRepo, memory, stop } = await followerWithPresence();
    await vi.advanceTimersByTimeAsync(2 * minute);
    const quietFrom = Date.now();
    await vi.advanceTimersByTimeAsync(minute);
    expect(store.between(quietFrom, Date.now()).list).toBe(0);
    // Idle polls read the head hint now and then, in place of a probe.
    expect(store.requests.some((r) => r.key.endsWith('/head.json') && r.atMs >= quietFrom)).toBe(true);

    // Versions 2..4 appear, and 2 and 3 are collected before the follower looks.
    const seqs = [await commit(), await commit(), await commit()];
    await writerRepo.writeHead('vol', { seq: 4, consistentSeq: 4, updatedAt: new Date(Date.now()).toISOString() });
    for (const seq of seqs.slice(0, 2)) await memory.delete(`volumes/vol/versions/${String(seq).padStart(16, '0')}`);
    await vi.advanceTimersByTimeAsync(minute);
    expect(adoptedAt.has(4)).toBe(true);
    await stop();
  });
});
