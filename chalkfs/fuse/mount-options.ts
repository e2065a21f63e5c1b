// What the daemon asks of a volume's FUSE mount (lowlevel-mount.ts): caching per mount
// mode, and the bound on operations that only read. docs/ARCHITECTURE.md ("Kernel caching")
// and docs/CONSISTENCY.md say why each mode caches what it does.
import type { Logger } from 'pino';
import type { Metrics } from '../util/metrics.js';
import type { VolumeView } from '../vfs/volume-view.js';

export interface FuseMountOptions {
  mountpoint: string;
  volume: VolumeView;
  volumeName: string;
  logger: Logger;
  metrics?: Metrics;
  /** Kernel caching of attributes and names, in seconds (see docs/ARCHITECTURE.md). */
  attrTimeoutS: number;
  entryTimeoutS: number;
  negativeTimeoutS: number;
  /**
   * auto: the kernel drops a file's pages when it sees its mtime or size change
   * (auto_inval_data; read-only mounts, whose files change with each version adopted);
   * keep: pages stay until this mount changes the file.
   */
  pageCache: 'auto' | 'keep';
  writable: boolean;
  /**
   * Answer repeated getattrs from the binding's C cache until an answer may have changed:
   * the volume says so (read-only mounts: a new version, a pin), or this mount changed a
   * file (read-write: the new answer replaces the old). Saves a trip into JavaScript per
   * kernel getattr.
   */
  cacheAttributes: boolean;
  /**
   * With cacheAttributes: when an answer may have changed, also tell the kernel to forget
   * the names it holds (and the missing names it caches), so a mount may cache names for
   * long (entryTimeoutS, negativeTimeoutS) and still see new versions at the next open.
   */
  invalidateNames: boolean;
  /**
   * With cacheAttributes, on a mount that never writes: repeated read-only opens of a file
   * are answered in C with one shared handle until the volume's answers may change, and
   * their releases too. Saves two trips into JavaScript per open(2) and close(2).
   */
  shareOpens: boolean;
  /**
   * The mount serves one version for good (pinned): opens never reach the daemon
   * (no_open: the kernel sends no OPEN or RELEASE once the first open is answered ENOSYS),
   * reads are served by inode, and the kernel refuses every change (a read-only mount).
   * Only where no open needs a handle of its own: the version never changes.
   */
  noOpen: boolean;
  /**
   * A request JavaScript has not answered after this long is answered ETIMEDOUT, so a
   * stuck store never hangs the kernel; writes and syncs wait for their commit.
   */
  opTimeoutMs: number;
  /**
   * Who reads the kernel's requests (LowLevelMountOptions.loop): the JS thread itself
   * ('js-thread'), or libfuse's loop threads, which hand each request to it ('threads',
   * kept to measure one against the other: docs/BENCHMARKS.md, issue 16 part 7).
   */
  fuseLoop: 'threads' | 'js-thread';
}
