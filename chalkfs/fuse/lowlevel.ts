// chalkfs's libfuse 3 binding (native/, built by scripts/build-native.sh): a typed
// session over the addon, and the reply functions requests are answered with. Requests
// arrive on the Node event loop; replies are synchronous calls into libfuse.
import { ChalkError } from '../util/chalk-error.js';
import { loadNativeAddon } from '../util/native-addon.js';
import type {
  FuseAttr,
  FuseConnection,
  FuseDirent,
  FuseDirentPlus,
  FuseEntry,
  FuseOpen,
  FuseRequest,
  FuseStatfs,
  Ino,
  LowLevelHandlers,
  LowLevelMountOptions,
  LowLevelStats,
  ReplyKind,
  RequestContext,
} from './lowlevel-types.js';

export * from './lowlevel-types.js';

interface NativeSession {
  mount(): Promise<void>;
  kernelUnmount(lazy: boolean): Promise<number>;
  closed(): Promise<number>;
  notifyInvalInode(ino: Ino, offset: number, length: number): Promise<number>;
  notifyInvalEntry(parent: Ino, name: string): Promise<number>;
  attrCache(action: 'put', ino: Ino, attr: FuseAttr, timeoutS: number): void;
  attrCache(action: 'invalidate' | 'drop', ino: Ino): void;
  attrCache(action: 'clear'): void;
  retireShared(ino?: Ino): number[];
  stats(): LowLevelStats;
  connection(): FuseConnection;
}

type AnyRequest = FuseRequest<ReplyKind>;

interface NativeBinding {
  Session: new (options: LowLevelMountOptions, handlers: LowLevelHandlers) => NativeSession;
  libfuseVersion: number;
  replyErr(req: AnyRequest, errno: number): number;
  replyEntry(req: AnyRequest, entry: FuseEntry): number;
  replyCreate(req: AnyRequest, entry: FuseEntry, open: FuseOpen): number;
  replyAttr(req: AnyRequest, attr: FuseAttr, timeoutS: number): number;
  replyReadlink(req: AnyRequest, target: string): number;
  replyOpen(req: AnyRequest, open: FuseOpen): number;
  replyWrite(req: AnyRequest, count: number): number;
  replyBuf(req: AnyRequest, data: Uint8Array | readonly Uint8Array[]): number;
  replyStatfs(req: AnyRequest, statfs: FuseStatfs): number;
  replyDirents(req: AnyRequest, entries: FuseDirent[] | FuseDirentPlus[]): number;
  requestContext(req: AnyRequest): RequestContext;
}

// Every operation a handler may serve (the addon registers those given).
const HANDLER_NAMES: readonly (keyof LowLevelHandlers)[] = [
  'lookup', 'forget', 'getattr', 'setattr', 'access', 'statfs', 'mknod', 'mkdir', 'symlink', 'link', 'create',
  'unlink', 'rmdir', 'rename', 'open', 'read', 'write', 'readlink', 'fallocate', 'flush', 'release', 'fsync',
  'opendir', 'readdir', 'readdirplus', 'releasedir', 'fsyncdir',
];

const binding = loadNativeAddon<NativeBinding>();

/** libfuse's version, as major * 100 + minor (314 for 3.14). */
export const libfuseVersion = binding.libfuseVersion;

/**
 * One mount. Requests reach `handlers` on the event loop; anything the C rules can answer
 * (attribute cache, shared handles, no_open, names over 255 bytes) never does.
 */
export class LowLevelSession {
  private readonly native: NativeSession;

  constructor(readonly options: LowLevelMountOptions, handlers: LowLevelHandlers) {
    // The addon calls handlers without a receiver: bind them, so methods of a class work.
    const bound: Record<string, unknown> = {};
    for (const op of HANDLER_NAMES) {
      const fn = handlers[op];
      if (fn !== undefined) bound[op] = typeof fn === 'function' ? (fn as () => void).bind(handlers) : fn;
    }
    this.native = new binding.Session(options, bound as LowLevelHandlers);
  }

  /** Resolves once the kernel's INIT is answered (connection() is then known). */
  async mount(): Promise<void> {
    try {
      await this.native.mount();
    } catch (err) {
      throw new ChalkError('io', `could not mount at ${this.options.mountpoint}`, { cause: err });
    }
  }

  /**
   * Unmounts (umount2 as root, fusermount3 otherwise; no shell) and waits until the session
   * is destroyed. Lazy detaches at once and lets open files finish; otherwise a busy mount
   * is an error and stays mounted.
   */
  async unmount(lazy = false): Promise<void> {
    const errno = await this.native.kernelUnmount(lazy);
    // EINVAL: not mounted any more (unmounted from outside); the loop ends on its own.
    if (errno !== 0 && errno !== 22) throw new ChalkError('io', `could not unmount ${this.options.mountpoint} (errno ${errno})`);
    await this.native.closed();
  }

  /** Resolves when the session has ended, however it ended (also an unmount from outside). */
  async closed(): Promise<void> {
    await this.native.closed();
  }

  /** The kernel drops cached pages of ino in [offset, offset+length) (length 0: to the end); offset < 0 drops attributes only. Resolves 0 or -errno. */
  notifyInvalInode(ino: Ino, offset = 0, length = 0): Promise<number> {
    return this.native.notifyInvalInode(ino, offset, length);
  }

  /** The kernel forgets its cached name `name` in directory `parent`. Resolves 0 or -errno (-ENOENT: nothing cached). */
  notifyInvalEntry(parent: Ino, name: string): Promise<number> {
    return this.native.notifyInvalEntry(parent, name);
  }

  /** With attrCache: the answer for ino after a change this daemon made. */
  attrCachePut(ino: Ino, attr: FuseAttr, timeoutS: number): void {
    this.native.attrCache('put', ino, attr, timeoutS);
  }

  attrCacheInvalidate(ino: Ino): void {
    this.native.attrCache('invalidate', ino);
  }

  /** The inode is gone from the kernel (its last forget). */
  attrCacheDrop(ino: Ino): void {
    this.native.attrCache('drop', ino);
  }

  attrCacheClear(): void {
    this.native.attrCache('clear');
  }

  /** Shared handles of ino serve no new opens; returns those no open holds, to release now. */
  retireShared(ino: Ino): number[] {
    return this.native.retireShared(ino);
  }

  retireAllShared(): number[] {
    return this.native.retireShared();
  }

  stats(): LowLevelStats {
    return this.native.stats();
  }

  connection(): FuseConnection {
    return this.native.connection();
  }
}

// Replies: each returns libfuse's result, 0 or -errno (the kernel refused it: the request
// was interrupted, or the session has ended).

/** An error (errno > 0), or success with no data (errno 0) for requests of kind 'none'. */
export function replyErr(req: AnyRequest, errno: number): number {
  return binding.replyErr(req, errno);
}

export function replyOk(req: FuseRequest<'none'>): number {
  return binding.replyErr(req, 0);
}

export function replyEntry(req: FuseRequest<'entry'>, entry: FuseEntry): number {
  return binding.replyEntry(req, entry);
}

export function replyCreate(req: FuseRequest<'create'>, entry: FuseEntry & { ino: Ino }, open: FuseOpen): number {
  return binding.replyCreate(req, entry, open);
}

export function replyAttr(req: FuseRequest<'attr'>, attr: FuseAttr, timeoutS: number): number {
  return binding.replyAttr(req, attr, timeoutS);
}

export function replyReadlink(req: FuseRequest<'readlink'>, target: string): number {
  return binding.replyReadlink(req, target);
}

/** A failed reply to a non-shared open: the kernel holds no such open, the caller releases the handle. */
export function replyOpen(req: FuseRequest<'open'>, open: FuseOpen): number {
  return binding.replyOpen(req, open);
}

/** One buffer, or several sent in order as one reply; bytes past the requested size are not sent. */
export function replyBuf(req: FuseRequest<'buf'>, data: Uint8Array | readonly Uint8Array[]): number {
  return binding.replyBuf(req, data);
}

export function replyWrite(req: FuseRequest<'write'>, count: number): number {
  return binding.replyWrite(req, count);
}

export function replyStatfs(req: FuseRequest<'statfs'>, statfs: FuseStatfs): number {
  return binding.replyStatfs(req, statfs);
}

/** Returns how many entries fit and were sent (the rest go in the next readdir), or -errno. */
export function replyDirents(req: FuseRequest<'dirents'>, entries: FuseDirent[]): number {
  return binding.replyDirents(req, entries);
}

/** As replyDirents; the lookups of the entries sent (not "." or "..") count as for a lookup. */
export function replyDirentsPlus(req: FuseRequest<'direntsplus'>, entries: FuseDirentPlus[]): number {
  return binding.replyDirents(req, entries);
}

export function requestContext(req: AnyRequest): RequestContext {
  return binding.requestContext(req);
}
