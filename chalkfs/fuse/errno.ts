import { constants } from 'node:os';
import type { Logger } from 'pino';
import { ChalkError, type ErrorKind } from '../util/chalk-error.js';

const E = constants.errno;

/** The one place where error kinds become errnos. Exhaustive: a new kind fails to compile. */
export function errnoOf(kind: ErrorKind): number {
  switch (kind) {
    case 'not-found':
      return E.ENOENT;
    case 'exists':
      return E.EEXIST;
    case 'not-empty':
      return E.ENOTEMPTY;
    case 'not-a-directory':
      return E.ENOTDIR;
    case 'is-a-directory':
      return E.EISDIR;
    case 'read-only':
    case 'lease-held':
      return E.EROFS;
    case 'name-too-long':
      return E.ENAMETOOLONG;
    case 'invalid':
    case 'config':
      return E.EINVAL;
    case 'bad-handle':
      return E.EBADF;
    case 'too-big':
      return E.EFBIG;
    case 'no-space':
      return E.ENOSPC;
    case 'cross-device':
      return E.EXDEV;
    case 'not-permitted':
      return E.EPERM;
    case 'access-denied':
    case 'precondition':
    case 'corrupt':
    case 'timeout':
    case 'io':
      return E.EIO;
    case 'unsupported':
      return E.ENOTSUP;
  }
}

/** Kinds that mean the request itself was wrong; everything else is worth a log line. */
const expectedKinds = new Set<ErrorKind>(['not-found', 'exists', 'not-empty', 'not-a-directory', 'is-a-directory', 'read-only', 'name-too-long', 'invalid']);

/**
 * The negative errno fuse-native expects for anything thrown by a vfs call. Errors that
 * are not ChalkErrors are bugs: they are logged as such and reported as EIO.
 */
export function fuseErrno(err: unknown, op: string, path: string, logger: Logger): number {
  if (err instanceof ChalkError) {
    if (!expectedKinds.has(err.kind)) logger.warn({ op, path, kind: err.kind, err: err.message }, 'operation failed');
    return -errnoOf(err.kind);
  }
  logger.error({ op, path, err }, 'BUG: unexpected error in a FUSE operation');
  return -E.EIO;
}
