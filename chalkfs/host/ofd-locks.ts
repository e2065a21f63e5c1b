// Open-file-description locks (fcntl F_OFD_SETLK / F_OFD_GETLK, native/src/file_locks.cc):
// byte-range locks that belong to one open of a file, not to the process. They conflict
// with the classic POSIX locks SQLite takes, so the daemon can take SQLite's own locks
// from the outside; they are dropped when that open's last descriptor closes, never by
// another close in the process; they work the same from a worker thread. Non-blocking
// only: whoever waits decides how (host/lock-acquisition.ts).
import { ChalkError } from '../util/chalk-error.js';
import { loadNativeAddon } from '../util/native-addon.js';

export type LockType = 'read' | 'write';

/** A byte range of a file; `lengthBytes` 0 means "to the end of the file, however long". */
export interface ByteRange {
  readonly start: number;
  readonly lengthBytes: number;
}

/** A lock someone else holds. `pid` is the holder's for a POSIX lock, -1 for an OFD lock. */
export interface LockHolder {
  readonly type: LockType;
  readonly start: number;
  readonly lengthBytes: number;
  readonly pid: number;
}

interface NativeFileLocks {
  setLock(fd: number, type: LockType | 'unlock', start: number, len: number): boolean;
  getLock(fd: number, type: LockType, start: number, len: number): { type: LockType; start: number; len: number; pid: number } | null;
}

const native = loadNativeAddon<{ fileLocks: NativeFileLocks }>().fileLocks;

function lockCall<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (err) {
    throw new ChalkError('io', `${what} failed`, { cause: err });
  }
}

/** Takes (or converts to) a `type` lock on `range` of the open behind `fd`; false when another open holds a conflicting one. */
export function tryLock(fd: number, type: LockType, range: ByteRange): boolean {
  return lockCall(`${type} lock on bytes ${range.start}+${range.lengthBytes}`, () => native.setLock(fd, type, range.start, range.lengthBytes));
}

/** Lets go of whatever this open holds on `range`. */
export function unlock(fd: number, range: ByteRange): void {
  lockCall(`unlock of bytes ${range.start}+${range.lengthBytes}`, () => native.setLock(fd, 'unlock', range.start, range.lengthBytes));
}

/** The first lock of another open that would refuse a `type` lock on `range`, or null when it would be granted now. */
export function findBlocker(fd: number, type: LockType, range: ByteRange): LockHolder | null {
  const held = lockCall(`lock query on bytes ${range.start}+${range.lengthBytes}`, () => native.getLock(fd, type, range.start, range.lengthBytes));
  return held === null ? null : { type: held.type, start: held.start, lengthBytes: held.len, pid: held.pid };
}
