// A chalkfs volume mounted through chalkfs's own libfuse 3 binding (lowlevel.ts), the
// successor of fuse-mount.ts (issue 14; chosen with CHALKFS_FUSE=lowlevel until it is the
// default). Same options and the same caching per mode as FuseMount; what differs is the
// kernel's cache invalidation, now per inode (notify_inval_inode / notify_inval_entry on
// the node ids the kernel holds) instead of every name in the root directory.
import type { FuseMountOptions } from './fuse-mount.js';
import { LowLevelSession } from './lowlevel.js';
import { VolumeHandlers } from './lowlevel-handlers.js';

export class LowLevelMount {
  private readonly session: LowLevelSession;
  private readonly handlers: VolumeHandlers;

  constructor(private readonly options: FuseMountOptions) {
    const v = options.volume;
    // auto_cache had no low-level equivalent: pages are kept, and the kernel drops a
    // file's pages itself when it sees its mtime or size change (auto_inval_data), or
    // when the daemon says the inode changed (revalidate below).
    this.handlers = new VolumeHandlers({
      volume: v,
      logger: options.logger,
      metrics: options.metrics,
      attrTimeoutS: options.attrTimeoutS,
      entryTimeoutS: options.entryTimeoutS,
      negativeTimeoutS: options.negativeTimeoutS,
      keepCache: true,
      shareOpens: options.cacheAttributes && options.shareOpens && !options.writable,
      writable: options.writable,
    });
    this.session = new LowLevelSession(
      {
        mountpoint: options.mountpoint,
        fsname: `chalkfs:${options.volumeName}`,
        subtype: 'chalkfs',
        // Not yet: permission checks change behaviour and come with their own tests (issue 14).
        defaultPermissions: false,
        allowOther: true,
        autoUnmount: true,
        // As on the fuse-native mount, the volume refuses changes (EROFS), not the kernel.
        readOnly: false,
        maxWriteBytes: 131072,
        maxReadaheadBytes: 1048576,
        shareOpens: options.cacheAttributes && options.shareOpens && !options.writable,
        attrCache: options.cacheAttributes,
        readdirplus: 'off',
        autoInvalData: options.pageCache === 'auto',
      },
      this.handlers.handlers(),
    );
    if (options.cacheAttributes && options.writable) {
      this.handlers.attributesChanged = (ino, attrs) => this.session.attrCachePut(ino, attrs, options.attrTimeoutS);
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
        options.metrics.fuseNativeCacheHitsSource = () => {
          const s = this.session.stats();
          return { getattr: s.attrCacheHits, open: s.sharedOpenHits };
        };
      }
    }
  }

  /**
   * After the volume's answers changed (a version adopted, a file pinned or released):
   * the kernel forgets every name it holds, each in its own directory (notify_inval_entry),
   * so the next open(2) looks the file up and gets the new size and mtime; with
   * auto_inval_data it then drops the pages of a file whose mtime or size changed. The
   * volume is not asked for its new answers here: ReaderVolume.open serves the version of
   * the attributes last reported (getattr), so an answer the kernel never received would
   * let an open still sized by the old version read the new one (torn reads, seen in
   * multihost-torture). The notices are written by the binding's notifier thread; until
   * then an open may still find a cached name and ReaderVolume.open serves the version its
   * attributes came from.
   */
  private revalidate(): void {
    for (const node of [...this.handlers.nodes.known()]) void this.session.notifyInvalEntry(node.parent, node.name);
  }

  mount(): Promise<void> {
    return this.session.mount();
  }

  unmount(): Promise<void> {
    return this.session.unmount(false);
  }
}
