import type { Logger } from 'pino';
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import type { Metrics } from '../util/metrics.js';
import type { BlockCache } from '../cache/block-cache.js';
import { storeKeys } from '../meta/store-keys.js';
import { Namespace, type Owner } from '../meta/namespace.js';
import { VolumeRepository } from '../meta/volume-repository.js';
import { versionFormat, type FileInode, type Inode, type VersionRecord, type VolumeConfig, type WriterInfo } from '../meta/format.js';
import type { WriterLease } from '../lease/writer-lease.js';
import { firstForeignVersion } from './foreign-versions.js';
import { FileData, type PendingBlock } from './file-data.js';
import { attributesOf, type Attributes } from './attributes.js';
import { isTransactionConsistent } from './sqlite-consistency.js';
import { blocksToFold, extentBytes, type PatchedBlock } from './block-patches.js';
import { SequentialReads } from './sequential-reads.js';
import { blocksToHaveBeforeAdopting } from './adoption-plan.js';
import { RefreshSchedule } from './refresh-schedule.js';
import { defaultCommitOutcomeTimeoutMs, isAmbiguous, resolveVersionOutcome } from './version-outcome.js';
import { classify, withoutHostLocalFiles } from './sqlite-files.js';
import { WalRefusal } from './wal-refusal.js';
import { VolumeExistence, type VolumeState } from './volume-existence.js';

export type MountMode = 'read-write' | 'read-only' | 'pinned';

export interface MountedVolumeOptions {
  repo: VolumeRepository;
  config: VolumeConfig;
  cache: BlockCache;
  mode: MountMode;
  /** For mode 'pinned': the version to serve. */
  pinnedSeq?: number;
  writer: WriterInfo;
  owner: Owner;
  logger: Logger;
  metrics?: Metrics;
  clock?: () => number;
  /** Read-only mounts look for newer versions this often while the volume changes... */
  refreshIntervalMs: number;
  /** ...backing off to this often while it does not (vfs/refresh-schedule.ts); default 4× refreshIntervalMs. */
  idleRefreshIntervalMs?: number;
  /** Read-write mounts commit changes no fsync or close committed after this long. */
  autoCommitMs: number;
  /** Dirty bytes in memory before writes wait for a commit to upload them. */
  dirtyLimitBytes: number;
  readaheadBlocks: number;
  uploadConcurrency: number;
  /**
   * Small changes to a committed block are stored inline in the version as patches
   * (docs/FORMAT.md) when they cover at most this many bytes of the block; 0 disables.
   */
  maxPatchBytesPerBlock?: number;
  /** Patch bytes a version may carry before commits fold the largest back into blocks. */
  patchBudgetBytes?: number;
  lease?: WriterLease;
  /**
   * How long a commit whose version PUT has an unknown outcome keeps asking the store
   * (while the lease is held) before giving up and fencing the mount; see version-outcome.ts.
   */
  commitOutcomeTimeoutMs?: number;
}

interface Handle {
  ino: number;
  inode: FileInode;
  writable: boolean;
  reads: SequentialReads;
}

const O_ACCMODE = 3;
const O_RDONLY = 0;
const UTIME_OMIT_MS = 2 ** 52;
const NO_CHANGE_ID = 0xffffffff;
/**
 * A file's block list is dense (holes are nulls), so its length bounds the file size:
 * without a bound, one write at a huge offset made a list of billions of entries and
 * the daemon died (ENOTCONN). 2^22 blocks: 16 GiB with 4 KiB blocks, 4 TiB with 1 MiB.
 */
export const maxBlocksPerFile = 2 ** 22;

/** A follower that saw no new version for this many active intervals (10 s at 250 ms) backs off. */
const idleAfterIntervals = 40;
/** Empty polls between two reads of the head hint (see newestAdoptable). */
const headCheckEvery = 30;

/** The kernel's readahead window on a mount (fuse/kernel-readahead.ts sets 4 MiB). */
const sequentialWindowBytes = 4 * 1024 * 1024;

/**
 * One mounted volume: the namespace of the version it serves, open handles, dirty data,
 * and the rules for when a new version is written (fsync, close, periodically) or, on a
 * read-only mount, adopted. The FUSE layer calls these methods with paths and handles;
 * every failure is a ChalkError.
 */
export class MountedVolume {
  private ns: Namespace;
  private seq: number;
  private readonly data: FileData;
  private readonly handles = new Map<number, Handle>();
  private readonly openCounts = new Map<number, number>();
  /** Read-only mounts: inodes kept at their old version while open (see CONSISTENCY.md). */
  private readonly pins = new Map<number, FileInode>();
  /** Read-only mounts: the inode each file's last getattr reported, i.e. what the kernel caches. */
  private readonly reported = new Map<number, FileInode>();
  /**
   * Called just before getattr's answer for some path may change (new version, pins):
   * before, not after, so that no cached answer is served once the change is made.
   */
  private attributesChanged: () => void = () => undefined;
  /**
   * Blocks the last committed version names: a commit need not upload these. Only that
   * version's, not every block ever seen: gc may delete blocks no retained version names,
   * and the latest version is always retained (docs/FORMAT.md, "Garbage").
   */
  private knownBlocks = new Set<string>();
  private nextFh = 1;
  private changed = false;
  private fenced: string | undefined;
  /** The lease's retake count when history was last checked (see foreign-versions.ts). */
  private historyCheckedAtRetake = 0;
  private commitChain: Promise<unknown> = Promise.resolve();
  private queuedCommit: Promise<number> | undefined;
  private headWrite: Promise<void> | undefined;
  private headDirty = false;
  private lastHeadWriteMs = 0;
  private wakeHeadWriter: (() => void) | undefined;
  private lastConsistentSeq: number;
  /** Journals seen hot at least once: zeroed again, they no longer make a version inconsistent. */
  private readonly journalsSeenHot = new Set<number>();
  /** Inodes a journal's removal took out of the namespace, put back if its commit fails. */
  private readonly mayBeRestored = new Set<Inode>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;
  /** Read-only mounts: versions found inconsistent (never adoptable), so each is read once. */
  private readonly knownInconsistent = new Set<number>();
  /** Read-only mounts: the newest consistent version found and not adopted yet (the store failed before it could be). */
  private adoptionWaiting: number | undefined;
  private readonly fetchBlock: (hash: string) => Promise<Buffer>;
  private readonly schedule: RefreshSchedule;
  private emptyPolls = 0;
  private closed = false;
  private readonly clock: () => number;
  private readonly walRefusal: WalRefusal;
  /** Whether the volume is still in the store (volume rm --force may delete it under us). */
  readonly existence: VolumeExistence;

  private constructor(
    private readonly options: MountedVolumeOptions,
    record: VersionRecord,
  ) {
    this.clock = options.clock ?? Date.now;
    this.schedule = new RefreshSchedule(options.refreshIntervalMs, options.idleRefreshIntervalMs ?? 4 * options.refreshIntervalMs, idleAfterIntervals * options.refreshIntervalMs, this.clock);
    this.walRefusal = new WalRefusal(options.config.name, options.logger);
    this.existence = new VolumeExistence(options.repo, options.config.name, options.logger);
    this.ns = servedNamespace(record);
    this.seq = record.seq;
    for (const ino of [...this.reported.keys()]) if (!this.ns.inodes.has(ino)) this.reported.delete(ino);
    this.lastConsistentSeq = record.consistent ? record.seq : 0;
    const { repo, config } = options;
    this.fetchBlock = async (hash) => {
      try {
        return (await repo.store.get(storeKeys.block(config.name, hash))).body;
      } catch (err) {
        throw isChalkError(err, 'not-found') ? await this.existence.missingBlock(hash, err) : err;
      }
    };
    this.data = new FileData(config.blockSizeBytes, options.cache, this.fetchBlock, options.maxPatchBytesPerBlock ?? 0);
    this.rememberBlocks(record);
    // Journals a consistent version already holds are idle PERSIST/TRUNCATE journals.
    if (record.consistent) for (const { ino, path, inode } of this.ns.walk()) if (inode.type === 'file' && path.endsWith('-journal')) this.journalsSeenHot.add(ino);
    options.metrics?.versionSeq.set(record.seq);
  }

  static async open(options: MountedVolumeOptions): Promise<MountedVolume> {
    const { repo, config, mode } = options;
    let record: VersionRecord | undefined;
    if (mode === 'pinned') {
      if (options.pinnedSeq === undefined) throw new ChalkError('config', 'a pinned mount needs a version');
      try {
        record = await repo.readVersion(config.name, options.pinnedSeq);
      } catch (err) {
        if (isChalkError(err, 'not-found')) throw new ChalkError('not-found', `volume ${config.name} has no version ${options.pinnedSeq}`, { cause: err });
        throw err;
      }
    } else if (mode === 'read-write') {
      // The writer continues from the newest durable version, consistent or not: a hot
      // journal in it is rolled back by SQLite itself, as after a power cut.
      record = await repo.readVersion(config.name, await repo.latestSeq(config.name));
    } else {
      record = await repo.latestConsistent(config.name);
      if (!record) throw new ChalkError('corrupt', `volume ${config.name} has no consistent version to serve`);
    }
    const volume = new MountedVolume(options, record);
    volume.startTimer();
    return volume;
  }

  get versionSeq(): number {
    return this.seq;
  }

  get mode(): MountMode {
    return this.options.mode;
  }

  get blockSizeBytes(): number {
    return this.options.config.blockSizeBytes;
  }

  status(): { seq: number; mode: MountMode; openHandles: number; dirtyBytes: number; unuploadedBytes: number; fenced?: string; leaseHeld?: boolean; adoptionWaiting?: number; problem?: string; volumeState: VolumeState } {
    return {
      seq: this.seq,
      adoptionWaiting: this.adoptionWaiting,
      mode: this.options.mode,
      openHandles: this.handles.size,
      dirtyBytes: this.data.dirtyBytes,
      unuploadedBytes: this.data.unuploadedBytes,
      fenced: this.fenced ?? this.options.lease?.fenced,
      leaseHeld: this.options.lease?.held(),
      problem: this.walRefusal.problem,
      volumeState: this.existence.state,
    };
  }

  /**
   * Between two calls of `listener`, getattr(path) answers the same for every path, so
   * the FUSE layer may cache answers until the next call (fuse-mount.ts).
   */
  onAttributesChanged(listener: () => void): void {
    this.attributesChanged = listener;
  }

  // ---- namespace -------------------------------------------------------------------

  getattr(path: string): Attributes {
    const { ino, inode } = this.resolve(path);
    if (this.options.mode === 'read-only' && inode.type === 'file') this.reported.set(ino, inode);
    return attributesOf(ino, inode, this.ns.nlink(inode), this.blockSizeBytes);
  }

  readdir(path: string): string[] {
    const { inode } = this.resolve(path);
    if (inode.type !== 'dir') throw new ChalkError('not-a-directory', `${path}: not a directory`);
    return ['.', '..', ...Object.keys(inode.entries)];
  }

  readlink(path: string): string {
    const { inode } = this.resolve(path);
    if (inode.type !== 'symlink') throw new ChalkError('invalid', `${path}: not a symbolic link`);
    return inode.target;
  }

  mkdir(path: string, mode: number): void {
    this.assertWritable();
    this.ns.mkdir(path, mode, this.options.owner, this.clock());
    this.changed = true;
  }

  rmdir(path: string): void {
    this.assertWritable();
    this.ns.rmdir(path, this.clock());
    this.changed = true;
  }

  symlink(target: string, path: string): void {
    this.assertWritable();
    this.ns.symlink(target, path, this.options.owner, this.clock());
    this.changed = true;
  }

  /**
   * In DELETE journal mode, deleting the journal is what commits a SQLite transaction,
   * and SQLite syncs nothing after it (the syncs before it were deferred while the
   * journal was hot): so deleting a journal commits before it returns, or a crash would
   * lose a transaction whose COMMIT had returned.
   */
  unlink(path: string): Promise<void> | void {
    this.assertWritable();
    if (!path.endsWith('-journal')) {
      const ino = this.ns.unlink(path, this.clock());
      if (!this.openCounts.has(ino)) this.data.discard(ino);
      this.changed = true;
      return;
    }
    return this.unlinkJournal(path);
  }

  /**
   * Deleting a journal is DELETE mode's commit point, and SQLite syncs nothing after it:
   * the deletion commits before it returns. If that commit fails, the deletion is undone
   * (entry and unsynced content), so the application sees the journal still there and
   * hot, exactly as the store does: SQLite then rolls the transaction back, instead of
   * trusting a deletion that never became durable.
   */
  private async unlinkJournal(path: string): Promise<void> {
    const { parentIno, name } = this.ns.parentOf(path);
    const { inode } = this.ns.resolve(path);
    const ino = this.ns.unlink(path, this.clock());
    await this.commitJournalRemoval(() => this.ns.restore(parentIno, name, ino, inode), [inode]);
    this.journalsSeenHot.delete(ino);
    if (!this.openCounts.has(ino) && !this.ns.inodes.has(ino)) this.data.discard(ino);
  }



  /**
   * A journal renamed to a name that is not a journal is deleted as far as SQLite can
   * tell, so it is a commit point like unlinkJournal. This is not hypothetical: libfuse 2
   * turns an unlink of a file it still counts as open into a rename to `.fuse_hidden…`,
   * and SQLite's DELETE-mode commit (close the journal, then unlink it) can get there
   * before the kernel's release of the journal has been processed.
   */
  rename(from: string, to: string): Promise<void> | void {
    this.assertWritable();
    if (from.endsWith('-journal') && !to.endsWith('-journal')) return this.renameJournalAway(from, to);
    const replaced = this.ns.rename(from, to, this.clock());
    if (replaced !== undefined && !this.openCounts.has(replaced)) this.data.discard(replaced);
    this.changed = true;
  }

  /**
   * Commits a journal's removal (already made in the namespace) before returning; if the
   * commit fails, `undo` puts the journal back, so the application sees it still there
   * and hot, exactly as the store does.
   */
  private async commitJournalRemoval(undo: () => void, removed: Inode[]): Promise<void> {
    this.changed = true;
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

  /** See rename: commits before returning; a failed commit puts both names back. */
  private async renameJournalAway(from: string, to: string): Promise<void> {
    const existing = this.ns.tryResolve(to);
    const target = existing && { ...this.ns.parentOf(to), ...existing };
    const replaced = this.ns.rename(from, to, this.clock());
    await this.commitJournalRemoval(() => {
      this.ns.rename(to, from, this.clock());
      if (target) this.ns.restore(target.parentIno, target.name, target.ino, target.inode);
    }, target ? [target.inode] : []);
    if (replaced !== undefined && !this.openCounts.has(replaced)) this.data.discard(replaced);
  }

  chmod(path: string, mode: number): void {
    this.assertWritable();
    const { inode } = this.resolve(path);
    this.ns.setMode(inode, mode, this.clock());
    this.changed = true;
  }

  chown(path: string, uid: number, gid: number): void {
    this.assertWritable();
    const { inode } = this.resolve(path);
    this.ns.setOwner(inode, { uid: uid === NO_CHANGE_ID ? undefined : uid, gid: gid === NO_CHANGE_ID ? undefined : gid }, this.clock());
    this.changed = true;
  }

  utimens(path: string, atimeMs: number, mtimeMs: number): void {
    this.assertWritable();
    const { inode } = this.resolve(path);
    this.ns.setTimes(inode, { atimeMs: atimeMs === UTIME_OMIT_MS ? undefined : atimeMs, mtimeMs: mtimeMs === UTIME_OMIT_MS ? undefined : mtimeMs }, this.clock());
    this.changed = true;
  }

  async truncate(path: string, sizeBytes: number): Promise<void> {
    const { ino, inode } = this.resolve(path);
    await this.truncateInode(ino, inode, sizeBytes, path);
  }

  async ftruncate(fh: number, sizeBytes: number): Promise<void> {
    const handle = this.handle(fh);
    await this.truncateInode(handle.ino, handle.inode, sizeBytes, `handle ${fh}`);
  }

  statfs(): { bsize: number; frsize: number; blocks: number; bfree: number; bavail: number; files: number; ffree: number; favail: number; namemax: number } {
    // An object store has no fixed capacity: report a large, constant one.
    const blocks = 0xffffffff;
    const used = Math.ceil(this.ns.stats().sizeBytes / 4096);
    return { bsize: 4096, frsize: 4096, blocks, bfree: blocks - used, bavail: blocks - used, files: 1e9, ffree: 1e9 - this.ns.inodes.size, favail: 1e9 - this.ns.inodes.size, namemax: 255 };
  }

  // ---- files -----------------------------------------------------------------------

  /** Synchronous unless a read-only mount must first read a database's header (WalRefusal). */
  open(path: string, flags: number): number | Promise<number> {
    const { ino, inode } = this.resolve(path);
    if (inode.type === 'dir') throw new ChalkError('is-a-directory', `${path}: is a directory`);
    if (inode.type !== 'file') throw new ChalkError('invalid', `${path}: not a regular file`);
    const writable = (flags & O_ACCMODE) !== O_RDONLY;
    if (writable) {
      this.explainWal(path);
      this.assertWritable();
    }
    if (this.options.mode !== 'read-write') {
      const loading = this.walRefusal.check(path, inode, {
        exists: (p) => this.ns.tryResolve(p) !== undefined,
        peekFirstBlock: () => this.data.peekBlock(ino, inode, 0),
        loadFirstBlock: () => this.data.blockContent(ino, inode, 0),
      });
      // A version adopted meanwhile is a new inode: the next call decides again.
      if (loading) return loading.then(() => this.open(path, flags));
    }
    // The kernel sized this file from the lookup just before open(2). If a new version
    // was adopted in between, serve the version the kernel saw until the file is closed.
    const seen = this.reported.get(ino);
    if (seen && seen !== inode && !this.pins.has(ino)) {
      this.attributesChanged();
      this.pins.set(ino, seen);
      return this.addHandle(ino, seen, false);
    }
    return this.addHandle(ino, inode, writable);
  }

  /**
   * Whether this handle may also serve every later read-only open of its path until
   * attributes next change (onAttributesChanged): the FUSE layer then answers those opens
   * without calling open, and releases the handle once (see fuse-mount.ts). True for a
   * read-only handle of the version's own inode on a mount that never writes; never for
   * a pinned inode, whose pin must end when the last open of it is released.
   */
  shareable(fh: number): boolean {
    const handle = this.handles.get(fh);
    if (!handle || handle.writable || this.options.mode === 'read-write') return false;
    return !this.pins.has(handle.ino) && this.ns.inodes.get(handle.ino) === handle.inode;
  }

  create(path: string, mode: number): number {
    this.explainWal(path);
    this.assertWritable();
    const { ino, inode } = this.ns.createFile(path, mode, this.options.owner, this.clock());
    this.changed = true;
    return this.addHandle(ino, inode, true);
  }

  async read(fh: number, target: Buffer, length: number, offset: number): Promise<number> {
    const handle = this.handle(fh);
    const count = await this.data.read(handle.ino, handle.inode, target, length, offset);
    if (handle.reads.observe(offset, count) && this.options.readaheadBlocks > 0) {
      // The kernel's own readahead already asks for the block after the frontier.
      const nextBlock = Math.floor(handle.reads.nextOffset / this.blockSizeBytes) + 1;
      this.data.prefetch(handle.inode, nextBlock, this.options.readaheadBlocks);
    }
    return count;
  }

  /** `data` must already be a private copy: FUSE reuses its buffers. */
  async write(fh: number, data: Buffer, offset: number): Promise<number> {
    const handle = this.handle(fh);
    if (!handle.writable) throw new ChalkError('bad-handle', `handle ${fh} is not open for writing`);
    this.assertWritable();
    this.assertFileSize(offset + data.length, `handle ${fh}`);
    if (this.data.unuploadedBytes > this.options.dirtyLimitBytes) await this.commitToMakeRoom();
    await this.data.write(handle.ino, handle.inode, data, offset, () => this.ns.extendTo(handle.inode, offset + data.length));
    this.ns.touchData(handle.inode, this.clock());
    this.changed = true;
    return data.length;
  }

  /** close(2): publishes what this handle wrote (see syncDeferred for SQLite files). */
  async flush(fh: number, path: string): Promise<void> {
    const handle = this.handle(fh);
    if (handle.writable && this.changed && !this.syncDeferred(path)) await this.commit('close');
  }

  release(fh: number): void {
    const handle = this.handles.get(fh);
    if (!handle) return;
    this.handles.delete(fh);
    const left = (this.openCounts.get(handle.ino) ?? 1) - 1;
    if (left > 0) {
      this.openCounts.set(handle.ino, left);
      return;
    }
    this.openCounts.delete(handle.ino);
    if (this.pins.has(handle.ino)) {
      this.attributesChanged();
      this.pins.delete(handle.ino);
    }
    if (!this.ns.inodes.has(handle.ino)) this.data.discard(handle.ino);
  }

  /** fsync(2), fdatasync(2) and fsync of a directory: returns once a version holding everything is durable. */
  async fsync(path: string): Promise<void> {
    if (this.options.mode !== 'read-write' || this.syncDeferred(path)) return;
    await this.commit('fsync');
  }

  /**
   * SQLite-aware durability (docs/CONSISTENCY.md): while a transaction is under way (a
   * rollback journal is hot, or new and not yet hot), a sync of that journal, of its
   * database or of their directory is deferred to the commit that ends the
   * transaction (journal deleted, truncated or zeroed, each followed by a sync). A
   * version is an atomic snapshot of every file, so the store holds either the state
   * before the transaction or after it; SQLite's COMMIT returns only after that final
   * sync, so nothing it acknowledged is lost, and one store commit serves the whole
   * transaction instead of three. The periodic commit still bounds what a crash loses
   * of an unfinished transaction (which SQLite would roll back anyway).
   */
  private syncDeferred(path: string): boolean {
    const target = this.ns.tryResolve(path);
    if (target?.inode.type === 'dir') {
      // SQLite syncs the directory right after creating a journal: part of the same transaction.
      const base = path === '/' ? '' : path;
      return Object.keys(target.inode.entries).some((name) => name.endsWith('-journal') && this.transactionOpen(`${base}/${name}`));
    }
    return this.transactionOpen(path.endsWith('-journal') ? path : `${path}-journal`);
  }

  /**
   * A transaction is under way on the journal's database while the journal is hot, and
   * also while it is a new, non-empty journal that has never been hot: with
   * synchronous=FULL SQLite syncs a new journal once with a zeroed header before writing
   * its magic, and that sync orders nothing a version needs (the database is not
   * written before the journal is hot). A journal zeroed after being hot (PERSIST mode's
   * commit) ends the transaction: its sync commits.
   */
  private transactionOpen(journalPath: string): boolean {
    const journal = this.ns.tryResolve(journalPath);
    if (!journal || journal.inode.type !== 'file' || journal.inode.sizeBytes === 0) return false;
    const header = this.data.peekBlock(journal.ino, journal.inode, 0);
    if (!header) return false;
    const hot = header.subarray(0, Math.min(8, journal.inode.sizeBytes)).some((byte) => byte !== 0);
    if (hot) this.journalsSeenHot.add(journal.ino);
    return hot || !this.journalsSeenHot.has(journal.ino);
  }

  // ---- commits (read-write) ----------------------------------------------------------

  /**
   * Writes a new version holding everything changed so far. Callers that arrive while
   * a commit runs share the next one (group commit); the promise resolves with the
   * version number once it is durable in the store.
   */
  commit(reason: string): Promise<number> {
    if (this.options.mode !== 'read-write') return Promise.resolve(this.seq);
    if (this.queuedCommit) return this.queuedCommit;
    const run = this.commitChain.then(() => {
      this.queuedCommit = undefined;
      return this.commitNow(reason);
    });
    this.queuedCommit = run;
    this.commitChain = run.catch(() => undefined);
    return run;
  }

  private async commitNow(reason: string): Promise<number> {
    if (!this.changed && this.data.pendingBlocks().length === 0) return this.seq;
    this.assertCanCommit();
    // Awaited only when there is something to check: commits group on the same tick.
    if ((this.options.lease?.retakes ?? 0) !== this.historyCheckedAtRetake) await this.checkHistoryAfterRetake();
    const end = this.options.metrics?.commits.startTimer();
    const { repo, config } = this.options;
    await this.loadJournalHeaders();
    const fold = this.blocksToFold();
    if (fold.length > 0) await Promise.all(fold.map(({ ino, index }) => this.data.fold(ino, this.ns.inodes.get(ino) as FileInode, index)));

    // Sealing, the snapshot and the consistency check see one instant's state (no await
    // between them). Host-local files (a WAL's -shm) stay in this mount's memory, never
    // in a version.
    const hostLocal = withoutHostLocalFiles(Object.fromEntries(this.ns.inodes)).left;
    for (const ino of this.data.dirtyInodes()) {
      if (hostLocal.has(ino)) continue;
      const inode = this.ns.inodes.get(ino);
      if (inode?.type === 'file') this.ns.applySeal(inode, this.data.seal(ino, inode));
    }
    const snapshot = this.ns.snapshot();
    const stored = withoutHostLocalFiles(snapshot.inodes);
    this.data.dropUnreferencedPending(this.referencedBlocks());
    const consistent = isTransactionConsistent(
      this.ns,
      (ino, inode) => {
        const header = this.data.peekBlock(ino, inode, 0);
        if (header && header.subarray(0, Math.min(8, inode.sizeBytes)).some((byte) => byte !== 0)) this.journalsSeenHot.add(ino);
        return header;
      },
      (ino) => this.journalsSeenHot.has(ino),
    );
    const seq = this.seq + 1;
    const record: VersionRecord = {
      format: versionFormat,
      volume: config.name,
      seq,
      parentSeq: this.seq,
      createdAt: new Date(this.clock()).toISOString(),
      writer: this.options.writer,
      consistent,
      nextIno: snapshot.nextIno,
      inodes: stored.inodes,
    };
    const body = VolumeRepository.encodeVersion(record);
    const uploads = this.data.pendingBlocks().filter((b) => !this.knownBlocks.has(b.hash));
    this.changed = false;

    try {
      await this.uploadBlocks(uploads);
      await this.writeVersion(seq, body);
    } catch (err) {
      this.changed = true;
      end?.({ result: 'error' });
      this.options.logger.error({ seq, reason, err }, 'commit failed');
      if (err instanceof ChalkError && (err.kind === 'read-only' || err.kind === 'lease-held')) throw err;
      throw new ChalkError('io', `commit of ${config.name} version ${seq} failed: ${(err as Error).message}`, { cause: err });
    }
    this.seq = seq;
    if (consistent) this.lastConsistentSeq = seq;
    this.rememberBlocks(record);
    for (const block of this.data.pendingBlocks()) this.data.confirmUploaded(block.hash);
    end?.({ result: 'ok' });
    this.options.metrics?.versionSeq.set(seq);
    this.options.logger.debug({ seq, reason, consistent, blocks: uploads.length }, 'committed');
    this.updateHead();
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
      throw new ChalkError('read-only', `volume ${config.name}: ${this.fenced}; this mount no longer accepts writes`, { cause: err });
    }
  }

  /**
   * A write over the dirty limit waits for a commit to upload what is held. If that
   * fails (the store is down), memory would keep growing: the write fails instead, with
   * the reason, and the application can retry once the store is back.
   */
  private async commitToMakeRoom(): Promise<void> {
    try {
      await this.commit('dirty-limit');
    } catch (err) {
      const limitMiB = (this.options.dirtyLimitBytes / 2 ** 20).toFixed(1);
      throw new ChalkError(isChalkError(err, 'read-only') ? 'read-only' : 'io', `volume ${this.options.config.name}: ${(this.data.unuploadedBytes / 2 ** 20).toFixed(1)} MiB written but not yet in the store (limit ${limitMiB} MiB), and the commit that would upload them failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Whether a block is named by a file of the namespace or one still open (an unlinked file's handle reads it). */
  private referencedBlocks(): (hash: string) => boolean {
    const hashes = new Set<string>();
    const add = (inode: Inode) => {
      if (inode.type === 'file') for (const hash of inode.blocks) if (hash) hashes.add(hash);
    };
    for (const inode of this.ns.inodes.values()) add(inode);
    for (const handle of this.handles.values()) add(handle.inode);
    for (const inode of this.mayBeRestored) add(inode);
    return (hash) => hashes.has(hash);
  }

  /** This mount's history has forked: never write again, and stop holding the lease. */
  private async fence(reason: string): Promise<void> {
    this.fenced ??= reason;
    await this.options.lease?.fence(reason);
  }

  private async checkHistoryAfterRetake(): Promise<void> {
    const retakes = this.options.lease?.retakes ?? 0;
    const { repo, config, writer } = this.options;
    const foreign = await firstForeignVersion(repo, config.name, this.seq, writer.mountId);
    if (foreign) {
      await this.fence(`version ${foreign.seq} was written by ${foreign.writer.host} pid ${foreign.writer.pid} while this mount's writer lease had lapsed`);
      this.changed = true;
      throw new ChalkError('read-only', `volume ${config.name}: ${this.fenced}; this mount no longer accepts writes`);
    }
    this.historyCheckedAtRetake = retakes;
  }

  private async uploadBlocks(blocks: PendingBlock[]): Promise<void> {
    const { repo, config } = this.options;
    const queue = [...blocks];
    const worker = async () => {
      for (let block = queue.pop(); block; block = queue.pop()) {
        await repo.store.put(storeKeys.block(config.name, block.hash), block.data);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.uploadConcurrency, queue.length) }, worker));
  }

  /**
   * Keeps the inline patches a version carries (and re-uploads on every commit) bounded:
   * past the budget, the most-patched blocks become whole blocks again at this commit.
   */
  private blocksToFold(): PatchedBlock[] {
    const patched: PatchedBlock[] = [];
    for (const [ino, inode] of this.ns.inodes) {
      if (inode.type !== 'file' || !inode.patches) continue;
      for (const [index, extents] of Object.entries(inode.patches)) patched.push({ ino, index: Number(index), bytes: extentBytes(extents) });
    }
    return blocksToFold(patched, this.options.patchBudgetBytes ?? 0);
  }

  /** The consistency check reads journal headers synchronously: bring them into memory first. */
  private async loadJournalHeaders(): Promise<void> {
    const loads: Promise<unknown>[] = [];
    for (const { ino, path, inode } of this.ns.walk()) {
      if (inode.type === 'file' && path.endsWith('-journal') && inode.sizeBytes > 0 && this.data.peekBlock(ino, inode, 0) === undefined) {
        loads.push(this.data.blockContent(ino, inode, 0));
      }
    }
    await Promise.all(loads);
  }

  /** The head object is a hint for mounts; it is written after commits, off their path. */
  private updateHead(): void {
    this.headDirty = true;
    if (this.headWrite) return;
    this.headWrite = (async () => {
      while (this.headDirty) {
        // A hint needs no more than one write a second, whatever the commit rate.
        const waitMs = this.lastHeadWriteMs + 1000 - this.clock();
        if (waitMs > 0 && !this.closed) {
          await new Promise<void>((wake) => {
            const timer = setTimeout(wake, waitMs);
            timer.unref();
            this.wakeHeadWriter = () => {
              clearTimeout(timer);
              wake();
            };
          });
          this.wakeHeadWriter = undefined;
        }
        this.headDirty = false;
        this.lastHeadWriteMs = this.clock();
        try {
          await this.options.repo.writeHead(this.options.config.name, { seq: this.seq, consistentSeq: this.lastConsistentSeq, updatedAt: new Date(this.clock()).toISOString() });
        } catch (err) {
          this.options.logger.warn({ err: (err as Error).message }, 'could not update the head hint');
        }
      }
      this.headWrite = undefined;
    })();
  }

  // ---- following a writer (read-only) -------------------------------------------------

  /** Adopts the newest consistent version, if newer. Returns whether it changed. */
  async refresh(): Promise<boolean> {
    if (this.options.mode !== 'read-only' || this.refreshing) return false;
    this.refreshing = true;
    try {
      const record = await this.newestAdoptable();
      if (!record || record.seq <= this.seq) return false;
      this.adoptionWaiting = Math.max(record.seq, this.adoptionWaiting ?? 0);
      await this.fetchBeforeAdopting(record);
      this.adopt(record);
      return true;
    } finally {
      this.refreshing = false;
    }
  }

  /**
   * The newest consistent version newer than this mount's, found with as few requests as
   * the usual cases allow, and no LIST unless several versions appeared since the last
   * poll: nothing new costs one GET (of the version after the newest known, a 404); one
   * new version costs two. Every `headCheckEvery` empty polls the head hint is read too,
   * because versions a follower never saw may have been collected (a mount left behind
   * for longer than the retention): then only a listing finds the newest.
   */
  private async newestAdoptable(): Promise<VersionRecord | undefined> {
    const { repo, config } = this.options;
    const known = Math.max(this.seq, ...this.knownInconsistent);
    const next = await repo.probeVersion(config.name, known + 1);
    if (!next) {
      if (++this.emptyPolls % headCheckEvery !== 0) return undefined;
      const head = await repo.readHead(config.name);
      if (!head || head.seq <= known) return undefined;
    } else {
      this.schedule.sawChange();
      if (next.consistent) this.adoptionWaiting = Math.max(next.seq, this.adoptionWaiting ?? 0);
      else this.knownInconsistent.add(next.seq);
      const after = await repo.probeVersion(config.name, known + 2);
      if (!after) return next.consistent ? next : undefined;
      if (!after.consistent) this.knownInconsistent.add(after.seq);
    }
    return repo.latestConsistent(config.name, this.seq, this.knownInconsistent);
  }

  /**
   * Brings the blocks `record` changed in the files this host is using into the cache
   * (vfs/adoption-plan.ts). If the store fails meanwhile, the mount stays on the version
   * it can serve whole, and the next refresh tries again: during an outage a reader lags
   * instead of failing reads it could answer a moment before.
   */
  private async fetchBeforeAdopting(record: VersionRecord): Promise<void> {
    const { cache } = this.options;
    const queue = blocksToHaveBeforeAdopting(this.ns.inodes, record.inodes, (hash) => cache.isLocal(hash));
    try {
      const fetchSome = async () => {
        for (let hash = queue.pop(); hash; hash = queue.pop()) await cache.get(hash, this.fetchBlock);
      };
      await Promise.all(Array.from({ length: Math.min(this.options.uploadConcurrency, queue.length) }, fetchSome));
    } catch (err) {
      throw new ChalkError('io', `version ${record.seq} of ${this.options.config.name} is not adopted yet: the blocks it changed could not be fetched; serving version ${this.seq}`, { cause: err });
    }
  }

  private adopt(record: VersionRecord): void {
    this.attributesChanged();
    for (const handle of this.handles.values()) if (!this.pins.has(handle.ino)) this.pins.set(handle.ino, handle.inode);
    this.ns = servedNamespace(record);
    this.seq = record.seq;
    for (const ino of [...this.reported.keys()]) if (!this.ns.inodes.has(ino)) this.reported.delete(ino);
    for (const seq of this.knownInconsistent) if (seq <= record.seq) this.knownInconsistent.delete(seq);
    if (this.adoptionWaiting !== undefined && this.adoptionWaiting <= record.seq) this.adoptionWaiting = undefined;
    this.rememberBlocks(record);
    this.options.metrics?.versionSeq.set(record.seq);
    this.options.metrics?.publishLag.observe(Math.max(0, this.clock() - Date.parse(record.createdAt)) / 1000);
    this.options.logger.debug({ seq: record.seq }, 'adopted a new version');
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** Commits what is left (read-write) and stops background work. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.options.mode === 'read-write' && !this.fenced && (this.options.lease?.held() ?? true)) {
      await this.commit('unmount');
      this.wakeHeadWriter?.();
      await this.headWrite;
    } else if (this.options.mode === 'read-write' && (this.changed || this.data.dirtyBytes > 0)) {
      // Nothing can commit them any more: say so, with what is lost. A failed commit left
      // its sealed blocks pending (no longer dirty): those files' data is lost too.
      const dirty = new Set(this.data.dirtyInodes());
      const pending = new Map(this.data.pendingBlocks().map((b) => [b.hash, b.data.length]));
      const paths = [...this.ns.walk()]
        .filter(({ ino, inode }) => dirty.has(ino) || (inode.type === 'file' && inode.blocks.some((hash) => hash !== null && pending.has(hash))))
        .map(({ path }) => path);
      const lostBytes = this.data.dirtyBytes + [...pending.values()].reduce((sum, n) => sum + n, 0);
      this.options.logger.error(
        { volume: this.options.config.name, reason: this.fenced ?? this.options.lease?.fenced ?? 'the writer lease is not held', lastCommittedSeq: this.seq, paths, lostBytes },
        'unmounting with uncommitted changes that cannot be committed: they are lost (data of the files listed, and every change since the last committed version)',
      );
    }
  }

  private startTimer(): void {
    const { mode, autoCommitMs } = this.options;
    if (mode === 'pinned') return;
    const interval = () => (mode === 'read-write' ? autoCommitMs : this.schedule.nextDelayMs());
    const tick = async () => {
      try {
        if (mode === 'read-write') {
          if (this.changed && !this.fenced && (this.options.lease?.held() ?? true)) await this.commit('periodic');
        } else if (this.existence.state !== 'deleted') {
          await this.refresh();
        }
      } catch (err) {
        this.options.logger.warn({ err }, mode === 'read-write' ? 'periodic commit failed' : 'refresh failed');
        // A version listed a moment ago and gone now: maybe the whole volume is.
        if (isChalkError(err, 'not-found')) void this.existence.check().catch(() => undefined);
      }
      if (!this.closed) {
        this.timer = setTimeout(tick, interval());
        this.timer.unref();
      }
    };
    this.timer = setTimeout(tick, interval());
    this.timer.unref();
  }

  // ---- helpers ---------------------------------------------------------------------------

  private resolve(path: string): { ino: number; inode: Inode } {
    const found = this.ns.resolve(path);
    const pinned = this.pins.get(found.ino);
    return pinned ? { ino: found.ino, inode: pinned } : found;
  }

  private handle(fh: number): Handle {
    const handle = this.handles.get(fh);
    if (!handle) throw new ChalkError('bad-handle', `no open file handle ${fh}`);
    return handle;
  }

  private addHandle(ino: number, inode: FileInode, writable: boolean): number {
    // After wrapping around, skip numbers still in use: a shared handle (fuse-mount.ts)
    // can outlive billions of other opens.
    while (this.handles.has(this.nextFh)) this.nextFh = this.nextFh >= 0xfffffff0 ? 1 : this.nextFh + 1;
    const fh = this.nextFh;
    this.nextFh = fh >= 0xfffffff0 ? 1 : fh + 1;
    this.handles.set(fh, { ino, inode, writable, reads: new SequentialReads(sequentialWindowBytes, 2 * this.blockSizeBytes) });
    this.openCounts.set(ino, (this.openCounts.get(ino) ?? 0) + 1);
    return fh;
  }

  private async truncateInode(ino: number, inode: Inode, sizeBytes: number, what: string): Promise<void> {
    this.assertWritable();
    if (inode.type === 'dir') throw new ChalkError('is-a-directory', `${what}: is a directory`);
    if (inode.type !== 'file') throw new ChalkError('invalid', `${what}: not a regular file`);
    if (sizeBytes < 0 || !Number.isSafeInteger(sizeBytes)) throw new ChalkError('invalid', `${what}: invalid size ${sizeBytes}`);
    this.assertFileSize(sizeBytes, what);
    const oldSizeBytes = inode.sizeBytes;
    this.ns.setSize(inode, sizeBytes, this.blockSizeBytes);
    await this.data.truncated(ino, inode, oldSizeBytes);
    this.ns.touchData(inode, this.clock());
    this.changed = true;
  }

  private assertFileSize(sizeBytes: number, what: string): void {
    const maxBytes = maxBlocksPerFile * this.blockSizeBytes;
    if (sizeBytes > maxBytes) throw new ChalkError('too-big', `${what}: ${sizeBytes} bytes is over the largest file this volume holds (${maxBytes} bytes)`);
  }

  private readonly walWarned = new Set<string>();

  /**
   * A SQLite reader of a WAL-mode database needs a writable `-shm` next to it, which a
   * read-only mount cannot give: SQLite then reports only "unable to open database
   * file". Say why in the log, once per file (docs/CONSISTENCY.md, "WAL mode").
   */
  private explainWal(path: string): void {
    const kind = classify(path).kind;
    if (this.options.mode === 'read-write' || (kind !== 'shm' && kind !== 'wal') || this.walWarned.has(path)) return;
    this.walWarned.add(path);
    this.options.logger.error(
      { path, volume: this.options.config.name },
      'a WAL-mode SQLite database cannot be read from a read-only mount (no shared -shm across hosts): have the writer use PRAGMA journal_mode=DELETE (or TRUNCATE/PERSIST)',
    );
  }

  private assertWritable(): void {
    if (this.options.mode !== 'read-write') throw new ChalkError('read-only', `volume ${this.options.config.name} is mounted read-only`);
    this.assertCanCommit();
  }

  private assertCanCommit(): void {
    const { lease, config } = this.options;
    const fenced = this.fenced ?? lease?.fenced;
    if (fenced) throw new ChalkError('read-only', `volume ${config.name}: ${fenced}; this mount no longer accepts writes`);
    // Not fenced, only unsure (the store has not answered the lease loop): refused for now.
    if (lease && !lease.held()) throw new ChalkError('io', `volume ${config.name}: the writer lease is not safely renewed (the store does not answer); writes resume once it is`);
  }

  private rememberBlocks(record: VersionRecord): void {
    this.knownBlocks = new Set();
    for (const inode of Object.values(record.inodes)) {
      if (inode.type === 'file') for (const hash of inode.blocks) if (hash) this.knownBlocks.add(hash);
    }
  }
}

/** A version's namespace as a mount serves it: without host-local files older releases stored. */
function servedNamespace(record: VersionRecord): Namespace {
  return Namespace.fromRecord({ nextIno: record.nextIno, inodes: withoutHostLocalFiles(record.inodes).inodes });
}
