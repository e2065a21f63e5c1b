// The S3 adapter's attempt bound and error messages, against real MinIO through the
// fault proxy: one stalled attempt is cut off and retried within the operation's
// budget (no SDK warning on the way), and a connection reset or refused is reported as
// what it is, not as a timeout.
import { createServer } from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { ChalkfsFixture, uniqueBucket } from '../support/chalkfs-fixture.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { S3ObjectStore } from '../../chalkfs/store/s3-object-store.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

const attemptTimeoutMs = 1_000;
/** Longer than an attempt, shorter than the operation budget (8 s). */
const holdMs = 4_000;

async function withProxyStore<T>(fn: (store: S3ObjectStore, proxy: FaultProxy) => Promise<T>, maxAttempts = 3): Promise<T> {
  const minio = inject('minio');
  const proxy = await FaultProxy.start(minio.endpoint);
  const store = new S3ObjectStore({
    endpoint: proxy.endpoint,
    accessKeyId: minio.accessKeyId,
    secretAccessKey: minio.secretAccessKey,
    region: 'us-east-1',
    bucket: uniqueBucket('attempts'),
    operationTimeoutMs: 8_000,
    attemptTimeoutMs,
    maxAttempts,
    maxSockets: 8,
  });
  try {
    await store.ensureBucket();
    return await fn(store, proxy);
  } finally {
    store.destroy();
    await proxy.close();
  }
}

/** Captures what is written to this process's stderr while `fn` runs (the SDK's logger is console). */
async function capturingStderr<T>(fn: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  const warn = console.warn;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stderr += String(chunk);
    return write(chunk, ...(rest as []));
  }) as typeof process.stderr.write;
  console.warn = (...args: unknown[]) => {
    stderr += `${args.map(String).join(' ')}\n`;
  };
  try {
    return { result: await fn(), stderr };
  } finally {
    process.stderr.write = write;
    console.warn = warn;
  }
}

const count = (proxy: FaultProxy, match: RegExp) => proxy.requests.filter((r) => match.test(r)).length;

describe('S3 store: one stalled attempt', () => {
  it('a PUT whose first answer is held past the attempt timeout succeeds on a second attempt, without an SDK warning', async () => {
    await withProxyStore(async (store, proxy) => {
      const putLine = /^PUT \S+\/objects\/a[ ?]/;
      proxy.addRule({ match: putLine, action: { kind: 'hold-response', ms: holdMs } });
      const { stderr } = await capturingStderr(() => store.put('objects/a', Buffer.from('hello')));
      expect(proxy.rulesUsed()).toBe(true);
      expect(count(proxy, putLine)).toBe(2);
      expect(stderr).not.toContain('throwOnRequestTimeout');
      expect((await store.get('objects/a')).body.toString()).toBe('hello');
    });
  });

  it('a LIST whose first answer is held past the attempt timeout succeeds on a second attempt', async () => {
    await withProxyStore(async (store, proxy) => {
      await store.put('objects/b', Buffer.from('b'));
      const listLine = /^GET \S+list-type=2/;
      proxy.addRule({ match: listLine, action: { kind: 'hold-response', ms: holdMs } });
      const { result, stderr } = await capturingStderr(() => store.list('objects/'));
      expect(result.map((o) => o.key)).toEqual(['objects/b']);
      expect(count(proxy, listLine)).toBe(2);
      expect(stderr).not.toContain('throwOnRequestTimeout');
    });
  });

  it('a GET whose first answer is held past the attempt timeout succeeds on a second attempt', async () => {
    await withProxyStore(async (store, proxy) => {
      await store.put('objects/c', Buffer.from('c'));
      const getLine = /^GET \S+\/objects\/c[ ?]/;
      proxy.addRule({ match: getLine, action: { kind: 'hold-response', ms: holdMs } });
      expect((await store.get('objects/c')).body.toString()).toBe('c');
      expect(count(proxy, getLine)).toBe(2);
    });
  });

  it('the CLI: `volume ls` with its first LIST held succeeds on a retry and prints no SDK warning', async () => {
    const minio = inject('minio');
    const proxy = await FaultProxy.start(minio.endpoint);
    try {
      await using fx = await ChalkfsFixture.create({ store: { ...minio, endpoint: proxy.endpoint } });
      await fx.createVolume('attempts');
      const listLine = /^GET \S+list-type=2/;
      // LIST requests of one unfaulted `volume ls`, then of one whose first LIST is held.
      const start = count(proxy, listLine);
      expect((await fx.cli(['volume', 'ls'])).code).toBe(0);
      const unfaulted = count(proxy, listLine) - start;
      proxy.addRule({ match: listLine, action: { kind: 'hold-response', ms: holdMs } });
      const result = await fx.cli(['volume', 'ls'], { env: { CHALKFS_STORE_ATTEMPT_TIMEOUT_MS: String(attemptTimeoutMs), NODE_NO_WARNINGS: undefined } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('attempts');
      expect(proxy.rulesUsed()).toBe(true);
      // The held attempt and one retry of it: one LIST more than unfaulted.
      expect(count(proxy, listLine) - start - unfaulted).toBe(unfaulted + 1);
      expect(result.stderr).not.toContain('throwOnRequestTimeout');
      expect(result.stderr).not.toContain('requestTimeout');
    } finally {
      await proxy.close();
    }
  });
});

describe('S3 store: errors say what happened', () => {
  it('connection reset on every attempt: the error names the reset, keeps its cause, and is not a timeout', async () => {
    await withProxyStore(async (store, proxy) => {
      proxy.addRule({ match: /^PUT \S+\/objects\/r[ ?]/, action: { kind: 'reset-before' }, times: 3 });
      const err = await store.put('objects/r', Buffer.from('r')).then(() => undefined, (e: unknown) => e);
      expect(isChalkError(err, 'io'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/ECONNRESET|socket hang up|connection reset/i);
      expect((err as Error).message).not.toMatch(/timed out/);
      expect((err as Error).cause).toBeDefined();
    });
  });

  it('reset after the store answered: named as a reset', async () => {
    await withProxyStore(async (store, proxy) => {
      await store.put('objects/s', Buffer.from('s'));
      proxy.addRule({ match: /^GET \S+\/objects\/s[ ?]/, action: { kind: 'reset-after-response' }, times: 3 });
      const err = await store.get('objects/s').then(() => undefined, (e: unknown) => e);
      expect((err as Error).message).toMatch(/ECONNRESET|socket hang up|connection reset/i);
      expect((err as Error).message).not.toMatch(/timed out/);
    });
  });

  it('the store refusing connections (proxy refuse()): named as a reset or refusal, not a timeout', async () => {
    await withProxyStore(async (store, proxy) => {
      proxy.refuse();
      const err = await store.put('objects/x', Buffer.from('x')).then(() => undefined, (e: unknown) => e);
      expect(isChalkError(err, 'io'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/ECONNRESET|ECONNREFUSED|socket hang up|connection (reset|refused)/i);
      expect((err as Error).message).not.toMatch(/timed out/);
      const getErr = await store.get('objects/x').then(() => undefined, (e: unknown) => e);
      expect((getErr as Error).message).toMatch(/ECONNRESET|ECONNREFUSED|socket hang up|connection (reset|refused)/i);
      expect((getErr as Error).message).not.toMatch(/timed out/);
    });
  });

  it('nothing listening on the port: named as connection refused', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const store = new S3ObjectStore({ endpoint: `http://127.0.0.1:${port}`, accessKeyId: 'a', secretAccessKey: 'b', region: 'us-east-1', bucket: 'nothing', operationTimeoutMs: 8_000, attemptTimeoutMs, maxAttempts: 2, maxSockets: 2 });
    try {
      for (const call of [() => store.put('k', Buffer.from('k')), () => store.get('k'), () => store.list('k')]) {
        const err = await call().then(() => undefined, (e: unknown) => e);
        expect(isChalkError(err, 'io'), String(err)).toBe(true);
        expect((err as Error).message).toMatch(/connection refused/i);
        expect((err as Error).cause).toBeDefined();
      }
    } finally {
      store.destroy();
    }
  });
});
