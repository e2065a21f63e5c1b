// Error kinds to errnos for the FUSE layer: one table, and the rule for what is logged
// (a request that was itself wrong is not; anything that is not a ChalkError is a bug).
import { constants } from 'node:os';
import type { Logger } from 'pino';
import { ChalkError, type ErrorKind } from '../util/chalk-error.js';

const E = constants.errno;

/**
 * The one place where error kinds become errnos. Exhaustive: a new kind without an errno
 * fails to compile (Record over every ErrorKind).
 */
const errnoByKind: Record<ErrorKind, number> = {
  // The name or the handle the request named.
  'not-found': E.ENOENT,
  exists: E.EEXIST,
  'not-empty': E.ENOTEMPTY,
  'not-a-directory': E.ENOTDIR,
  'is-a-directory': E.EISDIR,
  'name-too-long': E.ENAMETOOLONG,
  'bad-handle': E.EBADF,
  // The kernel asked for content this node stood for and no handle holds any more: it
  // looks the name up again (open(2) retries once with LOOKUP_REVAL on ESTALE).
  stale: E.ESTALE,
  invalid: E.EINVAL,
  config: E.EINVAL,
  // What this mount or this volume will not do.
  'read-only': E.EROFS,
  'lease-held': E.EROFS,
  'not-permitted': E.EPERM,
  'cross-device': E.EXDEV,
  'too-big': E.EFBIG,
  'no-space': E.ENOSPC,
  unsupported: E.ENOTSUP,
  // The store failed, refused, or returned what does not verify: the data cannot be served.
  io: E.EIO,
  timeout: E.EIO,
  'access-denied': E.EIO,
  precondition: E.EIO,
  corrupt: E.EIO,
};

export function errnoOf(kind: ErrorKind): number {
  return errnoByKind[kind];
}

/** Kinds that mean the request itself was wrong; everything else is worth a log line. */
const expectedKinds = new Set<ErrorKind>(['not-found', 'exists', 'not-empty', 'not-a-directory', 'is-a-directory', 'read-only', 'name-too-long', 'invalid', 'not-permitted', 'stale']);

/**
 * The negative errno for anything thrown by a vfs call (replies take its absolute
 * value). Errors that are not ChalkErrors are bugs: they are logged as such and
 * reported as EIO.
 */
export function fuseErrno(err: unknown, op: string, path: string, logger: Logger): number {
  if (err instanceof ChalkError) {
    if (!expectedKinds.has(err.kind)) logger.warn({ op, path, kind: err.kind, err }, 'operation failed');
    return -errnoOf(err.kind);
  }
  logger.error({ op, path, err }, 'BUG: unexpected error in a FUSE operation');
  return -E.EIO;
}
