/*
 * The delta log (docs/FORMAT.md, "Delta log"): a version is stored either whole (a
 * checkpoint) or as a delta on its parent, and a delta names the checkpoint its chain
 * starts from. This module reads a version back from its checkpoint and the deltas
 * between (reusing a recently rebuilt version when one is on the way: a follower reading
 * N + 1 after N, or a listing reading every version in order, applies one delta per
 * version), and decides, for a writer, whether the next version is a delta or a checkpoint.
 */
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import type { ObjectStore } from '../store/object-store.js';
import { storeKeys } from './store-keys.js';
import { decodeStoredVersion, deltaFormat, encodeMeta, validateVersion, versionFormat, type ChainPosition, type DeltaRecord, type VersionRecord } from './format.js';
import { applyDelta, diffVersions } from './version-delta.js';

/**
 * A checkpoint is written once the chain since the last one holds this many deltas, so a
 * reader arriving mid-chain reads at most this many deltas besides the checkpoint...
 */
export const maxChainLength = 64;
/**
 * ...or once the deltas since the checkpoint add up to this fraction of the checkpoint's
 * size, so what a reader arriving mid-chain downloads is at most (1 + this) checkpoints,
 * and a writer's amortized upload per commit at most (1 + 1 / this) deltas.
 */
export const maxChainBytesFraction = 1;
/** Deltas of one chain fetched at once. */
const chainFetchConcurrency = 8;
/** Rebuilt versions kept per repository (the newest few: what followers and listings read next from). */
const rebuiltKept = 4;
/**
 * Deltas kept per repository, by their encoded size: a reader walking back from the
 * newest version to the newest consistent one (a long transaction's versions are not)
 * rebuilds each from the same chain, and reads its deltas once.
 */
const deltasKeptBytes = 8 * 2 ** 20;

/** Where a version stands in the log, as its writer needs it to write the next one. */
export interface ChainState {
  readonly seq: number;
  readonly checkpointSeq: number;
  /** Deltas since the checkpoint, through `seq`. */
  readonly length: number;
  /** Encoded bytes of those deltas. */
  readonly deltaBytes: number;
  readonly checkpointBytes: number;
}

/** The encoded object a writer puts at `versions/<seq>`, and the chain after it. */
export interface EncodedVersion {
  readonly body: Buffer;
  readonly chain: ChainState;
  readonly kind: 'full' | 'delta';
}

export const checkpointState = (seq: number, bodyBytes: number): ChainState => ({ seq, checkpointSeq: seq, length: 0, deltaBytes: 0, checkpointBytes: bodyBytes });

/** Whether the version after `chain` is written whole. */
export function checkpointDue(chain: ChainState): boolean {
  return chain.length >= maxChainLength || chain.deltaBytes >= chain.checkpointBytes * maxChainBytesFraction;
}

/**
 * Encodes `record` (whose parent is `parent`, at `chain`) as a delta, or whole when a
 * checkpoint is due or the writer has no parent to diff against.
 */
export function encodeVersionObject(record: VersionRecord, parent: VersionRecord | undefined, chain: ChainState | undefined): EncodedVersion {
  if (!parent || !chain || chain.seq !== parent.seq || record.parentSeq !== parent.seq || checkpointDue(chain)) {
    const body = encodeMeta(versionFormat, { ...record, format: versionFormat });
    return { body, chain: checkpointState(record.seq, body.length), kind: 'full' };
  }
  const position: ChainPosition = { checkpointSeq: chain.checkpointSeq, length: chain.length + 1, bytesBefore: chain.deltaBytes, checkpointBytes: chain.checkpointBytes };
  const body = encodeMeta(deltaFormat, diffVersions(parent, record, position));
  return {
    body,
    chain: { seq: record.seq, checkpointSeq: chain.checkpointSeq, length: chain.length + 1, deltaBytes: chain.deltaBytes + body.length, checkpointBytes: chain.checkpointBytes },
    kind: 'delta',
  };
}

interface Rebuilt {
  readonly record: VersionRecord;
  readonly chain: ChainState;
}

/**
 * Reads versions of the volumes of one store, rebuilding deltas from their checkpoint.
 * Versions are immutable (created once with If-None-Match, never rewritten), so a
 * rebuilt version is valid for as long as it is kept.
 */
export class VersionChainReader {
  private readonly rebuilt = new Map<string, Rebuilt>();
  /** The last checkpoints read, apart: every version of their chains starts from one. */
  private readonly checkpoints = new Map<string, Rebuilt>();
  private readonly deltas = new Map<string, { delta: DeltaRecord; bytes: number }>();
  private deltasBytes = 0;

  constructor(private readonly store: ObjectStore) {}

  /**
   * Version `seq`, whole. `not-found` when it does not exist, or when a version its
   * chain needs is gone (gc collected the chain of a version no longer retained, while
   * this read ran: the version itself is about to go too).
   */
  async read(volume: string, seq: number): Promise<Rebuilt> {
    // The object itself is always read, even when rebuilt before: a version gc has
    // deleted is gone (its blocks may be too), whatever this process remembers of it.
    const key = storeKeys.version(volume, seq);
    const { body } = await this.store.get(key);
    const cached = this.rebuilt.get(cacheKey(volume, seq)) ?? this.checkpoints.get(cacheKey(volume, seq));
    if (cached) return cached;
    const stored = decodeStoredVersion(body, key);
    if (stored.kind === 'full') {
      checkIdentity(stored.record, volume, seq, key);
      return this.keep(volume, { record: stored.record, chain: checkpointState(seq, body.length) });
    }
    const { delta } = stored;
    this.keepDelta(volume, delta, body.length);
    checkIdentity(delta, volume, seq, key);
    const chain: ChainState = { seq, checkpointSeq: delta.chain.checkpointSeq, length: delta.chain.length, deltaBytes: delta.chain.bytesBefore + body.length, checkpointBytes: delta.chain.checkpointBytes };
    let start = this.newestRebuiltIn(volume, delta.chain.checkpointSeq, seq - 1);
    try {
      start ??= await this.read(volume, delta.chain.checkpointSeq);
      // A checkpoint is a full version: anything else on its key is not what the chain says.
      if (start.chain.checkpointSeq !== delta.chain.checkpointSeq) {
        throw new ChalkError('corrupt', `metadata object ${key} is corrupt: its chain starts at checkpoint ${delta.chain.checkpointSeq}, but version ${start.record.seq} is not a checkpoint on it`);
      }
      const between = await this.readDeltas(volume, delta.chain.checkpointSeq, start.record.seq + 1, seq - 1);
      let record = start.record;
      for (const d of between) record = applyDelta(record, d, storeKeys.version(volume, d.seq));
      record = validateVersion(applyDelta(record, delta, key), key);
      return this.keep(volume, { record, chain });
    } catch (err) {
      if (isChalkError(err, 'not-found')) throw new ChalkError('not-found', `version ${seq} of ${volume} cannot be read: a version its delta chain needs (from checkpoint ${delta.chain.checkpointSeq}) is gone`, { cause: err });
      throw err;
    }
  }

  private keep(volume: string, rebuilt: Rebuilt): Rebuilt {
    const key = cacheKey(volume, rebuilt.record.seq);
    const kept = rebuilt.chain.length === 0 ? this.checkpoints : this.rebuilt;
    kept.delete(key);
    kept.set(key, rebuilt);
    while (kept.size > rebuiltKept) kept.delete(kept.keys().next().value!);
    return rebuilt;
  }

  private keepDelta(volume: string, delta: DeltaRecord, bytes: number): void {
    const key = cacheKey(volume, delta.seq);
    if (this.deltas.has(key) || bytes > deltasKeptBytes) return;
    this.deltas.set(key, { delta, bytes });
    this.deltasBytes += bytes;
    for (const [oldest, entry] of this.deltas) {
      if (this.deltasBytes <= deltasKeptBytes) break;
      this.deltas.delete(oldest);
      this.deltasBytes -= entry.bytes;
    }
  }

  private newestRebuiltIn(volume: string, fromSeq: number, toSeq: number): Rebuilt | undefined {
    let best: Rebuilt | undefined;
    for (const [key, rebuilt] of [...this.rebuilt, ...this.checkpoints]) {
      const seq = rebuilt.record.seq;
      if (key === cacheKey(volume, seq) && seq >= fromSeq && seq <= toSeq && (!best || seq > best.record.seq)) best = rebuilt;
    }
    return best;
  }

  /** Deltas `from`..`to` of the chain from checkpoint `checkpointSeq`, in order, `chainFetchConcurrency` at a time. */
  private async readDeltas(volume: string, checkpointSeq: number, from: number, to: number): Promise<DeltaRecord[]> {
    const out: DeltaRecord[] = [];
    const seqs = Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < seqs.length; i = next++) {
        const key = storeKeys.version(volume, seqs[i]!);
        const kept = this.deltas.get(cacheKey(volume, seqs[i]!))?.delta;
        if (kept && kept.chain.checkpointSeq === checkpointSeq) {
          out[i] = kept;
          continue;
        }
        const { body } = await this.store.get(key);
        const stored = decodeStoredVersion(body, key);
        if (stored.kind !== 'delta' || stored.delta.chain.checkpointSeq !== checkpointSeq) throw new ChalkError('corrupt', `metadata object ${key} is corrupt: the chain from checkpoint ${checkpointSeq} runs through it, but it is not a delta of that chain`);
        checkIdentity(stored.delta, volume, seqs[i]!, key);
        this.keepDelta(volume, stored.delta, body.length);
        out[i] = stored.delta;
      }
    };
    await Promise.all(Array.from({ length: Math.min(chainFetchConcurrency, seqs.length) }, worker));
    return out;
  }
}

const cacheKey = (volume: string, seq: number) => `${volume}/${seq}`;

function checkIdentity(record: { volume: string; seq: number }, volume: string, seq: number, key: string): void {
  if (record.seq !== seq || record.volume !== volume) throw new ChalkError('corrupt', `metadata object ${key} is corrupt: it names ${record.volume}@${record.seq}`);
}
