// fuse/errno.ts: each ChalkError kind maps to its errno, and anything else is EIO logged
// as a bug.
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { errnoOf, fuseErrno } from '../../chalkfs/fuse/errno.js';
import { ChalkError, type ErrorKind } from '../../chalkfs/util/chalk-error.js';

const E = constants.errno;

// Written out by hand: a change to the table must change this test too.
const expected: Record<ErrorKind, number> = {
  'not-found': E.ENOENT,
  exists: E.EEXIST,
  'not-empty': E.ENOTEMPTY,
  'not-a-directory': E.ENOTDIR,
  'is-a-directory': E.EISDIR,
  'read-only': E.EROFS,
  'name-too-long': E.ENAMETOOLONG,
  invalid: E.EINVAL,
  'bad-handle': E.EBADF,
  stale: E.ESTALE,
  'too-big': E.EFBIG,
  'no-space': E.ENOSPC,
  'cross-device': E.EXDEV,
  'not-permitted': E.EPERM,
  'access-denied': E.EIO,
  precondition: E.EIO,
  'lease-held': E.EROFS,
  corrupt: E.EIO,
  timeout: E.EIO,
  io: E.EIO,
  unsupported: E.ENOTSUP,
  config: E.EINVAL,
};

function recordingLogger() {
  const calls: { level: string; obj: unknown; msg: string }[] = [];
  const logger = {
    warn: (obj: unknown, msg: string) => calls.push({ level: 'warn', obj, msg }),
    error: (obj: unknown, msg: string) => calls.push({ level: 'error', obj, msg }),
  } as unknown as Logger;
  return { logger, calls };
}

describe('errno mapping', () => {
  it.each(Object.entries(expected))('%s maps to errno %i', (kind, errno) => {
    expect(errno).toBeGreaterThan(0);
    expect(errnoOf(kind as ErrorKind)).toBe(errno);
  });

  it('fuseErrno returns the negative errno of a ChalkError', () => {
    const { logger, calls } = recordingLogger();
    expect(fuseErrno(new ChalkError('not-found', 'x'), 'getattr', '/a', logger)).toBe(-E.ENOENT);
    expect(calls).toEqual([]);
    expect(fuseErrno(new ChalkError('corrupt', 'x'), 'read', '/a', logger)).toBe(-E.EIO);
    expect(calls.map((c) => c.level)).toEqual(['warn']);
  });

  it('unexpected errors become EIO and are logged as bugs', () => {
    const { logger, calls } = recordingLogger();
    expect(fuseErrno(new TypeError('boom'), 'read', '/a', logger)).toBe(-E.EIO);
    expect(fuseErrno('a string', 'read', '/a', logger)).toBe(-E.EIO);
    expect(calls.map((c) => c.level)).toEqual(['error', 'error']);
    expect(calls[0]!.msg).toMatch(/BUG/);
  });
});
