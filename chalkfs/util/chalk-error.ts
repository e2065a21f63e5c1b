// The one error type used inside chalkfs. `kind` is a closed set: the FUSE layer maps
// each kind to exactly one errno (chalkfs/fuse/errno.ts), the CLI prints `message`.
export type ErrorKind =
  | 'not-found' // ENOENT
  | 'exists' // EEXIST
  | 'not-empty' // ENOTEMPTY
  | 'not-a-directory' // ENOTDIR
  | 'is-a-directory' // EISDIR
  | 'read-only' // EROFS
  | 'name-too-long' // ENAMETOOLONG
  | 'invalid' // EINVAL
  | 'bad-handle' // EBADF
  | 'stale' // ESTALE (a follower's older content no handle holds any more)
  | 'too-big' // EFBIG
  | 'no-space' // ENOSPC
  | 'cross-device' // EXDEV
  | 'not-permitted' // EPERM
  | 'access-denied' // EACCES (store credentials or permissions)
  | 'precondition' // a conditional write lost a race (S3 412)
  | 'lease-held' // another mount holds the writer lease
  | 'corrupt' // a block or metadata object failed verification
  | 'timeout' // a store call did not finish in time
  | 'io' // anything else that failed talking to the store or disk
  | 'unsupported' // a request chalkfs deliberately does not serve
  | 'config'; // bad configuration or command-line input

export class ChalkError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChalkError';
    this.kind = kind;
  }
}

export function isChalkError(err: unknown, kind?: ErrorKind): err is ChalkError {
  return err instanceof ChalkError && (kind === undefined || err.kind === kind);
}
