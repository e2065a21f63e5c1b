// How the FUSE layer serves a request: the answer, the errno, and the bound on how long the
// kernel waits for JavaScript (a request never answered must not hang the caller).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { constants } from 'node:os';
import pino from 'pino';
import { ChalkError } from '../../chalkfs/util/chalk-error.js';
import { serveRequest } from '../../chalkfs/fuse/serve-request.js';

const E = constants.errno;
const ctx = { logger: pino({ level: 'silent' }), opTimeoutMs: 30_000 };

function served<T>(op: string, fn: () => T | Promise<T>) {
  const answers: { value?: T; errno?: number; late?: T }[] = [];
  serveRequest(ctx, op, () => '/f', fn, (value) => answers.push({ value }), (errno) => answers.push({ errno }), (late) => answers.push({ late }));
  return answers;
}

const never = () => new Promise<number>(() => undefined);

describe('serveRequest', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('answers a synchronous result on the same tick, and an error with its errno', () => {
    expect(served('getattr', () => 7)).toEqual([{ value: 7 }]);
    expect(served('lookup', () => { throw new ChalkError('not-found', 'x'); })).toEqual([{ errno: E.ENOENT }]);
  });

  it('answers ETIMEDOUT when a request that only reads gets no answer within opTimeoutMs', async () => {
    for (const op of ['open', 'read', 'lookup', 'unlink', 'rename', 'opendir']) {
      const answers = served(op, never);
      await vi.advanceTimersByTimeAsync(29_999);
      expect(answers).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(answers).toEqual([{ errno: E.ETIMEDOUT }]);
    }
  });

  it('hands an answer that came after the timeout to `late` (to release what it opened), never to the kernel', async () => {
    let resolve!: (fh: number) => void;
    const answers = served('open', () => new Promise<number>((r) => (resolve = r)));
    await vi.advanceTimersByTimeAsync(30_000);
    resolve(42);
    await vi.advanceTimersByTimeAsync(0);
    expect(answers).toEqual([{ errno: E.ETIMEDOUT }, { late: 42 }]);
  });

  it('answers a request that settles in time once, and its timer never fires', async () => {
    const answers = served('read', () => Promise.resolve(3));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(answers).toEqual([{ value: 3 }]);
  });

  it('never bounds requests that wait for a commit: their caller must learn whether the data is stored', async () => {
    for (const op of ['write', 'flush', 'release', 'fsync', 'fsyncdir', 'setattr']) {
      const answers = served(op, never);
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      expect(answers).toEqual([]);
    }
  });
});
