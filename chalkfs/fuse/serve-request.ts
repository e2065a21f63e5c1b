// How every request of the libfuse 3 binding is served: timed (chalkfs_fuse_op_seconds),
// errors turned into errnos (errno.ts), and bounded. A request whose answer has not come
// after opTimeoutMs is answered ETIMEDOUT (as libfuse 2's layer did), so a store that
// never answers cannot hang the processes reading the mount. Requests that wait for a
// commit (write, flush, release, fsync, setattr's truncate) are not bounded: their caller
// must learn whether the data is stored, and commits have timeouts of their own.
import { constants } from 'node:os';
import type { Logger } from 'pino';
import type { Metrics } from '../util/metrics.js';
import { fuseErrno } from './errno.js';

const ETIMEDOUT = constants.errno.ETIMEDOUT;
const WAITS_FOR_COMMIT: ReadonlySet<string> = new Set(['write', 'flush', 'release', 'fsync', 'fsyncdir', 'setattr']);

export interface ServeContext {
  logger: Logger;
  metrics?: Metrics;
  opTimeoutMs: number;
}

/**
 * Answers a request with `reply(fn())`, on the same tick when fn answers synchronously,
 * or with `replyError(errno)` (a positive errno). `late` gets an answer that came after
 * the request was answered ETIMEDOUT (a handle the kernel never received, to release).
 */
export function serveRequest<T>(
  ctx: ServeContext,
  op: string,
  where: () => string,
  fn: () => T | Promise<T>,
  reply: (value: T) => void,
  replyError: (errno: number) => void,
  late?: (value: T) => void,
): void {
  const end = ctx.metrics?.fuseOps.startTimer({ op });
  const fail = (err: unknown): void => {
    end?.({ result: 'error' });
    replyError(-fuseErrno(err, op, safe(where), ctx.logger));
  };
  let result: T | Promise<T>;
  try {
    result = fn();
  } catch (err) {
    return fail(err);
  }
  const done = (value: T): void => {
    end?.({ result: 'ok' });
    reply(value);
  };
  if (!(result instanceof Promise)) return done(result);
  if (WAITS_FOR_COMMIT.has(op)) return void result.then(done, fail);
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    end?.({ result: 'timeout' });
    ctx.logger.warn({ op, path: safe(where), timeoutMs: ctx.opTimeoutMs }, 'no answer in time: answered ETIMEDOUT');
    replyError(ETIMEDOUT);
  }, ctx.opTimeoutMs);
  result.then(
    (value) => {
      clearTimeout(timer);
      if (expired) late?.(value);
      else done(value);
    },
    (err) => {
      clearTimeout(timer);
      if (expired) fuseErrno(err, op, safe(where), ctx.logger);
      else fail(err);
    },
  );
}

function safe(where: () => string): string {
  try {
    return where();
  } catch {
    return '?';
  }
}
