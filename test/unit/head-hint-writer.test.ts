// The head hint after commits: at most one write a second, always the latest commit's
// numbers, written at once on flush (unmount), a failure only logged.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FaultyObjectStore } from '../../chalkfs/store/faulty-object-store.js';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { HeadHintWriter } from '../../chalkfs/vfs/head-hint-writer.js';

afterEach(() => vi.useRealTimers());

async function setup() {
  vi.useFakeTimers({ now: 1_000_000 });
  const store = new FaultyObjectStore(new MemoryObjectStore());
  const repo = new VolumeRepository(store);
  const writes: number[] = [];
  const original = repo.writeHead.bind(repo);
  repo.writeHead = async (volume, head) => {
    writes.push(head.seq);
    await original(volume, head);
  };
  const head = new HeadHintWriter(repo, 'vol', silentLogger(), () => Date.now());
  return { store, repo, writes, head };
}

describe('HeadHintWriter', () => {
  it('writes the first commit at once, then at most once a second with the newest numbers', async () => {
    const { repo, writes, head } = await setup();
    head.update({ seq: 2, consistentSeq: 2 });
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([2]);
    for (const seq of [3, 4, 5]) head.update({ seq, consistentSeq: 2 });
    await vi.advanceTimersByTimeAsync(999);
    expect(writes).toEqual([2]);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes).toEqual([2, 5]);
    expect(await repo.readHead('vol')).toMatchObject({ seq: 5, consistentSeq: 2 });
  });

  it('flush writes what is waiting without waiting for the second to pass', async () => {
    const { writes, head } = await setup();
    head.update({ seq: 2, consistentSeq: 2 });
    await vi.advanceTimersByTimeAsync(0);
    head.update({ seq: 3, consistentSeq: 3 });
    await head.flush();
    expect(writes).toEqual([2, 3]);
  });

  it('a failed write is only logged; the next update writes again', async () => {
    const { store, repo, writes, head } = await setup();
    const heal = store.inject({ op: 'put', fault: { kind: 'fail', error: 'io' } });
    head.update({ seq: 2, consistentSeq: 2 });
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([2]);
    expect(await repo.readHead('vol')).toBeUndefined();
    heal();
    head.update({ seq: 3, consistentSeq: 3 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(await repo.readHead('vol')).toMatchObject({ seq: 3 });
  });
});
