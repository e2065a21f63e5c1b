// A chalkfs volume mounted through chalkfs's own libfuse 3 binding (lowlevel.ts): the
// session's options per mount mode, and the kernel's cache invalidation when the volume's
// answers change, per inode (notify_inval_entry on the names the kernel holds, in every
// directory, and on the missing names it caches).
import type { FuseMountOptions } from './mount-options.js';
import { LowLevelSession } from './lowlevel.js';
import { VolumeHandlers } from './lowlevel-handlers.js';
import { MissingNames } from './missing-names.js';
import { DatabaseLockHelper } from '../host/database-lock-helper.js';
import { OnDemandLockHelper } from '../host/on-demand-lock-helper.js';
import type { DatabaseGate } from '../vfs/volume-view.js';

/** Missing names a read-only mount lets the kernel cache between two adoptions. */
const MISSING_NAMES_LIMIT = 4096;
/** The largest FUSE read and write request (the kernel's max_pages is 256 pages at most). */
export const FUSE_REQUEST_BYTES = 1 << 20;
// Capability bits of libfuse 3's fuse_common.h, to log what INIT settled.
const FUSE_CAP_AUTO_INVAL_DATA = 1 << 12;
const FUSE_CAP_NO_OPEN_SUPPORT = 1 << 17;
const FUSE_CAP_PARALLEL_DIROPS = 1 << 18;
/**
 * How long the lock helper waits for the read transactions in flight on a database before
 * it gives up (and the file lags until the next try): readers that start meanwhile wait
 * in their busy handler, so the bound is also the longest they wait for one switch.
 */
const DATABASE_LOCK_WAIT = { timeoutMs: 1_000, retryMs: 1 };

export class LowLevelMount {
  private readonly session: LowLevelSession;
  private readonly handlers: VolumeHandlers;
  private readonly missing = new MissingNames(MISSING_NAMES_LIMIT);
  private readonly lockHelper = new OnDemandLockHelper(() => DatabaseLockHelper.start());

  constructor(private readonly options: FuseMountOptions) {
    const v = options.volume;
    const shareOpens = options.cacheAttributes && options.shareOpens && !options.writable;
    // Pages are kept at open (keep_cache); the kernel drops a file's pages itself when it
    // sees its mtime or size change (auto_inval_data, pageCache 'auto'), and the names it
    // holds are revoked when a version is adopted (revalidate below).
    this.handlers = new VolumeHandlers({
      volume: v,
      logger: options.logger,
      metrics: options.metrics,
      attrTimeoutS: options.attrTimeoutS,
      entryTimeoutS: options.entryTimeoutS,
      negativeTimeoutS: options.negativeTimeoutS,
      keepCache: true,
      shareOpens,
      writable: options.writable,
      opTimeoutMs: options.opTimeoutMs,
      noOpen: options.noOpen,
    });
    this.session = new LowLevelSession(
      {
        mountpoint: options.mountpoint,
        fsname: `chalkfs:${options.volumeName}`,
        subtype: 'chalkfs',
        // Every user of the host may use the mount (allow_other), so the kernel checks mode
        // bits, sticky directories and chown rules as on a local disk (default_permissions).
        defaultPermissions: true,
        allowOther: true,
        autoUnmount: true,
        // The volume refuses changes (EROFS), not the kernel, except where opens never reach
        // the volume: there an open for writing must fail in the kernel.
        readOnly: options.noOpen,
        noOpen: options.noOpen,
        // 1 MiB FUSE requests: libfuse derives the kernel's max_pages from max_write, and
        // max_pages bounds reads as well as writes. At 128 KiB a 1 MiB block took 8 writes
        // (8 replies, 8 JS calls, 8 buffers) in and 8 reads out (issue 16).
        maxWriteBytes: FUSE_REQUEST_BYTES,
        maxReadaheadBytes: FUSE_REQUEST_BYTES,
        shareOpens,
        attrCache: options.cacheAttributes,
        readdirplus: 'off',
        loop: options.fuseLoop,
        autoInvalData: options.pageCache === 'auto',
      },
      this.handlers.handlers(),
    );
    if (options.cacheAttributes && options.writable) {
      this.handlers.attributesChanged = (ino, attrs) => this.session.attrCachePut(ino, attrs, options.attrTimeoutS);
    }
    if (options.cacheAttributes && options.invalidateNames) {
      this.handlers.missingName = (parent, name) => (this.missing.remember(parent, name) ? options.negativeTimeoutS : 0);
    }
    if (options.cacheAttributes) {
      this.handlers.attributesStale = (ino) => this.session.attrCacheInvalidate(ino);
      // Synchronous on purpose: the C cache must be empty before any getattr can see the
      // volume's new state (the volume calls this inside the change itself).
      v.setInvalidator({
        attributesMayChange: () => {
          this.session.attrCacheClear();
          // Shared handles no open holds come back here: release them as the kernel would
          // have. Those still open come back as releases from the kernel.
          for (const fh of this.session.retireAllShared()) void Promise.resolve(this.handlers.release(fh)).catch((err: unknown) => options.logger.warn({ err }, 'releasing a shared handle failed'));
          // The change is made once this returns; the kernel is told what it changed.
          if (options.invalidateNames) queueMicrotask(() => this.revalidate());
        },
      });
      if (options.metrics) {
        options.metrics.fuseBindingHitsSource = () => {
          const s = this.session.stats();
          return { getattr: s.attrCacheHits, open: s.sharedOpenHits + s.noOpenAnswers };
        };
      }
    }
  }

  /**
   * After the volume's answers changed (a version adopted, a file pinned or released):
   * the kernel forgets every name it holds, each in its own directory (notify_inval_entry),
   * so the next open(2) looks the file up and gets the new size and mtime; with
   * auto_inval_data it then drops the pages of a file whose mtime or size changed. The
   * missing names it caches go too, so a file the new version adds is found. The volume
   * is not asked for its new answers here: ReaderVolume.open serves the version of the
   * attributes last reported (getattr), so an answer the kernel never received would let
   * an open still sized by the old version read the new one (torn reads, seen in
   * multihost-torture). The notices are written by the binding's notifier thread; until
   * then an open may still find a cached name and ReaderVolume.open serves the version its
   * attributes came from.
   */
  private revalidate(): void {
    for (const node of [...this.handlers.nodes.known()]) void this.session.notifyInvalEntry(node.parent, node.name);
    for (const { parent, name } of this.missing.take()) void this.session.notifyInvalEntry(parent, name);
  }

  /**
   * A follower's open SQLite databases switch versions under SQLite's own locks, taken on
   * the mount by a helper thread (host/database-lock-helper.ts; the event loop serves the
   * requests its open sends), started at the first switch (host/on-demand-lock-helper.ts).
   * Only the helper may open a file for writing here.
   */
  private followOpenDatabases(): void {
    const { volume, mountpoint, logger } = this.options;
    if (this.options.writable || this.options.noOpen || volume.followOpenDatabases === undefined) return;
    const helper = this.lockHelper;
    this.handlers.lockHelper = (pid) => helper.isHelper(pid);
    const gate: DatabaseGate = {
      holdReaders: async (file) => {
        const node = this.handlers.ids.known(file.ino, file.generation);
        const path = node === undefined ? undefined : this.handlers.nodes.path(node);
        if (path === undefined) return { held: false, blockers: [] };
        return helper.hold(mountpoint + path, 'rollback', DATABASE_LOCK_WAIT);
      },
      // By the database's path in the version served: a pair pinned with no file open
      // (reader-volume.ts) is switched too, and its -shm need not be known to the kernel.
      holdWalReaders: (path) => helper.hold(`${mountpoint}${path}-shm`, 'wal-readers', DATABASE_LOCK_WAIT),
      dropPages: async ({ ino, generation }) => {
        const node = this.handlers.ids.known(ino, generation);
        // -ENOENT: the kernel holds no such inode, so no pages either.
        const result = node === undefined ? -2 : await this.session.notifyInvalInode(node, 0, 0);
        if (result < 0 && result !== -2) logger.warn({ ino, errno: -result }, 'the kernel did not drop the pages of a switched database');
      },
    };
    volume.followOpenDatabases(gate);
  }

  /**
   * A writer's journal-less databases (journal_mode=MEMORY, OFF) are marked consistent
   * only between transactions, which SQLite's EXCLUSIVE lock tells: the helper thread asks
   * the kernel for it on the mount (vfs/sqlite/journalless-databases.ts), started at the
   * first such database's first commit.
   */
  private probeDatabaseLocks(): void {
    const { volume, mountpoint } = this.options;
    if (!this.options.writable || volume.probeDatabaseLocks === undefined) return;
    const helper = this.lockHelper;
    volume.probeDatabaseLocks({ exclusiveHeld: (path) => helper.exclusiveHeld(mountpoint + path) });
  }

  async mount(): Promise<void> {
    await this.session.mount();
    this.followOpenDatabases();
    this.probeDatabaseLocks();
    const c = this.session.connection();
    const wants = (cap: number) => (c.want & cap) !== 0;
    this.options.logger.info(
      {
        fuse: {
          protocol: `${c.protoMajor}.${c.protoMinor}`,
          maxWriteBytes: c.maxWrite,
          maxReadaheadBytes: c.maxReadahead,
          parallelDirops: wants(FUSE_CAP_PARALLEL_DIROPS),
          autoInvalData: wants(FUSE_CAP_AUTO_INVAL_DATA),
          noOpen: this.options.noOpen && wants(FUSE_CAP_NO_OPEN_SUPPORT),
        },
      },
      'FUSE session ready',
    );
  }

  async unmount(): Promise<void> {
    // Its files open on the mount would make the mount busy.
    await this.lockHelper.stop();
    return this.session.unmount(false);
  }
}
