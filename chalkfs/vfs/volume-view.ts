/*
 * What the FUSE layer calls: one interface for every kind of mount, with paths and
 * handle numbers in and plain values out. WriterVolume (read-write) and ReaderVolume
 * (read-only follower, or pinned to one version) implement it; FUSE details (flag bits,
 * sentinel values) are translated by the FUSE layer before they get here. Every failure
 * is a ChalkError; a mutation on a reader is `read-only` (EROFS).
 *
 * The vfs also declares what it needs from the FUSE layer: an Invalidator, told before
 * answers the kernel may have cached change (as LiteFS's core declares its invalidator
 * and its FUSE layer implements it), so vfs never imports FUSE.
 */
import type { Owner } from '../meta/namespace.js';
import type { Attributes } from './attributes.js';
import type { VolumeState } from './volume-existence.js';

export type { Owner };

export type MountMode = 'read-write' | 'read-only' | 'pinned';

/**
 * Told just before getattr's answer for some path may change (a new version adopted, a
 * file pinned or unpinned): before, not after, so that no cached answer is served once
 * the change is made. Between two calls, getattr(path) answers the same for every path,
 * so the FUSE layer may cache answers until the next call.
 */
export interface Invalidator {
  attributesMayChange(): void;
}

/**
 * What a follower needs to switch a SQLite database that processes hold open
 * (vfs/sqlite/live-databases.ts; the FUSE layer implements it with a helper thread).
 */
export interface DatabaseGate {
  /**
   * Holds back every read transaction on file `ino` as it is open on the mount, by
   * taking SQLite's EXCLUSIVE lock from outside (bounded wait); on giving up it holds
   * nothing and names who held what it lacked.
   */
  holdReaders(file: KernelFile): Promise<ReadersHeld | ReadersBusy>;
  /**
   * The same for the WAL database at `path` (in the version served), served with a
   * read-only `-shm` (its readers keep a private wal-index): takes the lock they hold on
   * that `-shm` for each read transaction.
   */
  holdWalReaders(path: string): Promise<ReadersHeld | ReadersBusy>;
  /** The kernel drops its cached pages and attributes of the file; resolves once it has. */
  dropPages(file: KernelFile): Promise<void>;
}

/** SQLite's locks on a writer mount's own databases, as the kernel holds them (the FUSE layer's lock helper). */
export interface DatabaseLockProbe {
  /** Whether a process holds EXCLUSIVE on the database at `path` (a write transaction writing it). */
  exclusiveHeld(path: string): Promise<boolean>;
}

/** A file as the kernel knows it: its inode number and content generation (vfs/file-generations.ts). */
export interface KernelFile {
  ino: number;
  generation: number;
}

export interface ReadersHeld {
  readonly held: true;
  release(): void;
}

export interface ReadersBusy {
  readonly held: false;
  /** Who held the locks the wait lacked (pid -1: an OFD lock; 0: unknown). */
  readonly blockers: readonly { lock: string; pid: number }[];
}

/** A database held open at an older version than the mount's, waiting for its readers. */
export interface LaggingFile {
  path: string;
  /** The version its open handles serve, and since when it lags. */
  seq: number;
  sinceMs: number;
  /** The last give-up's blockers. */
  blockers: { lock: string; pid: number }[];
}

export interface OpenIntent {
  /** Opened for writing (O_WRONLY or O_RDWR). */
  write: boolean;
  /**
   * The content generation the kernel's node stands for (Attributes.generation; 0 when
   * absent there). Undefined: the content served now. An older generation is opened only
   * while a handle still holds it, else the open fails `stale` (ESTALE: the kernel looks
   * the name up again and opens the newest).
   */
  generation?: number;
}

/** A time left undefined is left unchanged (UTIME_OMIT). */
export interface TimesChange {
  atimeMs?: number;
  mtimeMs?: number;
}

export interface FileSystemStats {
  bsize: number;
  frsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  favail: number;
  namemax: number;
}

export interface VolumeStatus {
  seq: number;
  mode: MountMode;
  openHandles: number;
  dirtyBytes: number;
  unuploadedBytes: number;
  fenced?: string;
  leaseHeld?: boolean;
  adoptionWaiting?: number;
  problem?: string;
  volumeState: VolumeState;
  /** Databases whose readers held the last switch back (follower mounts). */
  lagging?: LaggingFile[];
}

export interface VolumeView {
  readonly versionSeq: number;
  status(): VolumeStatus;
  setInvalidator(invalidator: Invalidator): void;
  /** Followers only: open SQLite databases follow the versions adopted through `gate`. */
  followOpenDatabases?(gate: DatabaseGate): void;
  /** Writers only: journal-less databases (journal_mode=MEMORY, OFF) are probed through `probe` before a version is marked consistent. */
  probeDatabaseLocks?(probe: DatabaseLockProbe): void;

  /**
   * The attributes of `path` as served, or (`generation`, on a follower) of the content a
   * handle still holds at that generation (`stale` when none does).
   */
  getattr(path: string, generation?: number): Attributes;
  /**
   * The attributes of file `ino` as its open handles of `generation` serve it (undefined:
   * none is open): for fstat through a descriptor whose path no longer names it.
   */
  openFileAttributes(ino: number, generation?: number): Attributes | undefined;
  readdir(path: string): string[];
  readlink(path: string): string;
  statfs(): FileSystemStats;

  /**
   * A handle number. Synchronous where no store work can be needed (a writer, or a
   * reader whose answer is in memory): the FUSE layer then replies on the same tick.
   * A reader returns a promise when it must first read a database's header (WAL
   * refusal); so the interface allows both.
   */
  open(path: string, intent: OpenIntent): number | Promise<number>;
  /**
   * Whether this handle may also serve every later read-only open of its path until the
   * Invalidator is next called: the FUSE layer then answers those opens without calling
   * open, and releases the handle once (fuse/lowlevel-mount.ts).
   */
  shareable(fh: number): boolean;
  read(fh: number, target: Buffer, length: number, offset: number): Promise<number>;
  /** The same bytes as read(), in order, possibly views of immutable blocks (no copy): never written to. */
  readBytes(fh: number, length: number, offset: number): Promise<Buffer[]>;
  /** `data` must already be a private copy: FUSE reuses its buffers. */
  write(fh: number, data: Buffer, offset: number): Promise<number>;
  /** close(2) of one file descriptor. */
  flush(fh: number, path: string): Promise<void>;
  release(fh: number): void;
  /** fsync(2), fdatasync(2) and fsync of a directory. */
  fsync(path: string): Promise<void>;

  /**
   * New names. `owner` is who the new inode belongs to, and `mode` its permission bits,
   * as the FUSE layer decided from the caller (fuse/new-node.ts); without an owner it
   * belongs to the mount's owner (the daemon's uid and gid).
   */
  create(path: string, mode: number, owner?: Owner): number;
  mkdir(path: string, mode: number, owner?: Owner): void;
  rmdir(path: string): void;
  symlink(target: string, path: string, owner?: Owner): void;
  /** link(2): `newPath` becomes one more name of the file (symlink, FIFO, socket) at `existingPath`. */
  link(existingPath: string, newPath: string): void;
  /**
   * mknod(2) of a FIFO, a unix socket or an empty regular file (`mode` holds the type
   * bits); device nodes are refused (not-permitted: EPERM), as many network filesystems do.
   * `owner` as for create.
   */
  mknod(path: string, mode: number, rdev: number, owner?: Owner): void;
  unlink(path: string): Promise<void> | void;
  rename(from: string, to: string): Promise<void> | void;
  chmod(path: string, mode: number): void;
  /** An id left undefined is left unchanged. */
  chown(path: string, uid: number | undefined, gid: number | undefined): void;
  setTimes(path: string, times: TimesChange): void;
  truncate(path: string, sizeBytes: number): Promise<void>;
  ftruncate(fh: number, sizeBytes: number): Promise<void>;
  /**
   * fallocate(2) of [0, endBytes) through a handle open for writing: what was never
   * written reads as zeros (a hole costs nothing in an object store, so nothing is
   * reserved); the file grows to endBytes unless keepSize. Never shrinks a file.
   */
  allocate(fh: number, endBytes: number, keepSize: boolean): Promise<void>;

  /** Stops background work; a writer commits what is left first. */
  close(): Promise<void>;
}
