// The types of chalkfs's libfuse 3 binding (native/): what a request carries, what a
// reply takes, and the options a session mounts with. lowlevel.ts loads the addon.

/** An inode number as the kernel knows it; 1 is the root (FUSE_ROOT_ID). */
export type Ino = number;
export const ROOT_INO: Ino = 1;

/** Attributes, as struct stat: times in milliseconds since the epoch, like fs.Stats. */
export interface FuseAttr {
  ino: Ino;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev?: number;
  size: number;
  /** 512-byte blocks; computed from size when absent. */
  blocks?: number;
  blksize?: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
}

/**
 * A name's answer. `ino: 0` is a negative entry: the kernel caches the name's absence for
 * entryTimeoutS (only a lookup may answer one). Every positive entry the kernel accepts
 * counts one lookup of the inode, which a later forget gives back.
 */
export type FuseEntry =
  | { ino: Ino; generation?: number; attr: FuseAttr; attrTimeoutS: number; entryTimeoutS: number }
  | { ino: 0; entryTimeoutS: number };

/**
 * An open's answer. With the session's shareOpens, `share: true` on a read-only open lets
 * this handle answer later read-only opens of the inode in C until it is retired
 * (LowLevelSession.retireShared); the handle is then released once, through release or
 * as a value retireShared returns.
 */
export interface FuseOpen {
  fh: number;
  keepCache?: boolean;
  directIo?: boolean;
  /** close() of this handle sends no FLUSH. */
  noflush?: boolean;
  nonseekable?: boolean;
  /** opendir only: the kernel may cache the listing. */
  cacheReaddir?: boolean;
  share?: boolean;
}

export interface FuseStatfs {
  bsize: number;
  frsize?: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  /** Defaults to 255. */
  namemax?: number;
}

/** A readdir entry; `offset` is the cookie the kernel sends back to continue after it. */
export interface FuseDirent {
  name: string;
  ino: Ino;
  /** Only the file type bits (S_IFMT) matter. */
  mode: number;
  offset: number;
}

/** A readdirplus entry: also counts one lookup of its inode unless it is "." or "..". */
export interface FuseDirentPlus {
  name: string;
  entry: FuseEntry & { ino: Ino };
  offset: number;
}

/**
 * setattr's changes: only what the caller sets is present. 'now' is UTIME_NOW; a time
 * absent was left alone (UTIME_OMIT), as `touch -m` leaves atime.
 */
export interface FuseAttrChanges {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: number | 'now';
  mtime?: number | 'now';
  ctime?: number;
}

export interface ForgetItem {
  ino: Ino;
  nlookup: number;
}

export interface RequestContext {
  uid: number;
  gid: number;
  pid: number;
  umask: number;
}

/**
 * A request waiting for its answer, branded by the kind of reply it takes. Answer each
 * exactly once with a reply function of lowlevel.ts (replyErr suits every kind); a
 * request never answered is answered EIO when it is garbage collected, and counted.
 */
export type FuseRequest<K extends ReplyKind> = { readonly __reply: K };
export type ReplyKind = 'entry' | 'create' | 'attr' | 'readlink' | 'open' | 'buf' | 'write' | 'statfs' | 'dirents' | 'direntsplus' | 'none';

/**
 * The operations JavaScript serves. Only those present are registered: the others are
 * answered ENOSYS by libfuse without a trip into JavaScript. Lock operations do not exist
 * here: locks stay in the kernel. access is never registered with defaultPermissions.
 */
export interface LowLevelHandlers {
  // Names and the kernel's references to inodes.
  lookup?(req: FuseRequest<'entry'>, parent: Ino, name: string): void;
  /** The kernel dropped references; no answer is expected. */
  forget?(items: ForgetItem[]): void;

  // Attributes.
  getattr?(req: FuseRequest<'attr'>, ino: Ino, fh: number | undefined): void;
  setattr?(req: FuseRequest<'attr'>, ino: Ino, changes: FuseAttrChanges, fh: number | undefined): void;
  access?(req: FuseRequest<'none'>, ino: Ino, mask: number): void;
  statfs?(req: FuseRequest<'statfs'>, ino: Ino): void;

  // New names (mode arrives with the caller's umask applied; requestContext says who).
  mknod?(req: FuseRequest<'entry'>, parent: Ino, name: string, mode: number, rdev: number): void;
  mkdir?(req: FuseRequest<'entry'>, parent: Ino, name: string, mode: number): void;
  symlink?(req: FuseRequest<'entry'>, target: string, parent: Ino, name: string): void;
  link?(req: FuseRequest<'entry'>, ino: Ino, newParent: Ino, newName: string): void;
  create?(req: FuseRequest<'create'>, parent: Ino, name: string, mode: number, flags: number): void;

  // Names going away or moving.
  unlink?(req: FuseRequest<'none'>, parent: Ino, name: string): void;
  rmdir?(req: FuseRequest<'none'>, parent: Ino, name: string): void;
  /** flags: RENAME_NOREPLACE (1), RENAME_EXCHANGE (2). */
  rename?(req: FuseRequest<'none'>, parent: Ino, name: string, newParent: Ino, newName: string, flags: number): void;

  // Contents, through handles.
  /** flags may hold O_TRUNC (atomic_o_trunc is on): the handler truncates. */
  open?(req: FuseRequest<'open'>, ino: Ino, flags: number): void;
  read?(req: FuseRequest<'buf'>, ino: Ino, size: number, offset: number, fh: number): void;
  /** `data` belongs to the handler (already copied out of libfuse's buffer). */
  write?(req: FuseRequest<'write'>, ino: Ino, data: Buffer, offset: number, fh: number): void;
  readlink?(req: FuseRequest<'readlink'>, ino: Ino): void;
  fallocate?(req: FuseRequest<'none'>, ino: Ino, mode: number, offset: number, length: number, fh: number): void;

  // Closing and syncing.
  flush?(req: FuseRequest<'none'>, ino: Ino, fh: number): void;
  release?(req: FuseRequest<'none'>, ino: Ino, fh: number, flags: number): void;
  fsync?(req: FuseRequest<'none'>, ino: Ino, datasync: boolean, fh: number): void;

  // Directories.
  opendir?(req: FuseRequest<'open'>, ino: Ino, flags: number): void;
  readdir?(req: FuseRequest<'dirents'>, ino: Ino, size: number, offset: number, fh: number): void;
  readdirplus?(req: FuseRequest<'direntsplus'>, ino: Ino, size: number, offset: number, fh: number): void;
  releasedir?(req: FuseRequest<'none'>, ino: Ino, fh: number): void;
  fsyncdir?(req: FuseRequest<'none'>, ino: Ino, datasync: boolean, fh: number): void;
}

export interface LowLevelMountOptions {
  mountpoint: string;
  /** The mount's source in /proc/mounts, e.g. `chalkfs:VOLUME`. */
  fsname: string;
  /** fstype becomes `fuse.<subtype>`; defaults to chalkfs. */
  subtype?: string;
  /** The kernel checks mode bits itself (and access is never sent). */
  defaultPermissions: boolean;
  allowOther: boolean;
  /** fusermount3 unmounts when the process dies, even by SIGKILL. */
  autoUnmount: boolean;
  readOnly: boolean;
  /** Mount option max_read. */
  maxReadBytes?: number;
  /** Largest write the kernel sends (libfuse caps it at its buffer, 1 MiB). */
  maxWriteBytes?: number;
  /** Can only lower what the kernel offers. */
  maxReadaheadBytes?: number;
  maxBackground?: number;
  /** Loop threads at most (libfuse's default is 10). */
  maxThreads?: number;
  /**
   * Who reads the kernel's requests: libfuse's loop threads, which hand each to the JS
   * thread ('threads', the default), or the JS thread itself, polling the device
   * ('js-thread': one thread woken per request instead of two).
   */
  loop?: 'threads' | 'js-thread';
  /**
   * Read-only opens answered ENOSYS in C: the kernel then sends no OPEN or RELEASE on this
   * connection again (reads arrive with fh 0). Connection-wide once the first answer is
   * given, so for mounts whose opens are all read-only.
   */
  noOpen?: boolean;
  /** Shared read-only handles (FuseOpen.share). */
  shareOpens?: boolean;
  /** getattr answered in C from the attribute cache while valid (LowLevelSession.attrCache*). */
  attrCache?: boolean;
  /** Defaults to 'always' when a readdirplus handler is given. */
  readdirplus?: 'off' | 'always' | 'auto';
  /** The kernel drops a file's pages when it sees mtime or size change (libfuse's default: on). */
  autoInvalData?: boolean;
  /** The kernel never drops pages on its own; the daemon invalidates ranges. */
  explicitInvalData?: boolean;
  /** libfuse's debug log on stderr. */
  debug?: boolean;
}

export interface LowLevelStats {
  attrCacheHits: number;
  attrCacheEntries: number;
  sharedOpenHits: number;
  sharedHandles: number;
  sharedReleases: number;
  noOpenAnswers: number;
  namesTooLong: number;
  unanswered: number;
}

/** What INIT settled with the kernel. */
export interface FuseConnection {
  protoMajor: number;
  protoMinor: number;
  capable: number;
  want: number;
  maxWrite: number;
  maxRead: number;
  maxReadahead: number;
  maxBackground: number;
  noOpenCapable: boolean;
}
