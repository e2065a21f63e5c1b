/*
 * A read-only mount: serves a consistent version and never writes. A follower
 * (`ReaderVolume.follow`) adopts newer versions as the writer publishes them, through a
 * VersionFollower; a pinned mount (`ReaderVolume.pin`) is a reader without one, serving
 * one version for good. Every mutation is refused with `read-only` (EROFS) by `refuse`;
 * a WAL-mode database whose version holds no `-wal` gets an empty one at open
 * (sqlite/empty-wals.ts, sqlite/wal-refusal.ts).
 *
 * When the version served changes, open files keep the content they opened, and the
 * Invalidator is told first, so the kernel's cached answers never outlive the state they
 * describe. A SQLite file is pinned for the whole host (lookups answer the pinned inode)
 * until its last handle is released, or follows between its read transactions
 * (sqlite/live-databases.ts): its locks live on one kernel inode. Any other file changed
 * under its handles gets a new content generation (file-generations.ts), which the FUSE
 * layer serves as a new kernel node: the holders keep theirs, and every later open gets
 * the newest (docs/CONSISTENCY.md).
 */
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import type { FileInode, VersionRecord } from '../meta/format.js';
import { attributesOf, type Attributes } from './attributes.js';
import { FileGenerations } from './file-generations.js';
import { SqliteOpens } from './sqlite/sqlite-opens.js';
import { LiveDatabases, type BehindFile } from './sqlite/live-databases.js';
import { ServedVolume, servedNamespace } from './served-volume.js';
import { VersionFollower } from './version-follower.js';
import { WalRefusal } from './sqlite/wal-refusal.js';
import { classify } from './sqlite/sqlite-files.js';
import { walPairList, walPairs } from './sqlite/wal-pairs.js';
import { WalOpens } from './sqlite/wal-opens.js';
import { EmptyWals } from './sqlite/empty-wals.js';
import { sameContent } from './file-content.js';
import type { VolumeOptions } from './volume-options.js';
import type { DatabaseGate, OpenIntent, VolumeStatus, VolumeView } from './volume-view.js';

export class ReaderVolume extends ServedVolume implements VolumeView {
  private seq: number;
  private readonly walRefusal: WalRefusal;
  private refreshing = false;
  /** Undefined on a pinned mount. */
  private readonly follower: VersionFollower | undefined;
  private readonly live: LiveDatabases;
  /** The `-wal` files opened here, by inode number: their path and their database's inode number when opened (live-databases.ts). */
  private readonly walOpens: WalOpens;
  /** The WAL pairs of the version served (sqlite/wal-pairs.ts): pinned and switched as a unit. */
  private walPartners: Map<number, number>;
  private readonly generations = new FileGenerations();
  private readonly sqliteOpens = new SqliteOpens();
  /** The empty `-wal` files served beside WAL databases whose version holds none. */
  private readonly emptyWals = new EmptyWals();

  /** A follower: serves the newest consistent version, and adopts newer ones. */
  static async follow(options: VolumeOptions): Promise<ReaderVolume> {
    const { repo, config } = options;
    const record = await repo.latestConsistent(config.name);
    if (!record) throw new ChalkError('corrupt', `volume ${config.name} has no consistent version to serve`);
    return new ReaderVolume(options, record, true);
  }

  /** A pinned mount: serves version `seq` and nothing else. */
  static async pin(options: VolumeOptions, seq: number): Promise<ReaderVolume> {
    const { repo, config } = options;
    try {
      return new ReaderVolume(options, await repo.readVersion(config.name, seq), false);
    } catch (err) {
      if (isChalkError(err, 'not-found')) throw new ChalkError('not-found', `volume ${config.name} has no version ${seq}`, { cause: err });
      throw err;
    }
  }

  private constructor(options: VolumeOptions, record: VersionRecord, follows: boolean) {
    super(options, servedNamespace(record, true));
    this.walOpens = new WalOpens(this.handles, { served: () => this.ns, generationOf: (ino) => this.generations.of(ino) });
    this.seq = record.seq;
    this.walRefusal = new WalRefusal(options.config.name, options.logger);
    this.walPartners = walPairs(this.ns);
    options.metrics?.versionSeq.set(record.seq);
    this.live = new LiveDatabases(this, options.logger, options.metrics);
    if (!follows) return;
    const follower = new VersionFollower({ ...options, clock: this.clock, fetchConcurrency: options.uploadConcurrency, fetchBlock: this.fetchBlock });
    this.follower = follower;
    this.startPeriodic('refresh failed', () => follower.nextDelayMs(), async () => {
      if (this.existence.state !== 'deleted') await this.refresh();
    });
  }

  get versionSeq(): number {
    return this.seq;
  }

  status(): VolumeStatus {
    return {
      ...this.commonStatus(),
      mode: this.follower ? 'read-only' : 'pinned',
      adoptionWaiting: this.follower?.adoptionWaiting,
      fenced: this.options.lease?.fenced,
      problem: this.walRefusal.problem,
      lagging: this.follower ? this.live.laggingFiles() : undefined,
    };
  }

  followOpenDatabases(gate: DatabaseGate): void {
    if (this.follower) this.live.setGate(gate);
  }

  /** Adopts the newest consistent version, if newer. Returns whether it changed (never, pinned). */
  async refresh(): Promise<boolean> {
    if (!this.follower || this.refreshing) return false;
    this.refreshing = true;
    try {
      const record = await this.follower.nextVersion({ seq: this.seq, ns: this.ns });
      if (record) this.adopt(record, this.follower);
      return record !== undefined;
    } finally {
      this.refreshing = false;
      // Also without a new version: a database a reader held back is tried again.
      this.live.follow();
    }
  }

  // ---- live databases (sqlite/live-databases.ts) -------------------------------------

  filesBehind(): BehindFile[] {
    const behind: BehindFile[] = [];
    for (const [ino, inode] of this.handles.pinned()) {
      const served = this.ns.inodes.get(ino);
      const replaced = served === undefined ? this.walOpens.replaced(ino, inode) : undefined;
      if (replaced !== undefined && !sameContent(replaced.inode, inode)) behind.push({ ino, inode, path: replaced.path });
      else if (served?.type === 'file' && !sameContent(served, inode)) behind.push({ ino, inode, path: this.pathOfFile(ino) });
    }
    return behind;
  }

  walFiles(path: string): number[] {
    return this.walOpens.walFiles(path);
  }

  firstBlock(ino: number, inode: FileInode): Promise<Buffer | null> {
    return this.data.blockContent(ino, inode, 0);
  }

  servedFile(path: string): number | undefined {
    const found = this.ns.tryResolve(path);
    return found?.inode.type === 'file' ? found.ino : undefined;
  }

  /** A name of file `ino` in the version served, for logs and status (a walk: only for files behind). */
  private pathOfFile(ino: number): string {
    for (const entry of this.ns.walk()) if (entry.ino === ino) return entry.path;
    return `inode ${ino}`;
  }

  generationOf(ino: number): number {
    return this.generations.of(ino);
  }

  switchToServed(ino: number): boolean {
    // A -wal the version deleted or replaced reads as the one served at its name, or empty.
    const served = this.ns.inodes.get(ino) ?? this.walOpens.replaced(ino)?.inode;
    if (!this.handles.isPinned(ino) || served?.type !== 'file') return false;
    this.invalidator.attributesMayChange();
    this.handles.switchOpenFile(ino, this.generations.of(ino), served);
    // The switch drops the kernel's pages and attributes of the file (DatabaseGate.dropPages)
    // before any read transaction resumes: what the kernel learns next is this version. An
    // open must not go back to the inode reported before the switch (open's race rule):
    // that handle would fill the one kernel inode's page cache with the old version's pages
    // beside the new one's, and every reader on the host would read a corrupt database.
    this.follower?.report(ino, served);
    return true;
  }

  // ---- files -----------------------------------------------------------------------

  /**
   * The attributes of `path`; with `generation`, of the content the kernel's node of that
   * generation stands for (a holder's fstat after a newer version was adopted).
   */
  override getattr(path: string, generation?: number): Attributes {
    const { ino, inode } = this.resolve(path);
    const current = this.generations.of(ino);
    if (generation === undefined || generation === current) {
      const a = super.getattr(path);
      return current === 0 ? a : { ...a, generation: current };
    }
    const held = inode.type === 'file' ? this.handles.heldContent(ino, generation) : undefined;
    if (held === undefined) throw this.stale(path);
    return { ...attributesOf(ino, held, this.ns.nlink(ino), this.blockSizeBytes), ...(generation === 0 ? {} : { generation }) };
  }

  /** Synchronous unless a database's header must first be read (WalRefusal, SqliteOpens). */
  open(path: string, intent: OpenIntent): number | Promise<number> {
    const { ino, inode } = this.regularFile(path);
    // SQLite opens a served -wal or -shm for writing first, and read-only once refused.
    if (intent.write) this.refuse();
    const loading = this.walVerdict(path, ino, inode);
    // A version adopted meanwhile is a new inode: the next call decides again.
    if (loading === 'needs-empty-wal') this.serveEmptyWal(path);
    else if (loading) return loading.then(() => this.open(path, intent));
    const generation = this.generations.of(ino);
    if (intent.generation !== undefined && intent.generation !== generation) {
      // The kernel's node of an older content (a name it still held, or a holder's
      // /proc/PID/fd): served while a handle holds that content, else looked up again.
      const held = this.handles.heldContent(ino, intent.generation);
      if (held === undefined) throw this.stale(path);
      return this.handles.add(ino, held, { writable: false, generation: intent.generation });
    }
    // The kernel sized this file from the lookup just before open(2). If a new version
    // was adopted in between, serve the version the kernel saw.
    const seen = this.follower?.reportedInode(ino);
    const behind = seen !== undefined && seen !== inode && !this.handles.isPinned(ino);
    const content = behind ? seen : inode;
    // A WAL pair is pinned and switched as a unit, whatever its headers say.
    const sqlite = this.walPartners.has(ino) || this.sqliteOpens.check(path, content, { peek: () => this.data.peekBlock(ino, content, 0), load: () => this.data.blockContent(ino, content, 0) });
    if (typeof sqlite !== 'boolean') return sqlite.then(() => this.open(path, intent));
    const { kind, database } = classify(path);
    if (kind === 'wal') this.walOpens.opened(ino, path, this.servedFile(database));
    if (behind && !(!sqlite && sameContent(content, inode))) {
      this.invalidator.attributesMayChange();
      // A SQLite file stays one kernel inode: pinned until closed (or switched). Any other
      // file keeps the kernel's node at what it saw; the newest gets a node of its own.
      if (sqlite) this.handles.pin(ino, content);
      else this.generations.renew(ino);
      return this.handles.add(ino, content, { writable: false, generation, sqlite });
    }
    return this.handles.add(ino, inode, { writable: false, generation, sqlite });
  }

  /**
   * Whether the database at `path` needs an empty `-wal` (WalRefusal.check): only when
   * both the content this open serves (`inode`, maybe pinned) and the version's own say
   * WAL, so that no open ever finds a `-wal` beside a rollback-mode header.
   */
  private walVerdict(path: string, ino: number, inode: FileInode): 'needs-empty-wal' | Promise<void> | undefined {
    const own = this.ns.inodes.get(ino);
    let verdict: 'needs-empty-wal' | Promise<void> | undefined;
    for (const content of own?.type === 'file' && own !== inode ? [inode, own] : [inode]) {
      verdict = this.walRefusal.check(path, content, {
        exists: (p) => this.ns.tryResolve(p) !== undefined && this.ns.tryResolve(p)?.inode.type !== 'dir',
        peekFirstBlock: () => this.data.peekBlock(ino, content, 0),
        loadFirstBlock: () => this.data.blockContent(ino, content, 0),
      });
      if (verdict !== 'needs-empty-wal') return verdict;
    }
    return verdict;
  }

  /**
   * Adds an empty `-wal` (and `-shm`) beside the WAL database at `path`. The kernel is
   * told first: it may hold `X-wal` as missing, and the revalidation that follows
   * revokes the missing names it caches (fuse/missing-names.ts).
   */
  private serveEmptyWal(path: string): void {
    this.invalidator.attributesMayChange();
    if (!this.emptyWals.add(this.ns, path)) this.walRefusal.refuse(path, 'the name of its -wal is taken');
    this.walPartners = walPairs(this.ns);
  }

  /**
   * A read handle on the file at `path` as this version holds it, without the WAL
   * refusal: for copying a version's files out (`volume export`), where a WAL database
   * leaves with the -wal its writer committed beside it and SQLite recovers it where it
   * is opened. Never for serving SQLite through a mount.
   */
  openForCopy(path: string): number {
    const { ino, inode } = this.regularFile(path);
    return this.handles.add(ino, inode, { writable: false, generation: this.generations.of(ino) });
  }

  /**
   * True for a handle of the served version's own inode; never for a pinned inode,
   * whose pin must end when the last open of it is released.
   */
  shareable(fh: number): boolean {
    const handle = this.handles.find(fh);
    if (!handle || handle.writable || handle.generation !== this.generations.of(handle.ino)) return false;
    return !this.handles.isPinned(handle.ino) && this.ns.inodes.get(handle.ino) === handle.inode;
  }

  /** Nothing is written here: nothing to publish at close(2). */
  async flush(fh: number, _path: string): Promise<void> {
    this.handles.get(fh);
  }

  /** Nothing is written here: every version served is durable already. */
  async fsync(_path: string): Promise<void> {}

  /** A reader's handles are never open for writing: bad-handle (EBADF), as for any read-only descriptor. */
  async write(fh: number, _data: Buffer, _offset: number): Promise<number> {
    this.writableHandle(fh);
    return this.refuse(); // not reached
  }

  create(path: string, _mode: number): number {
    this.walRefusal.explainWriteOpen(path);
    return this.refuse();
  }

  async truncate(path: string, _sizeBytes: number): Promise<void> {
    this.resolve(path);
    this.refuse();
  }

  async ftruncate(fh: number, _sizeBytes: number): Promise<void> {
    this.handles.get(fh);
    this.refuse();
  }

  async allocate(fh: number, _endBytes: number, _keepSize: boolean): Promise<void> {
    this.handles.get(fh);
    this.refuse();
  }

  readonly mkdir: VolumeView['mkdir'] = this.refuse;
  readonly rmdir: VolumeView['rmdir'] = this.refuse;
  readonly symlink: VolumeView['symlink'] = this.refuse;
  readonly link: VolumeView['link'] = this.refuse;
  readonly mknod: VolumeView['mknod'] = this.refuse;
  readonly unlink: VolumeView['unlink'] = this.refuse;
  readonly rename: VolumeView['rename'] = this.refuse;
  readonly chmod: VolumeView['chmod'] = this.refuse;
  readonly chown: VolumeView['chown'] = this.refuse;
  readonly setTimes: VolumeView['setTimes'] = this.refuse;

  async close(): Promise<void> {
    this.beginClose();
  }

  // ---- helpers ---------------------------------------------------------------------

  private stale(path: string): ChalkError {
    return new ChalkError('stale', `${path}: the content this kernel inode stood for is held by no handle any more (a newer version was adopted)`);
  }

  /** The one answer to every change asked of a read-only mount. */
  private refuse(): never {
    throw new ChalkError('read-only', `volume ${this.options.config.name} is mounted read-only`);
  }

  /**
   * Switches to `record`: the kernel is told first, and open files keep what they read:
   * a SQLite file pinned, any other file changed by `record` at its generation while its
   * newest content gets a new one. A WAL pair the version changes is pinned whole when
   * either file is open or known to the kernel, so no open ever gets one file of each
   * version; the pair is then switched as a unit (sqlite/live-databases.ts).
   */
  private adopt(record: VersionRecord, follower: VersionFollower): void {
    this.invalidator.attributesMayChange();
    const before = this.ns;
    // A -shm a connection still holds stays served while its database is (wal-shared-memory.ts).
    const next = servedNamespace(record, true, (shmIno) => {
      const shm = before.inodes.get(shmIno);
      return this.handles.isOpen(shmIno) && shm?.type === 'file' ? shm : undefined;
    });
    // An empty -wal stays only where the new version has none and its database is known WAL (sqlite/empty-wals.ts).
    this.emptyWals.carry(next, (ino, inode) => this.walRefusal.knownWal(inode, () => this.data.peekBlock(ino, inode, 0)));
    for (const held of this.handles.heldContents()) {
      if (held.generation !== this.generations.of(held.ino) || this.handles.isPinned(held.ino)) continue;
      const now = next.inodes.get(held.ino);
      if (held.sqlite || this.walPartners.has(held.ino)) this.handles.pin(held.ino, held.inode);
      else if (now?.type !== 'file' || !sameContent(now, held.inode)) this.generations.renew(held.ino);
    }
    this.generations.prune((ino) => next.inodes.has(ino));
    for (const [ino, partner] of this.walPartners) {
      const pinned = this.handles.isPinned(ino) || this.handles.isPinned(partner);
      if (!pinned && follower.reportedInode(ino) === undefined && follower.reportedInode(partner) === undefined) continue;
      const old = before.inodes.get(ino);
      const now = next.inodes.get(ino);
      const changed = (i: number) => {
        const a = before.inodes.get(i);
        const b = next.inodes.get(i);
        return a?.type !== 'file' || b?.type !== 'file' || !sameContent(a, b);
      };
      if (!pinned && !changed(ino) && !changed(partner)) continue;
      if (old?.type === 'file' && !this.handles.isPinned(ino) && now !== undefined) this.handles.pin(ino, old);
    }
    for (const pair of walPairList(next)) this.walOpens.pinReplacing(pair, before, next);
    this.walOpens.prune();
    this.ns = next;
    this.walPartners = walPairs(next);
    this.seq = record.seq;
    follower.adopted(record, this.ns);
  }

  /** A WAL pair's file stays pinned while its partner is: one version for both. */
  protected override keepsPin(ino: number): boolean {
    const partner = this.walPartners.get(ino);
    return partner !== undefined && this.handles.isPinned(partner);
  }

  protected override reportedToKernel(ino: number, inode: FileInode): void {
    this.follower?.report(ino, inode);
  }
}
