// The delta log's contract (docs/FORMAT.md, "Delta log") written once, run against the
// in-memory store (test/unit/delta-log-contract.test.ts) and MinIO
// (test/integration/delta-log-contract.test.ts): a writer's chain of deltas and
// checkpoints, published with If-None-Match; a cold reader arriving at any version
// rebuilds it exactly; gc keeps the chain of every version it keeps.
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../chalkfs/store/object-store.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { VolumeHistory } from '../../chalkfs/history/volume-history.js';
import { decodeStoredVersion, type VersionRecord } from '../../chalkfs/meta/format.js';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { encodeVersionObject, maxChainLength, type ChainState } from '../../chalkfs/meta/version-chain.js';
import { kindOf } from './error-kind.js';
import { withStoreEachTest, type ContractStore } from './object-store-contract.js';

export type DeltaLogStore = ContractStore;

const owner = { uid: 0, gid: 0 };
const writer = { host: 'h', pid: 1, mountId: 'm' };

/**
 * Version 1 (created), then `commits` versions through the writer's encoding: a
 * 2,000-block file first (a large checkpoint), then a new file each, of `fileBlocks` blocks (0: empty).
 * Versions from `inconsistentFrom` on are inconsistent (a transaction still open).
 */
export async function writeChain(store: ObjectStore, commits: number, fileBlocks = 0, inconsistentFrom = Infinity): Promise<{ records: VersionRecord[]; kinds: ('full' | 'delta')[] }> {
  const repo = new VolumeRepository(store);
  await repo.create('vol', 4096, owner, writer);
  let { record: parent, chain } = await repo.readVersionInChain('vol', 1);
  const ns = Namespace.fromRecord(parent);
  const big = ns.createFile('/big', 0o644, owner, 1).inode;
  ns.extendTo(big, 2000 * 4096);
  ns.applySeal(big, { blocks: new Map(Array.from({ length: 2000 }, (_, i) => [i, { hash: String(i).padStart(64, '0') }])), blockCount: 2000 });
  const records: VersionRecord[] = [parent];
  const kinds: ('full' | 'delta')[] = ['full'];
  let state: ChainState | undefined = chain;
  for (let i = 0; i < commits; i++) {
    if (i > 0) {
      const file = ns.createFile(`/f${i}`, 0o644, owner, 2 + i).inode;
      if (fileBlocks) {
        ns.extendTo(file, fileBlocks * 4096);
        ns.applySeal(file, { blocks: new Map(Array.from({ length: fileBlocks }, (_, b) => [b, { hash: `${i}-${b}`.padStart(64, 'a') }])), blockCount: fileBlocks });
      }
    }
    const record: VersionRecord = { ...parent, seq: parent.seq + 1, parentSeq: parent.seq, consistent: parent.seq + 1 < inconsistentFrom, ...ns.snapshot() };
    const encoded = encodeVersionObject(record, parent, state);
    await repo.writeEncodedVersion('vol', record.seq, encoded.body);
    records.push(record);
    kinds.push(encoded.kind);
    parent = record;
    state = encoded.chain;
  }
  return { records, kinds };
}

export function describeDeltaLogContract(name: string, open: () => Promise<DeltaLogStore>): void {
  describe(`delta log contract: ${name}`, () => {
    let store: ObjectStore;
    withStoreEachTest(open, (opened) => (store = opened));

    it('a cold reader arriving at any version, checkpoint or mid-chain, rebuilds it exactly', async () => {
      const { records, kinds } = await writeChain(store, maxChainLength + 6);
      expect(kinds.filter((k) => k === 'full').length).toBe(3); // version 1, 3 (after the large delta 2), and one after 64 deltas
      for (const seq of [1, 2, 3, 4, 30, maxChainLength + 3, maxChainLength + 4, maxChainLength + 7]) {
        expect(await new VolumeRepository(store).readVersion('vol', seq)).toEqual(records[seq - 1]);
      }
    });

    it('a delta is published with If-None-Match: a second writer at the same number is refused', async () => {
      await writeChain(store, 4);
      const body = (await store.get(storeKeys.version('vol', 4))).body;
      expect(decodeStoredVersion(body, 'k').kind).toBe('delta');
      expect(await kindOf(new VolumeRepository(store).writeEncodedVersion('vol', 4, body))).toBe('precondition');
    });

    it('gc keeps every checkpoint and delta a kept version is read from', async () => {
      const { records } = await writeChain(store, 12);
      const repo = new VolumeRepository(store);
      const latest = records.at(-1)!.seq;
      const stored = decodeStoredVersion((await store.get(storeKeys.version('vol', latest))).body, 'k');
      expect(stored.kind).toBe('delta');
      const checkpoint = stored.kind === 'delta' ? stored.delta.chain.checkpointSeq : latest;
      const result = await new VolumeHistory(repo).gc('vol', { retentionMs: 0, graceMs: 0, nowMs: Date.now() + 60_000 });
      expect(await repo.versionsAfter('vol', 0)).toEqual(Array.from({ length: latest - checkpoint + 1 }, (_, i) => checkpoint + i));
      expect(result.versionsDeleted).toBe(checkpoint - 1);
      expect(await new VolumeRepository(store).readVersion('vol', latest)).toEqual(records.at(-1));
    });
  });
}
