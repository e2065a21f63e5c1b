import Fuse from 'fuse-native';
import { execFile } from 'node:child_process';
import { resolve as resolvePath } from 'node:path';
import type { Logger } from 'pino';
import type { Metrics } from '../util/metrics.js';
import { ChalkError } from '../util/chalk-error.js';
import type { VolumeView } from '../vfs/volume-view.js';
import type { Attributes } from '../vfs/attributes.js';
import { fuseErrno } from './errno.js';
import { idChange, openIntent, timesChange } from './kernel-args.js';
import { isChalkfsMount, mountAt } from '../host/mount-table.js';

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
  /** auto_cache (drop the page cache at open when mtime/size changed) or kernel_cache (keep it). */
  pageCache: 'auto' | 'keep';
  writable: boolean;
  /**
   * Answer repeated getattrs from fuse-native's C cache (patches/fuse-native+2.2.6.patch)
   * until an answer may have changed: the volume says so (read-only mounts: a new version,
   * a pin), or this mount changed a file (read-write: the new answer replaces the old).
   * Saves a trip into JavaScript per kernel lookup or getattr.
   */
  cacheAttributes: boolean;
  /**
   * With cacheAttributes: when an answer may have changed, also tell the kernel to forget
   * its cached names (every name in the root directory, and so everything below), so a
   * mount may cache names for long (entryTimeoutS) and still see new versions at the next open.
   */
  invalidateNames: boolean;
  /**
   * With cacheAttributes, on a mount that never writes: fuse-native answers repeated
   * read-only opens of a path in C with one shared handle until the volume's answers may
   * change, and their releases too (patches/fuse-native+2.2.6.patch). Saves two trips into
   * JavaScript per open(2) and close(2), most of SQLite's open-query-close cost.
   */
  shareOpens: boolean;
  /** Bound for operations that only read; writes and syncs wait for their commit. */
  opTimeoutMs: number;
}

type Callback = (err: number, ...result: unknown[]) => void;

function toStat(a: Attributes): Record<string, number> {
  return {
    mode: a.mode,
    uid: a.uid,
    gid: a.gid,
    size: a.size,
    nlink: a.nlink,
    ino: a.ino,
    blksize: a.blksize,
    blocks: a.blocks,
    atime: a.atimeMs,
    mtime: a.mtimeMs,
    ctime: a.ctimeMs,
  };
}

/**
 * The FUSE boundary: fuse-native callbacks in, VolumeView calls out. Thin on purpose:
 * every op is a one-line call wrapped by `run`, which times it and turns errors into
 * errnos (errno.ts). Ops chalkfs does not serve stay unregistered, so libfuse answers
 * them (ENOSYS) without a trip into JavaScript.
 */
export class FuseMount {
  private readonly fuse: InstanceType<typeof Fuse>;

  constructor(private readonly options: FuseMountOptions) {
    const v = options.volume;
    const run = this.run.bind(this);
    // A read-write mount's answers change with every write: with cacheAttributes, each
    // change puts the changed path's new answer into the C cache (and drops every other
    // cached answer) before the reply reaches the kernel; a change to several paths, or
    // a failed one, only drops them. Read-only and pinned mounts change only as the
    // volume says (its Invalidator, set below).
    const pushing = options.cacheAttributes && options.writable;
    const after = (path: string | undefined, cb: Callback): Callback =>
      pushing
        ? (err, ...rest) => {
            this.cacheAfterChange(err >= 0 ? path : undefined);
            cb(err, ...rest);
          }
        : cb;
    const ops = {
      getattr: (path: string, cb: Callback) => run('getattr', path, cb, () => toStat(v.getattr(path))),
      readdir: (path: string, cb: Callback) => run('readdir', path, cb, () => v.readdir(path)),
      readlink: (path: string, cb: Callback) => run('readlink', path, cb, () => v.readlink(path)),
      statfs: (path: string, cb: Callback) => run('statfs', path, cb, () => v.statfs()),
      // A third callback value, true, lets fuse-native answer later read-only opens of
      // the path with this handle (see shareOpens below).
      open: (path: string, flags: number, cb: Callback) =>
        run('open', path, (err, fh) => cb(err, fh, err === 0 && options.shareOpens && v.shareable(fh as number)), () => v.open(path, openIntent(flags))),
      create: (path: string, mode: number, cb: Callback) => run('create', path, after(path, cb), () => v.create(path, mode)),
      read: (path: string, fh: number, buf: Buffer, len: number, offset: number, cb: Callback) =>
        this.runCount('read', path, cb, () => v.read(fh, buf, len, offset)),
      // FUSE reuses `buf` once the callback runs or the op yields: copy it first.
      write: (path: string, fh: number, buf: Buffer, len: number, offset: number, cb: Callback) => {
        const data = Buffer.from(buf.subarray(0, len));
        this.runCount('write', path, after(path, cb), () => v.write(fh, data, offset));
      },
      flush: (path: string, fh: number, cb: Callback) => run('flush', path, cb, () => v.flush(fh, path)),
      release: (path: string, fh: number, cb: Callback) => run('release', path, cb, () => v.release(fh)),
      fsync: (path: string, _datasync: boolean, _fh: number, cb: Callback) => run('fsync', path, cb, () => v.fsync(path)),
      fsyncdir: (path: string, _datasync: boolean, _fh: number, cb: Callback) => run('fsyncdir', path, cb, () => v.fsync(path)),
      truncate: (path: string, size: number, cb: Callback) => run('truncate', path, after(path, cb), () => v.truncate(path, size)),
      ftruncate: (path: string, fh: number, size: number, cb: Callback) => run('ftruncate', path, after(path, cb), () => v.ftruncate(fh, size)),
      unlink: (path: string, cb: Callback) => run('unlink', path, after(undefined, cb), () => v.unlink(path)),
      rename: (from: string, to: string, cb: Callback) => run('rename', from, after(undefined, cb), () => v.rename(from, to)),
      mkdir: (path: string, mode: number, cb: Callback) => run('mkdir', path, after(path, cb), () => v.mkdir(path, mode)),
      rmdir: (path: string, cb: Callback) => run('rmdir', path, after(undefined, cb), () => v.rmdir(path)),
      symlink: (target: string, path: string, cb: Callback) => run('symlink', path, after(path, cb), () => v.symlink(target, path)),
      chmod: (path: string, mode: number, cb: Callback) => run('chmod', path, after(path, cb), () => v.chmod(path, mode)),
      chown: (path: string, uid: number, gid: number, cb: Callback) => run('chown', path, after(path, cb), () => v.chown(path, idChange(uid), idChange(gid))),
      utimens: (path: string, atime: number, mtime: number, cb: Callback) => run('utimens', path, after(path, cb), () => v.setTimes(path, timesChange(atime, mtime))),
    };
    // flush commits only on read-write mounts; elsewhere leaving it unregistered saves a
    // trip into JavaScript on every close(2) (about 50 us, see docs/BENCHMARKS.md).
    if (!options.writable) delete (ops as Partial<typeof ops>).flush;
    const noTimeout = false as const;
    this.fuse = new Fuse(options.mountpoint, ops, {
      force: true,
      mkdir: false,
      autoUnmount: true,
      allowOther: true,
      fsname: `chalkfs:${options.volumeName}`,
      subtype: 'chalkfs',
      autoCache: options.pageCache === 'auto',
      kernelCache: options.pageCache === 'keep',
      attrCache: options.cacheAttributes,
      shareOpens: options.cacheAttributes && options.shareOpens && !options.writable,
      // Timeouts go through extraOptions: fuse-native drops a 0 (falsy) and libfuse then
      // uses its 1 s default, which is not what a read-only mount needs. auto_cache
      // compares attributes at every open when ac_attr_timeout equals attr_timeout.
      // Options fuse-native does not name are passed by patches/fuse-native+2.2.6.patch.
      extraOptions: [
        `attr_timeout=${options.attrTimeoutS}`,
        `ac_attr_timeout=${options.attrTimeoutS}`,
        `entry_timeout=${options.entryTimeoutS}`,
        `negative_timeout=${options.negativeTimeoutS}`,
        'big_writes',
        'max_write=131072',
        'max_readahead=1048576',
      ],
      timeout: { default: options.opTimeoutMs, write: noTimeout, flush: noTimeout, fsync: noTimeout, fsyncdir: noTimeout, release: noTimeout, ftruncate: noTimeout, truncate: noTimeout },
    });
    if (options.cacheAttributes) {
      // Synchronous on purpose: the cache must be empty before any getattr can see the
      // volume's new state (the volume calls this inside the change itself).
      v.setInvalidator({
        attributesMayChange: () => {
          // Shared handles the kernel holds no open of come back here: release them as the
          // kernel would have. Those still open come back as releases from the kernel.
          const idle: number[] = this.fuse.invalidateAttrCache();
          for (const fh of idle) v.release(fh);
          if (options.invalidateNames) this.invalidateKernelNames(rootNames(v));
        },
      });
      if (options.metrics) options.metrics.fuseNativeCacheHitsSource = () => ({ getattr: this.fuse.attrCacheHits(), open: this.fuse.openShareHits() });
    }
  }

  /**
   * The listener runs just before the change; the names the change brings are known once
   * it is made, so the kernel is told about those and the old ones a moment later. Until
   * its notices are written (by a helper thread in fuse-native), an open may still find a
   * cached name: it then pins the version its attributes came from, as after any lookup
   * that raced a new version (ReaderVolume.open).
   */
  private invalidateKernelNames(before: string[]): void {
    queueMicrotask(() => {
      const names = new Set([...before, ...rootNames(this.options.volume)]);
      this.fuse.invalidateRootEntries([...names]);
    });
  }

  /** See `pushing` in the constructor. */
  private cacheAfterChange(path: string | undefined): void {
    let stat: Record<string, number> | undefined;
    try {
      if (path !== undefined) stat = toStat(this.options.volume.getattr(path));
    } catch {
      stat = undefined;
    }
    if (stat && path !== undefined) this.fuse.putCachedAttr(path, stat);
    else this.fuse.invalidateAttrCache();
  }

  mount(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.fuse.mount((err: Error | null) => (err ? reject(new ChalkError('io', `could not mount at ${this.options.mountpoint}: ${err.message}`, { cause: err })) : resolve()));
    });
  }

  unmount(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.fuse.unmount((err: Error | null) => (err ? reject(new ChalkError('io', `could not unmount ${this.options.mountpoint}: ${err.message}`, { cause: err })) : resolve()));
    });
  }

  private run(op: string, path: string, cb: Callback, fn: () => unknown): void {
    const end = this.options.metrics?.fuseOps.startTimer({ op });
    let result: unknown;
    try {
      result = fn();
    } catch (err) {
      end?.({ result: 'error' });
      cb(fuseErrno(err, op, path, this.options.logger));
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (value) => {
          end?.({ result: 'ok' });
          this.reply(cb, value);
        },
        (err) => {
          end?.({ result: 'error' });
          cb(fuseErrno(err, op, path, this.options.logger));
        },
      );
      return;
    }
    end?.({ result: 'ok' });
    this.reply(cb, result);
  }

  /** read and write answer with a byte count in the errno position. */
  private runCount(op: string, path: string, cb: Callback, fn: () => Promise<number>): void {
    this.run(op, path, (err, count) => cb(err < 0 ? err : (count as number)), fn);
  }

  private reply(cb: Callback, value: unknown): void {
    if (value === undefined) cb(0);
    else cb(0, value);
  }
}

function rootNames(v: VolumeView): string[] {
  return v.readdir('/').filter((n) => n !== '.' && n !== '..');
}

/**
 * Unmounts a chalkfs mount with fusermount, run directly (no shell: a mount point may hold
 * `$(...)` or backticks). Only a chalkfs mount is ever unmounted: another filesystem
 * mounted there is refused; nothing mounted there (say, unmounted from outside) is done.
 */
export function fusermountUnmount(mountpoint: string, lazy: boolean): Promise<void> {
  const target = resolvePath(mountpoint);
  const entry = mountAt(target);
  if (entry === undefined) return Promise.resolve();
  if (!isChalkfsMount(entry)) return Promise.reject(new ChalkError('config', `${target} is a ${entry.fstype} mount (${entry.source}), not a chalkfs one; refusing to unmount it`));
  return new Promise((resolve, reject) =>
    execFile('fusermount', [lazy ? '-uz' : '-u', '--', target], { timeout: 30_000 }, (err, _stdout, stderr) =>
      err ? reject(new ChalkError('io', `could not unmount ${target}: ${String(stderr).trim() || err.message}`, { cause: err })) : resolve(),
    ),
  );
}

// fuse-native's own Fuse.unmount runs `fusermount -uz "<path>"` through a shell
// (node_modules/fuse-native/index.js), so `$(...)` in a mount point would run. Its close
// (fusermount, then the native unmount that lets its thread's handle go) and its forced
// mount both call that static: replacing it here, in the one module that imports
// fuse-native, keeps the rest of close as it is and leaves no path to the shell.
(Fuse as unknown as { unmount: (mnt: string, cb: (err: Error | null) => void) => void }).unmount = (mnt, cb) => {
  fusermountUnmount(mnt, true).then(() => cb(null), (err: Error) => cb(err));
};

/** Unmounts a mount point whose daemon is gone (ENOTCONN), lazily. */
export function forceUnmount(mountpoint: string): Promise<void> {
  return fusermountUnmount(mountpoint, true);
}
