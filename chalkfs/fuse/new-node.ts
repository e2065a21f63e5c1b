// Who a new file, directory, symlink, FIFO or socket belongs to and which mode bits it gets, as a local
// disk decides (Linux's inode_init_owner): the calling process's uid; the directory's gid
// when the directory is setgid (a new directory then inherits the setgid bit too),
// otherwise the caller's gid; the requested mode less the caller's umask. Pure: the FUSE
// layer passes the request's context and the directory's attributes.
//
// What the kernel already did before the request arrives, and this does not repeat:
// permission to create at all (default_permissions), and dropping S_ISGID from a new
// file's mode when the caller is not in the file's group (the kernel knows the caller's
// supplementary groups; the request carries only its fsgid).
import { ChalkError } from '../util/chalk-error.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK } from '../vfs/attributes.js';
import type { Owner } from '../vfs/volume-view.js';

const S_ISGID = 0o2000;
const PERMISSION_BITS = 0o7777;

export type NewNodeKind = 'file' | 'dir' | 'symlink';

/** The caller as the request names it (fuse_ctx): fsuid, fsgid and the umask it runs with. */
export interface Caller {
  uid: number;
  gid: number;
  /** Sent with create, mkdir and mknod; 0 for other requests. */
  umask: number;
}

/** The directory the new name goes into. */
export interface ParentDir {
  mode: number;
  gid: number;
}

export interface NewNode {
  /** Permission bits (no file type bits). */
  mode: number;
  owner: Owner;
}

export function newNode(kind: NewNodeKind, requestedMode: number, caller: Caller, parent: ParentDir): NewNode {
  const setgidParent = (parent.mode & S_ISGID) !== 0;
  const owner = { uid: caller.uid, gid: setgidParent ? parent.gid : caller.gid };
  // A symlink's mode is always 0777 and never masked.
  if (kind === 'symlink') return { mode: 0o777, owner };
  let mode = requestedMode & PERMISSION_BITS & ~(caller.umask & 0o777);
  if (kind === 'dir' && setgidParent) mode |= S_ISGID;
  return { mode, owner };
}

/**
 * What mknod(2)'s mode asks for, if chalkfs can make it: a regular file (type bits 0 or
 * S_IFREG), a FIFO or a unix socket, all owned and masked as a new file is. Device nodes
 * are refused as many network filesystems refuse them (EPERM).
 */
export function mknodKind(mode: number): 'file' {
  const type = mode & S_IFMT;
  if (type === 0 || type === S_IFREG || type === S_IFIFO || type === S_IFSOCK) return 'file';
  if (type === S_IFCHR || type === S_IFBLK) throw new ChalkError('not-permitted', 'device nodes are not supported');
  throw new ChalkError('invalid', `mknod of file type 0o${type.toString(8)}`);
}

/** mknod's file type bits, with 0 (a regular file, as mknod(2) reads it) made explicit. */
export function mknodType(mode: number): number {
  const type = mode & S_IFMT;
  return type === 0 ? S_IFREG : type;
}
