/*
 * How a writer turns its changes into versions: the commit chain (one commit at a time,
 * callers arriving during one share the next: group commit), sealing and uploading
 * blocks, writing the version with If-None-Match and settling an unknown outcome
 * (version-outcome.ts), fencing when history forked, and the blocks the last version
 * names (no need to upload them again). Owns the sequence number a writer has reached.
 * The head hint is written after each commit by HeadHintWriter.
 */
import type { Logger } from 'pino';
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import type { Metrics } from '../util/metrics.js';
import { storeKeys } from '../meta/store-keys.js';
import type { Namespace } from '../meta/namespace.js';
import type { VolumeRepository } from '../meta/volume-repository.js';
import { encodeVersionObject, type ChainState } from '../meta/version-chain.js';
import { versionFormat, type FileInode, type Inode, type VersionRecord, type VolumeConfig, type WriterInfo } from '../meta/format.js';
import type { WriterLease } from '../lease/writer-lease.js';
import { firstForeignVersion } from './foreign-versions.js';
import type { FileData, PendingBlock } from './file-data.js';
import type { HandleTable } from './handle-table.js';
import { blocksToFold, extentBytes, type PatchedBlock } from './block-patches.js';
import { defaultCommitOutcomeTimeoutMs, isAmbiguous, resolveVersionOutcome } from './version-outcome.js';
import { withoutHostLocalFiles } from './sqlite/sqlite-files.js';
import type { SqliteJournals } from './sqlite/sqlite-journals.js';
import type { JournallessDatabases } from './sqlite/journalless-databases.js';
import { HeadHintWriter } from './head-hint-writer.js';
import { BlockUploads } from './block-uploads.js';

export interface VersionWriterOptions {
  repo: VolumeRepository;
  config: VolumeConfig;
  writer: WriterInfo;
  logger: Logger;
  metrics?: Metrics;
  clock: () => number;
  lease?: WriterLease;
  uploadConcurrency: number;
  dirtyLimitBytes: number;
  patchBudgetBytes?: number;
  commitOutcomeTimeoutMs?: number;
}

/** What a writer's commits are made of; the namespace object is the writer's for good. */
export interface WriterState {
  ns: Namespace;
  data: FileData;
  handles: HandleTable;
  journals: SqliteJournals;
  journalless: JournallessDatabases;
}

export class VersionWriter {
  private seqReached: number;
  private lastConsistentSeq: number;
  /**
   * Blocks the last committed version names: a commit need not upload these. Only that
   * version's, not every block ever seen: gc may delete blocks no retained version names,
   * and the latest version is always retained (docs/FORMAT.md, "Garbage").
   */
  private knownBlocks = new Set<string>();
  /**
   * The version the store holds at `seqReached`, exactly as stored (host-local files
   * left out), and its place in the delta log: the next version is written as its
   * change from this one (meta/version-chain.ts).
   */
  private parent: VersionRecord;
  private chain: ChainState | undefined;
  /** Something changed since the last commit started. */
  private changedSinceCommit = false;
  private fencedReason: string | undefined;
  /** The lease's retake count when history was last checked (see foreign-versions.ts). */
  private historyCheckedAtRetake = 0;
  private commitChain: Promise<unknown> = Promise.resolve();
  private queuedCommit: Promise<number> | undefined;
  /** Inodes a journal's removal took out of the namespace, put back if its commit fails. */
  private readonly mayBeRestored = new Set<Inode>();
  private readonly head: HeadHintWriter;
  private readonly uploads: BlockUploads;

  constructor(
    private readonly options: VersionWriterOptions,
    private readonly state: WriterState,
    record: VersionRecord,
    chain?: ChainState,
  ) {
    this.seqReached = record.seq;
    this.parent = record;
    this.chain = chain;
    this.lastConsistentSeq = record.consistent ? record.seq : 0;
    this.head = new HeadHintWriter(options.repo, options.config.name, options.logger, options.clock);
    const { repo, config } = options;
    this.uploads = new BlockUploads(async (hash, data) => {
      // A block's name is its SHA-256: the store adapter need not hash the body again.
      await repo.store.put(storeKeys.block(config.name, hash), data, { contentSha256: hash });
    }, options.uploadConcurrency);
    this.rememberBlocks(record);
  }

  /** The newest version this writer made or started from. */
  get seq(): number {
    return this.seqReached;
  }

  /** Whether something changed that no commit has taken yet. */
  get changed(): boolean {
    return this.changedSinceCommit;
  }

  /** The namespace or a file changed: the next commit has something to write. */
  noteChange(): void {
    this.changedSinceCommit = true;
  }

  /** Why this mount no longer writes, if it does not. */
  get fenced(): string | undefined {
    return this.fencedReason ?? this.options.lease?.fenced;
  }

  /** Whether a commit may be attempted now (not fenced, lease held). */
  get canCommit(): boolean {
    return !this.fenced && (this.options.lease?.held() ?? true);
  }

  /**
   * Writes a new version holding everything changed so far. Callers that arrive while
   * a commit runs share the next one (group commit); the promise resolves with the
   * version number once it is durable in the store.
   */
  commit(reason: string): Promise<number> {
    if (this.queuedCommit) return this.queuedCommit;
    const run = this.commitChain.then(() => {
      this.queuedCommit = undefined;
      return this.commitNow(reason);
    });
    this.queuedCommit = run;
    this.commitChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Commits a removal already made in the namespace (a journal's: SQLite's commit point)
   * before returning; if the commit fails, `undo` puts the removed entries back, so the
   * application sees them still there, exactly as the store does.
   */
  async commitRemoval(undo: () => void, removed: Inode[]): Promise<void> {
    this.changedSinceCommit = true;
    // Until the commit's outcome is known, the removed inodes may come back: their blocks
    // still waiting for upload must not be dropped as unreferenced meanwhile.
    for (const inode of removed) this.mayBeRestored.add(inode);
    try {
      await this.commit('journal-deleted');
    } catch (err) {
      undo();
      throw err;
    } finally {
      for (const inode of removed) this.mayBeRestored.delete(inode);
    }
  }

  /** Whether more is held in memory than the dirty limit allows: the next write waits for makeRoom. */
  get overDirtyLimit(): boolean {
    return this.state.data.unuploadedBytes > this.options.dirtyLimitBytes;
  }

  /**
   * A write over the dirty limit waits for a commit to upload what is held. If that
   * fails (the store is down), memory would keep growing: the write fails instead, with
   * the reason, and the application can retry once the store is back.
   */
  async makeRoom(): Promise<void> {
    const { data } = this.state;
    try {
      await this.commit('dirty-limit');
    } catch (err) {
      const limitMiB = (this.options.dirtyLimitBytes / 2 ** 20).toFixed(1);
      throw new ChalkError(isChalkError(err, 'read-only') ? 'read-only' : 'io', `volume ${this.options.config.name}: ${(data.unuploadedBytes / 2 ** 20).toFixed(1)} MiB written but not yet in the store (limit ${limitMiB} MiB), and the commit that would upload them failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Starts uploading blocks a write has just filled, before any commit names them (the
   * store gets a bulk copy while it is still being written), and waits while more than
   * twice the upload concurrency is queued: a writer faster than the store slows to it.
   */
  async uploadFilled(blocks: readonly PendingBlock[]): Promise<void> {
    for (const block of blocks) if (!this.knownBlocks.has(block.hash)) this.uploads.start(block.hash, block.data);
    await this.uploads.roomFor(2 * this.options.uploadConcurrency);
  }

  /** Refuses a change this mount could never commit, or cannot commit for now. */
  assertCanCommit(): void {
    const { lease, config } = this.options;
    const fenced = this.fenced;
    if (fenced) throw new ChalkError('read-only', `volume ${config.name}: ${fenced}; this mount no longer accepts writes`);
    // Not fenced, only unsure (the store has not answered the lease loop): refused for now.
    if (lease && !lease.held()) throw new ChalkError('io', `volume ${config.name}: the writer lease is not safely renewed (the store does not answer); writes resume once it is`);
  }

  /** Writes the head hint that is waiting, at once (unmount). */
  flushHeadHint(): Promise<void> {
    return this.head.flush();
  }

  private async commitNow(reason: string): Promise<number> {
    const { ns, data, journals, journalless } = this.state;
    const nothingToWrite = () => !this.changedSinceCommit && data.pendingBlocks().length === 0;
    if (nothingToWrite() && !journalless.waiting) return this.seqReached;
    this.assertCanCommit();
    // Awaited only when there is something to check: commits group on the same tick.
    if ((this.options.lease?.retakes ?? 0) !== this.historyCheckedAtRetake) await this.checkHistoryAfterRetake();
    const end = this.options.metrics?.commits.startTimer();
    const startedMs = performance.now();
    const { config } = this.options;
    await journals.loadHeaders(ns);
    const lockCheck = await journalless.check(ns);
    const fold = this.blocksToFold();
    if (fold.length > 0) await Promise.all(fold.map(({ ino, index }) => data.fold(ino, ns.inodes.get(ino) as FileInode, index)));

    // Sealing, the snapshot and the consistency check see one instant's state (no await
    // between them). Host-local files (a WAL's -shm) stay in this mount's memory, never
    // in a version.
    const databasesSettled = journalless.settle(lockCheck);
    // Only waiting for a journal-less database's writer, which still holds it: no new version yet.
    if (nothingToWrite() && !databasesSettled) return this.seqReached;
    const hostLocal = withoutHostLocalFiles(Object.fromEntries(ns.inodes)).left;
    for (const ino of data.dirtyInodes()) {
      if (hostLocal.has(ino)) continue;
      const inode = ns.inodes.get(ino);
      if (inode?.type === 'file') ns.applySeal(inode, data.seal(ino, inode));
    }
    const snapshot = ns.snapshot();
    const stored = withoutHostLocalFiles(snapshot.inodes);
    data.dropUnreferencedPending(this.referencedBlocks());
    const consistent = journals.isConsistent(ns) && databasesSettled;
    const seq = this.seqReached + 1;
    const record: VersionRecord = {
      format: versionFormat,
      volume: config.name,
      seq,
      parentSeq: this.seqReached,
      createdAt: new Date(this.options.clock()).toISOString(),
      writer: this.options.writer,
      consistent,
      nextIno: snapshot.nextIno,
      inodes: stored.inodes,
    };
    const encoded = encodeVersionObject(record, this.parent, this.chain);
    const { body } = encoded;
    const uploads = data.pendingBlocks().filter((b) => !this.knownBlocks.has(b.hash));
    this.changedSinceCommit = false;

    try {
      await this.uploadBlocks(uploads);
      await this.writeVersion(seq, body);
    } catch (err) {
      this.changedSinceCommit = true;
      end?.({ result: 'error' });
      this.options.logger.error({ seq, reason, err }, 'commit failed');
      if (err instanceof ChalkError && (err.kind === 'read-only' || err.kind === 'lease-held')) throw err;
      throw new ChalkError('io', `commit of ${config.name} version ${seq} failed: ${(err as Error).message}`, { cause: err });
    }
    this.seqReached = seq;
    this.parent = record;
    this.chain = encoded.chain;
    if (consistent) this.lastConsistentSeq = seq;
    this.rememberBlocks(record);
    this.options.metrics?.versionBytes.observe({ kind: encoded.kind }, body.length);
    for (const block of data.pendingBlocks()) data.confirmUploaded(block.hash);
    this.uploads.forgetFinished(data.filledHashes());
    end?.({ result: 'ok' });
    this.options.metrics?.versionSeq.set(seq);
    this.options.logger.debug({ seq, reason, consistent, databasesSettled, blocks: uploads.length, tookMs: Math.round(performance.now() - startedMs) }, 'committed');
    this.head.update({ seq, consistentSeq: this.lastConsistentSeq });
    return seq;
  }

  /**
   * Returns once the store holds `body` at `seq`. A PUT whose outcome is unknown (its
   * answer lost) or refused with 412 is settled by asking the store (version-outcome.ts)
   * before answering: a commit is never reported failed while its version may be there,
   * since the application would then undo a transaction readers may already have seen
   * (docs/CONSISTENCY.md, "Failures").
   */
  private async writeVersion(seq: number, body: Buffer): Promise<void> {
    const { repo, config, writer, logger } = this.options;
    try {
      await repo.writeEncodedVersion(config.name, seq, body);
      return;
    } catch (err) {
      if (!isChalkError(err, 'precondition') && !isAmbiguous(err)) throw err;
      const outcome = await resolveVersionOutcome({
        store: repo.store,
        key: storeKeys.version(config.name, seq),
        body,
        mountId: writer.mountId,
        timeoutMs: this.options.commitOutcomeTimeoutMs ?? defaultCommitOutcomeTimeoutMs,
        keepTrying: () => this.options.lease?.held() ?? true,
        onRetry: (retryErr) => logger.warn({ seq, err: retryErr }, 'the outcome of a version write is not known yet; asking the store again'),
      });
      if (outcome.kind === 'written') return;
      // Absent, or unknown because the store does not answer: the commit fails, and the
      // mount stays writable. Its next version is created at `seq` with If-None-Match, so
      // it either takes `seq` (and this attempt can never land) or finds this attempt
      // landed after all (412: 'earlier-attempt' below) and fences instead of replacing it.
      if (outcome.kind === 'absent' || outcome.kind === 'unknown') {
        const what = outcome.kind === 'absent' ? 'is not in the store and could not be written' : 'may or may not have been written (the store did not answer)';
        throw new ChalkError('io', `version ${seq} ${what}`, { cause: outcome.lastError ?? err });
      }
      await this.fence(
        outcome.kind === 'earlier-attempt'
          ? `an attempt to write version ${seq} that was reported failed landed later; the application may have undone what it holds`
          : `version ${seq} was written by ${outcome.existing ? `${outcome.existing.writer.host} pid ${outcome.existing.writer.pid}` : 'another writer'}`,
      );
      throw new ChalkError('read-only', `volume ${config.name}: ${this.fencedReason}; this mount no longer accepts writes`, { cause: err });
    }
  }

  /** Whether a block is named by a file of the namespace or one still open (an unlinked file's handle reads it). */
  private referencedBlocks(): (hash: string) => boolean {
    const hashes = new Set<string>();
    const add = (inode: Inode) => {
      if (inode.type === 'file') for (const hash of inode.blocks) if (hash) hashes.add(hash);
    };
    for (const inode of this.state.ns.inodes.values()) add(inode);
    for (const inode of this.state.handles.openInodes()) add(inode);
    for (const inode of this.mayBeRestored) add(inode);
    return (hash) => hashes.has(hash);
  }

  /** This mount's history has forked: never write again, and stop holding the lease. */
  private async fence(reason: string): Promise<void> {
    this.fencedReason ??= reason;
    await this.options.lease?.fence(reason);
  }

  private async checkHistoryAfterRetake(): Promise<void> {
    const retakes = this.options.lease?.retakes ?? 0;
    const { repo, config, writer } = this.options;
    const foreign = await firstForeignVersion(repo, config.name, this.seqReached, writer.mountId);
    if (foreign) {
      await this.fence(`version ${foreign.seq} was written by ${foreign.writer.host} pid ${foreign.writer.pid} while this mount's writer lease had lapsed`);
      this.changedSinceCommit = true;
      throw new ChalkError('read-only', `volume ${config.name}: ${this.fencedReason}; this mount no longer accepts writes`);
    }
    this.historyCheckedAtRetake = retakes;
  }

  /** Every block in the store, `uploadConcurrency` PUTs at a time; those a write already started are waited for. */
  private async uploadBlocks(blocks: PendingBlock[]): Promise<void> {
    const results = await Promise.allSettled(blocks.map((block) => this.uploads.ensure(block.hash, block.data)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Keeps the inline patches a version carries (and re-uploads on every commit) bounded:
   * past the budget, the most-patched blocks become whole blocks again at this commit.
   */
  private blocksToFold(): PatchedBlock[] {
    const patched: PatchedBlock[] = [];
    for (const [ino, inode] of this.state.ns.inodes) {
      if (inode.type !== 'file' || !inode.patches) continue;
      for (const [index, extents] of Object.entries(inode.patches)) patched.push({ ino, index: Number(index), bytes: extentBytes(extents) });
    }
    return blocksToFold(patched, this.options.patchBudgetBytes ?? 0);
  }

  private rememberBlocks(record: VersionRecord): void {
    this.knownBlocks = new Set();
    for (const inode of Object.values(record.inodes)) {
      if (inode.type === 'file') for (const hash of inode.blocks) if (hash) this.knownBlocks.add(hash);
    }
  }
}
