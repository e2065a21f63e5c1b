/*
 * A read-write mount: the one writer of a volume (it holds the writer lease). It applies
 * the FUSE layer's changes to its namespace and file data, and decides when they become
 * a version: at fsync and close (SQLite-aware: a sync inside a transaction waits for the
 * commit that ends it, sqlite/sqlite-journals.ts), when a journal is deleted (DELETE
 * mode's commit point), when a WAL commit frame is written (WAL mode's, in the
 * background), when memory holds too much, periodically, and at unmount. How a
 * version is written is VersionWriter's (version-writer.ts).
 */
import { ChalkError } from '../util/chalk-error.js';
import type { ChainState } from '../meta/version-chain.js';
import type { Inode, VersionRecord } from '../meta/format.js';
import { ServedVolume, servedNamespace } from './served-volume.js';
import { VersionWriter } from './version-writer.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK } from './attributes.js';
import { classify, isHostLocal } from './sqlite/sqlite-files.js';
import { SqliteJournals } from './sqlite/sqlite-journals.js';
import { JournallessDatabases } from './sqlite/journalless-databases.js';
import type { Handle } from './handle-table.js';
import type { VolumeOptions } from './volume-options.js';
import type { DatabaseLockProbe, OpenIntent, Owner, TimesChange, VolumeStatus, VolumeView } from './volume-view.js';

/**
 * A file's block list is dense (holes are nulls), so its length bounds the file size:
 * without a bound, one write at a huge offset made a list of billions of entries and
 * the daemon died (ENOTCONN). 2^22 blocks: 16 GiB with 4 KiB blocks, 4 TiB with 1 MiB.
 */
export const maxBlocksPerFile = 2 ** 22;

export class WriterVolume extends ServedVolume implements VolumeView {
  private readonly journals: SqliteJournals;
  private readonly journalless: JournallessDatabases;
  private readonly versions: VersionWriter;
  /** The `-wal` files opened for writing here, by inode number: their commit frames publish (see write). */
  private readonly walFiles = new Set<number>();
  /** The rollback journals opened for writing here, by inode number: their headers are watched (see write). */
  private readonly journalFiles = new Set<number>();

  /**
   * The writer continues from the newest durable version, consistent or not: a hot
   * journal in it is rolled back by SQLite itself, as after a power cut.
   */
  static async open(options: VolumeOptions): Promise<WriterVolume> {
    const { repo, config } = options;
    const { record, chain } = await repo.readVersionInChain(config.name, await repo.latestSeq(config.name));
    const volume = new WriterVolume(options, record, chain);
    volume.startPeriodic('periodic commit failed', () => options.autoCommitMs, async () => {
      // Also while a version waits to be marked consistent once a journal-less database's writer lets go.
      if ((volume.versions.changed || volume.journalless.waiting) && volume.versions.canCommit) await volume.commit('periodic');
    });
    return volume;
  }

  private constructor(options: VolumeOptions, record: VersionRecord, chain: ChainState) {
    super(options, servedNamespace(record));
    this.journals = new SqliteJournals(this.data);
    this.journalless = new JournallessDatabases({
      found: (path) => options.logger.info({ path }, 'a SQLite database is written with no journal beside it (journal_mode=MEMORY or OFF): its versions are marked consistent only while no process holds its write lock'),
      probeFailed: (path, err) => options.logger.warn({ path, err }, "asking for a journal-less database's write lock failed: versions stay not consistent until it answers"),
    });
    this.journals.trustJournalsAtStart(this.ns);
    this.versions = new VersionWriter({ ...options, clock: this.clock }, { ns: this.ns, data: this.data, handles: this.handles, journals: this.journals, journalless: this.journalless }, record, chain);
    options.metrics?.versionSeq.set(record.seq);
  }

  get versionSeq(): number {
    return this.versions.seq;
  }

  status(): VolumeStatus {
    return { ...this.commonStatus(), mode: 'read-write', fenced: this.versions.fenced };
  }

  /**
   * Writes a new version holding everything changed so far; callers arriving while a
   * commit runs share the next one. Resolves with the version number once durable.
   */
  commit(reason: string): Promise<number> {
    return this.versions.commit(reason);
  }

  // ---- namespace -------------------------------------------------------------------

  mkdir(path: string, mode: number, owner = this.options.owner): void {
    this.change(() => this.ns.mkdir(path, mode, owner, this.clock()));
  }

  rmdir(path: string): void {
    this.change(() => this.ns.rmdir(path, this.clock()));
  }

  symlink(target: string, path: string, owner = this.options.owner): void {
    this.change(() => this.ns.symlink(target, path, owner, this.clock()));
  }

  /**
   * A new name shares the inode, so its data and handles too. SQLite files are told apart
   * by name (sqlite/sqlite-files.ts), so a second name of a database or journal is just
   * another file to the journal rules: a sync through a name that has no journal of its
   * own commits at once, and unlinking a journal's name commits even while the inode
   * keeps another name (what SQLite sees is that the journal is gone).
   */
  link(existingPath: string, newPath: string): void {
    this.change(() => this.ns.link(existingPath, newPath, this.clock()));
  }

  /** Without an owner, new inodes get the mount's owner, as create does. */
  mknod(path: string, mode: number, _rdev: number, owner: Owner = this.options.owner): void {
    const type = (mode & S_IFMT) === 0 ? S_IFREG : mode & S_IFMT;
    if (type === S_IFCHR || type === S_IFBLK) throw new ChalkError('not-permitted', `${path}: device nodes are not supported on a chalkfs volume`);
    if (type !== S_IFREG && type !== S_IFIFO && type !== S_IFSOCK) throw new ChalkError('invalid', `${path}: mknod of file type 0o${type.toString(8)}`);
    this.change(() => {
      if (type === S_IFREG) this.ns.createFile(path, mode, owner, this.clock());
      else this.ns.mknod(path, type === S_IFIFO ? 'fifo' : 'socket', mode, owner, this.clock());
    });
  }

  /**
   * In DELETE journal mode, deleting the journal is what commits a SQLite transaction,
   * and SQLite syncs nothing after it (the syncs before it were deferred while the
   * journal was hot): so deleting a journal commits before it returns, or a crash would
   * lose a transaction whose COMMIT had returned.
   */
  unlink(path: string): Promise<void> | void {
    this.assertWritable();
    if (classify(path).kind === 'journal') return this.unlinkJournal(path);
    const ino = this.ns.unlink(path, this.clock());
    if (!this.handles.isOpen(ino) && !this.ns.inodes.has(ino)) this.data.discard(ino);
    this.versions.noteChange();
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
    if (classify(from).kind === 'journal' && classify(to).kind !== 'journal') return this.renameJournalAway(from, to);
    const replaced = this.ns.rename(from, to, this.clock());
    if (replaced !== undefined && !this.handles.isOpen(replaced)) this.data.discard(replaced);
    this.versions.noteChange();
  }

  chmod(path: string, mode: number): void {
    this.changeInode(path, (inode, nowMs) => this.ns.setMode(inode, mode, nowMs));
  }

  chown(path: string, uid: number | undefined, gid: number | undefined): void {
    this.changeInode(path, (inode, nowMs) => this.ns.setOwner(inode, { uid, gid }, nowMs));
  }

  setTimes(path: string, times: TimesChange): void {
    this.changeInode(path, (inode, nowMs) => this.ns.setTimes(inode, times, nowMs));
  }

  async truncate(path: string, sizeBytes: number): Promise<void> {
    const { ino, inode } = this.resolve(path);
    await this.truncateInode(ino, inode, sizeBytes, path);
  }

  async ftruncate(fh: number, sizeBytes: number): Promise<void> {
    const handle = this.handles.get(fh);
    await this.truncateInode(handle.ino, handle.inode, sizeBytes, `handle ${fh}`);
  }

  /** Growing is truncate's (a hole reads as zeros); keepSize changes nothing but must fit the largest file. */
  async allocate(fh: number, endBytes: number, keepSize: boolean): Promise<void> {
    const handle = this.writableHandle(fh);
    this.assertWritable();
    this.assertFileSize(endBytes, `handle ${fh}`);
    if (keepSize || endBytes <= handle.inode.sizeBytes) return;
    await this.truncateInode(handle.ino, handle.inode, endBytes, `handle ${fh}`);
  }

  // ---- files -----------------------------------------------------------------------

  /** Synchronous: a writer opens from memory, with no store work. */
  open(path: string, intent: OpenIntent): number {
    const { ino, inode } = this.regularFile(path);
    if (intent.write) this.assertWritable();
    if (intent.write) this.noteSqliteFile(ino, path);
    return this.handles.add(ino, inode, { writable: intent.write, hostLocal: isHostLocal(path), path });
  }

  /** A writer's files change under its handles: none is shared. */
  shareable(_fh: number): boolean {
    return false;
  }

  create(path: string, mode: number, owner: Owner = this.options.owner): number {
    this.assertWritable();
    const { ino, inode } = this.ns.createFile(path, mode, owner, this.clock());
    this.versions.noteChange();
    this.noteSqliteFile(ino, path);
    return this.handles.add(ino, inode, { writable: true, hostLocal: isHostLocal(path), path });
  }

  /** `data` must already be a private copy: FUSE reuses its buffers. */
  async write(fh: number, data: Buffer, offset: number): Promise<number> {
    const handle = this.writableHandle(fh);
    this.assertWritable();
    this.assertFileSize(offset + data.length, `handle ${fh}`);
    if (this.versions.overDirtyLimit) await this.versions.makeRoom();
    // The size grows in the step the bytes land: a commit queued behind this write
    // would otherwise seal them away under the old size (write-during-commit test).
    // SQLite's files are told of the write in that step too: a seal between the bytes landing
    // and the note would see a journal-less database's write uncounted (its lock probe then
    // vouching for bytes of a transaction under way).
    const filled = await this.data.write(handle.ino, handle.inode, data, offset, () => {
      this.ns.extendTo(handle.inode, offset + data.length);
      this.noteSqliteWrite(handle, offset);
    });
    this.ns.touchData(handle.inode, this.clock());
    this.versions.noteChange();
    // Full blocks go to the store now, not at the next commit (which then only waits for
    // them); a host-local file's never do (the commit leaves it out of every version).
    if (!handle.hostLocal) await this.versions.uploadFilled(filled);
    if (this.walFiles.has(handle.ino) && this.journals.endsWalCommit(handle.ino, handle.inode, offset + data.length)) this.publishWalCommit();
    return data.length;
  }

  /** A write to `handle` has just landed (in that synchronous step): journals and journal-less databases watch their writes. */
  private noteSqliteWrite(handle: Handle, offset: number): void {
    if (this.journalFiles.has(handle.ino)) this.journals.noteWrite(handle.ino, handle.inode, offset);
    else if (handle.path !== undefined && !this.walFiles.has(handle.ino) && !handle.hostLocal) this.journalless.noteWrite(this.ns, handle.ino, handle.path, this.data.peekBlock(handle.ino, handle.inode, 0));
  }

  /** close(2): publishes what this handle wrote (see SqliteJournals.syncDeferred). */
  async flush(fh: number, path: string): Promise<void> {
    const handle = this.handles.get(fh);
    if (handle.writable && this.versions.changed && !this.journals.syncDeferred(this.ns, path)) await this.commit('close');
  }

  /** fsync(2), fdatasync(2) and fsync of a directory: returns once a version holding everything is durable. */
  async fsync(path: string): Promise<void> {
    if (this.journals.syncDeferred(this.ns, path)) return;
    await this.commit('fsync');
  }

  // ---- lifecycle -------------------------------------------------------------------

  probeDatabaseLocks(probe: DatabaseLockProbe): void {
    this.journalless.setProbe(probe);
  }

  /** Commits what is left and stops background work. */
  async close(): Promise<void> {
    if (!this.beginClose()) return;
    if (this.versions.canCommit) {
      await this.commit('unmount');
      await this.versions.flushHeadHint();
    } else if (this.versions.changed || this.data.dirtyBytes > 0) {
      this.reportLostChanges();
    }
  }

  /**
   * Stops background work and commits nothing: what changed since the last commit is
   * dropped (an import that failed half way leaves the volume as it was; the blocks it
   * uploaded are garbage for gc).
   */
  abandon(): void {
    this.beginClose();
  }

  /**
   * Nothing can commit the changes left any more: says so, with what is lost. A failed
   * commit left its sealed blocks pending (no longer dirty): those files' data is lost too.
   */
  private reportLostChanges(): void {
    const dirty = new Set(this.data.dirtyInodes());
    const pending = new Map(this.data.pendingBlocks().map((b) => [b.hash, b.data.length]));
    const paths = [...this.ns.walk()]
      .filter(({ ino, inode }) => dirty.has(ino) || (inode.type === 'file' && inode.blocks.some((hash) => hash !== null && pending.has(hash))))
      .map(({ path }) => path);
    const lostBytes = this.data.dirtyBytes + [...pending.values()].reduce((sum, n) => sum + n, 0);
    this.options.logger.error(
      { volume: this.options.config.name, reason: this.versions.fenced ?? 'the writer lease is not held', lastCommittedSeq: this.versionSeq, paths, lostBytes },
      'unmounting with uncommitted changes that cannot be committed: they are lost (data of the files listed, and every change since the last committed version)',
    );
  }

  // ---- helpers ---------------------------------------------------------------------

  private noteSqliteFile(ino: number, path: string): void {
    const { kind } = classify(path);
    if (kind === 'wal') this.walFiles.add(ino);
    if (kind === 'journal') this.journalFiles.add(ino);
  }

  /**
   * A WAL commit frame was just written: SQLite's commit point in WAL mode. With
   * synchronous=NORMAL (better-sqlite3's default in WAL mode, and the usual advice) SQLite
   * syncs nothing at COMMIT, so the transaction used to reach other hosts only with the
   * next periodic commit (`--commit-ms`). A version is started now, in the background:
   * COMMIT does not wait for the store (NORMAL promises no durability at COMMIT; FULL's
   * sync that follows waits for this commit), and transactions committed while one runs
   * share the next (group commit). It starts once the write is answered (setImmediate),
   * so the commit's synchronous part (sealing, hashing, encoding) never runs before that
   * answer. A failure is logged; the periodic commit retries.
   */
  private publishWalCommit(): void {
    setImmediate(() => {
      if (this.closed || !this.versions.canCommit) return;
      this.commit('wal-commit').catch((err: unknown) => this.options.logger.warn({ err }, 'publishing a WAL commit failed; the periodic commit tries again'));
    });
  }

  /** Deleting a journal: see unlink. A failed commit undoes the deletion (entry and unsynced content). */
  private async unlinkJournal(path: string): Promise<void> {
    const { parentIno, name } = this.ns.parentOf(path);
    const { inode } = this.ns.resolve(path);
    const ino = this.ns.unlink(path, this.clock());
    await this.versions.commitRemoval(() => this.ns.restore(parentIno, name, ino, inode), [inode]);
    if (this.ns.inodes.has(ino)) return; // another name of it is left
    this.journals.forget(ino);
    if (!this.handles.isOpen(ino)) this.data.discard(ino);
  }

  /** See rename: commits before returning; a failed commit puts both names back. */
  private async renameJournalAway(from: string, to: string): Promise<void> {
    const existing = this.ns.tryResolve(to);
    const target = existing && { ...this.ns.parentOf(to), ...existing };
    const replaced = this.ns.rename(from, to, this.clock());
    await this.versions.commitRemoval(() => {
      this.ns.rename(to, from, this.clock());
      if (target) this.ns.restore(target.parentIno, target.name, target.ino, target.inode);
    }, target ? [target.inode] : []);
    if (replaced !== undefined && !this.handles.isOpen(replaced)) this.data.discard(replaced);
  }

  /** A namespace change: refused unless this mount may commit, then part of the next version. */
  private change(apply: () => unknown): void {
    this.assertWritable();
    apply();
    this.versions.noteChange();
  }

  /** A metadata change to the inode at `path` (a Namespace operation). */
  private changeInode(path: string, apply: (inode: Inode, nowMs: number) => void): void {
    this.assertWritable();
    apply(this.resolve(path).inode, this.clock());
    this.versions.noteChange();
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
    this.versions.noteChange();
  }

  private assertFileSize(sizeBytes: number, what: string): void {
    const maxBytes = maxBlocksPerFile * this.blockSizeBytes;
    if (sizeBytes > maxBytes) throw new ChalkError('too-big', `${what}: ${sizeBytes} bytes is over the largest file this volume holds (${maxBytes} bytes)`);
  }

  /** A change this mount could never commit (fenced), or cannot for now (lease unsure), is refused. */
  private assertWritable(): void {
    this.versions.assertCanCommit();
  }
}
