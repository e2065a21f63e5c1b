// store/direct-get-pool.ts against a raw TCP server that writes exact bytes: answers split
// anywhere, keep-alive reuse and its race, bodies cut short or too long, chunked answers
// (error documents read, others refused), Connection: close, and the attempt timeout.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeChunked, DirectGetPool, UnsupportedAnswerError } from '../../chalkfs/store/direct-get-pool.js';

const servers: Server[] = [];
const pools: DirectGetPool[] = [];

afterEach(async () => {
  for (const pool of pools.splice(0)) pool.destroy();
  for (const server of servers.splice(0)) await new Promise((r) => server.close(r));
});

/** A server that calls `answer` for each request it reads (one per socket at a time). */
async function serve(answer: (socket: Socket, requestNo: number, head: string) => void) {
  const stats = { connections: 0, requests: 0, heads: [] as string[] };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    stats.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = '';
    socket.on('data', (data) => {
      pending += data.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        stats.heads.push(head);
        answer(socket, ++stats.requests, head);
      }
    });
  });
  servers.push(server);
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const closeAll = () => sockets.forEach((s) => s.destroy());
  const pool = new DirectGetPool({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, attemptTimeoutMs: 300, maxIdle: 4 });
  pools.push(pool);
  return { pool, stats, closeAll };
}

const signal = () => AbortSignal.timeout(5_000);
const answer = (status: number, headers: Record<string, string | number>, body: Buffer | string = '') =>
  Buffer.concat([Buffer.from(`HTTP/1.1 ${status} X\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`, 'latin1'), Buffer.from(body)]);
/** Writes `bytes` in pieces of `size`, one per timer tick, so the client sees many reads. */
const dribble = (socket: Socket, bytes: Buffer, size: number) => {
  let at = 0;
  const next = () => {
    if (at >= bytes.length || socket.destroyed) return;
    socket.write(bytes.subarray(at, at + size));
    at += size;
    setTimeout(next, 1);
  };
  next();
};

describe('DirectGetPool', () => {
  it('reads headers and body split at every size, and sends the request it was given', async () => {
    const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const sizes = [13, 64, 1000, 100_000];
    const { pool, stats } = await serve((socket, n) => dribble(socket, answer(200, { 'Content-Length': body.length, ETag: '"e"' }, body), sizes[n - 1]!));
    for (const _ of sizes) {
      const got = await pool.get('/bkt/a%20b', { host: 'h', 'x-amz-date': 'd' }, signal(), 'get a');
      expect(got.status).toBe(200);
      expect(got.headers.get('etag')).toBe('"e"');
      expect(got.body.equals(body)).toBe(true);
    }
    expect(stats.heads[0]).toBe('GET /bkt/a%20b HTTP/1.1\r\nhost: h\r\nx-amz-date: d');
    expect(stats.connections).toBe(1); // one keep-alive socket served all four
  });

  it('an empty body and a non-2xx answer with a length come back whole', async () => {
    const { pool } = await serve((socket, n) => socket.write(n === 1 ? answer(200, { 'Content-Length': 0 }) : answer(404, { 'Content-Length': 5 }, 'nokey')));
    expect((await pool.get('/a', {}, signal(), 'a')).body.length).toBe(0);
    const missing = await pool.get('/b', {}, signal(), 'b');
    expect([missing.status, missing.body.toString()]).toEqual([404, 'nokey']);
  });

  it('a chunked error document is decoded; a chunked 200 is refused before its body is used', async () => {
    const doc = '<Error><Code>NoSuchKey</Code></Error>';
    const { pool, stats } = await serve((socket, n) =>
      n === 1
        ? dribble(socket, answer(404, { 'Transfer-Encoding': 'chunked' }, `5\r\n${doc.slice(0, 5)}\r\n${(doc.length - 5).toString(16)};ext=1\r\n${doc.slice(5)}\r\n0\r\n\r\n`), 3)
        : socket.write(answer(200, { 'Transfer-Encoding': 'chunked' }, '3\r\nabc\r\n0\r\n\r\n')),
    );
    const missing = await pool.get('/a', {}, signal(), 'a');
    expect([missing.status, missing.body.toString()]).toEqual([404, doc]);
    await expect(pool.get('/b', {}, signal(), 'b')).rejects.toBeInstanceOf(UnsupportedAnswerError);
    expect(stats.connections).toBe(1);
  });

  it('a socket the store closed while idle is dropped; the next GET opens a new one', async () => {
    const { pool, stats, closeAll } = await serve((socket) => socket.write(answer(200, { 'Content-Length': 2 }, 'ok')));
    await pool.get('/a', {}, signal(), 'a');
    closeAll();
    await new Promise((r) => setTimeout(r, 20));
    expect((await pool.get('/b', {}, signal(), 'b')).body.toString()).toBe('ok');
    expect(stats.connections).toBe(2);
  });

  it('a reused socket closed as the request reaches it is retried once on a fresh one (keep-alive race)', async () => {
    const { pool, stats } = await serve((socket, n) => (n === 2 ? socket.destroy() : socket.write(answer(200, { 'Content-Length': 2 }, 'ok'))));
    await pool.get('/a', {}, signal(), 'a');
    expect((await pool.get('/b', {}, signal(), 'b')).body.toString()).toBe('ok');
    expect([stats.connections, stats.requests]).toEqual([2, 3]);
  });

  it('a reused socket whose answer does not come within the timeout fails once, on that socket (not the race)', async () => {
    const { pool, stats } = await serve((socket, n) => (n === 1 ? socket.write(answer(200, { 'Content-Length': 2 }, 'ok')) : undefined));
    await pool.get('/a', {}, signal(), 'a');
    await expect(pool.get('/b', {}, signal(), 'b')).rejects.toMatchObject({ name: 'TimeoutError' });
    expect([stats.connections, stats.requests]).toEqual([1, 2]);
  });

  it('a socket that closes mid-request without answering fails when fresh (the caller retries)', async () => {
    const { pool } = await serve((socket) => socket.destroy());
    await expect(pool.get('/a', {}, signal(), 'a')).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('a body cut short, or longer than its length, fails with what arrived', async () => {
    const { pool } = await serve((socket, n) => {
      if (n === 1) socket.end(answer(200, { 'Content-Length': 100 }, 'x'.repeat(40)));
      else socket.write(answer(200, { 'Content-Length': 3 }, 'abcdef'));
    });
    await expect(pool.get('/a', {}, signal(), 'get a')).rejects.toThrow('get a: connection closed after 40 of 100 bytes of the body');
    await expect(pool.get('/b', {}, signal(), 'get b')).rejects.toThrow('get b: body longer than its Content-Length (3 bytes)');
  });

  it('Connection: close is honoured: the next GET opens a new socket', async () => {
    const { pool, stats } = await serve((socket) => socket.write(answer(200, { 'Content-Length': 1, Connection: 'close' }, 'z')));
    await pool.get('/a', {}, signal(), 'a');
    await pool.get('/b', {}, signal(), 'b');
    expect(stats.connections).toBe(2);
  });

  it('no answer within the attempt timeout fails with a TimeoutError; an abort fails with its reason', async () => {
    const { pool } = await serve(() => undefined);
    await expect(pool.get('/a', {}, signal(), 'a')).rejects.toMatchObject({ name: 'TimeoutError', message: 'no answer within 300 ms' });
    const aborted = new AbortController();
    const request = pool.get('/b', {}, aborted.signal, 'b');
    aborted.abort(new Error('gave up'));
    await expect(request).rejects.toThrow('gave up');
  });

  it('malformed answers fail as io errors', async () => {
    const { pool } = await serve((socket, n) => socket.write(n === 1 ? 'SMTP ready\r\n\r\n' : answer(500, { 'Transfer-Encoding': 'chunked' }, 'zz\r\n')));
    await expect(pool.get('/a', {}, signal(), 'a')).rejects.toThrow('a: malformed HTTP answer from the store');
    await expect(pool.get('/b', {}, signal(), 'b')).rejects.toThrow('b: malformed chunked answer from the store');
  });
});

describe('decodeChunked', () => {
  it('joins chunks, skips extensions and trailers, waits for the end, rejects bad framing', () => {
    expect(decodeChunked(Buffer.from('3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n'))?.toString()).toBe('abcde');
    expect(decodeChunked(Buffer.from('3\r\nabc\r\n0\r\nTrailer: 1\r\n\r\n'))?.toString()).toBe('abc');
    expect(decodeChunked(Buffer.from('0\r\n\r\n'))?.toString()).toBe('');
    for (const partial of ['', '3', '3\r\nab', '3\r\nabc\r\n', '3\r\nabc\r\n0\r\n', '3\r\nabc\r\n0\r\nT: 1\r\n']) expect(decodeChunked(Buffer.from(partial))).toBeUndefined();
    expect(() => decodeChunked(Buffer.from('g\r\n'))).toThrow('bad chunk size');
    expect(() => decodeChunked(Buffer.from('3\r\nabcd\r\n'))).toThrow('chunk not followed by CRLF');
  });
});
