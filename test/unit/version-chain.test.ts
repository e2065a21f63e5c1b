// The delta log in the store (meta/version-chain.ts, docs/FORMAT.md "Delta log"): where
// checkpoints fall, a reader arriving mid-chain rebuilding any version from its
// checkpoint and deltas (and how many GETs that costs), a follower applying one delta per
// new version, and a chain with a member gone or out of place refused.
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { decodeStoredVersion } from '../../chalkfs/meta/format.js';
import { checkpointDue, maxChainLength } from '../../chalkfs/meta/version-chain.js';
import { kindOf } from '../support/error-kind.js';
import { writeChain } from '../support/delta-log-contract.js';

/** A writer's history (test/support/delta-log-contract.ts) in a store of its own. */
async function history(commits: number, fileBlocks = 0, inconsistentFrom = Infinity) {
  const store = new MemoryObjectStore();
  return { store, ...(await writeChain(store, commits, fileBlocks, inconsistentFrom)) };
}

describe('the delta log', () => {
  it('writes a checkpoint after maxChainLength deltas when deltas are small', async () => {
    const { kinds } = await history(2 * maxChainLength + 3);
    const checkpoints = kinds.flatMap((kind, i) => (kind === 'full' ? [i + 1] : []));
    // Version 2 carries the large file (larger than checkpoint 1, an empty root): checkpoint 3 follows it.
    expect(checkpoints).toEqual([1, 3, 3 + maxChainLength + 1, 3 + 2 * (maxChainLength + 1)].filter((seq) => seq <= kinds.length));
  });

  it('writes a checkpoint sooner when the deltas since the last one outweigh it', async () => {
    const { kinds } = await history(40, 300);
    const checkpoints = kinds.flatMap((kind, i) => (kind === 'full' ? [i + 1] : []));
    // Each delta adds a 300-block file, about a seventh of the 2,000-block checkpoint, so the
    // bytes rule binds long before 64 deltas; as the namespace grows, checkpoints spread out.
    expect(checkpoints.length).toBeGreaterThan(3);
    for (let i = 1; i < checkpoints.length; i++) expect(checkpoints[i]! - checkpoints[i - 1]!).toBeLessThan(maxChainLength);
  });

  it('checkpointDue: by count and by bytes', () => {
    const base = { seq: 10, checkpointSeq: 5, length: 5, deltaBytes: 100, checkpointBytes: 1000 };
    expect(checkpointDue(base)).toBe(false);
    expect(checkpointDue({ ...base, length: maxChainLength })).toBe(true);
    expect(checkpointDue({ ...base, deltaBytes: 1000 })).toBe(true);
  });

  it('a reader arriving mid-chain rebuilds every version exactly, reading its checkpoint and the deltas since', async () => {
    const { store, records, kinds } = await history(maxChainLength + 10);
    for (const seq of [2, 3, 4, 20, maxChainLength + 3, maxChainLength + 4, maxChainLength + 11]) {
      const reader = new VolumeRepository(store); // a process arriving now: nothing read before
      store.readsByKey.clear();
      const { record, chain } = await reader.readVersionInChain('vol', seq);
      expect(record).toEqual(records[seq - 1]);
      const stored = decodeStoredVersion(store.objects.get(storeKeys.version('vol', seq))!.body, 'k');
      const checkpoint = stored.kind === 'full' ? seq : stored.delta.chain.checkpointSeq;
      expect(kinds[checkpoint - 1]).toBe('full');
      expect(chain.checkpointSeq).toBe(checkpoint);
      // Each object of the chain, once: the checkpoint and every delta up to seq.
      expect([...store.readsByKey.keys()].sort()).toEqual(Array.from({ length: seq - checkpoint + 1 }, (_, i) => storeKeys.version('vol', checkpoint + i)));
      expect([...store.readsByKey.values()].every((n) => n === 1)).toBe(true);
    }
  });

  it('a follower at version N reads N + 1 with one GET: the delta, applied to what it has', async () => {
    const { store, records } = await history(30);
    const follower = new VolumeRepository(store);
    await follower.readVersion('vol', 20);
    for (const seq of [21, 22, 23]) {
      store.readsByKey.clear();
      expect(await follower.readVersion('vol', seq)).toEqual(records[seq - 1]);
      expect([...store.readsByKey.keys()]).toEqual([storeKeys.version('vol', seq)]);
    }
  });

  it('a reader arriving during a long transaction walks back to the newest consistent version reading each object at most twice', async () => {
    const { store, records } = await history(40, 0, 31); // versions 31-41 inconsistent
    const reader = new VolumeRepository(store);
    store.readsByKey.clear();
    const found = await reader.latestConsistent('vol');
    expect(found).toEqual(records[29]);
    expect(found?.seq).toBe(30);
    // Once as a member of a chain, once itself (a version's own object is always read: it may be collected).
    expect(Math.max(...store.readsByKey.values())).toBeLessThanOrEqual(2);
  });

  it('a chain with a delta gone is not-found (gc took it): never a version rebuilt from the wrong parent', async () => {
    const { store } = await history(10);
    await store.delete(storeKeys.version('vol', 6));
    const reader = new VolumeRepository(store);
    expect(await kindOf(reader.readVersion('vol', 8))).toBe('not-found');
    expect(await reader.probeVersion('vol', 8)).toBeUndefined();
    expect((await reader.readVersion('vol', 5)).seq).toBe(5);
  });

  it('a delta where a checkpoint should be is corrupt', async () => {
    const { store } = await history(10);
    const checkpoint = decodeStoredVersion(store.objects.get(storeKeys.version('vol', 8))!.body, 'k');
    expect(checkpoint.kind).toBe('delta');
    if (checkpoint.kind !== 'delta') return;
    // Version 4's delta where version 8's chain has its checkpoint.
    const delta4 = store.objects.get(storeKeys.version('vol', 4))!.body;
    const cp = checkpoint.delta.chain.checkpointSeq;
    await store.delete(storeKeys.version('vol', cp));
    await store.put(storeKeys.version('vol', cp), delta4);
    expect(await kindOf(new VolumeRepository(store).readVersion('vol', 8))).toBe('corrupt');
  });
});
