// store/signed-requests.ts against a local HTTP server: the signed GET and PUT, final 4xx
// answers, retried 5xx answers and timeouts, and the attempt bound.
import { createHash } from 'node:crypto';
import { createServer, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { S3ResponseError, SignedRequests } from '../../chalkfs/store/signed-requests.js';

const servers: Server[] = [];
const agents: Agent[] = [];
const clients: SignedRequests[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const agent of agents.splice(0)) agent.destroy();
  for (const server of servers.splice(0)) await new Promise((r) => server.close(r));
});

/** A local server answering each request with the next handler (the last one repeats). */
async function serve(...handlers: ((req: IncomingMessage, res: ServerResponse) => void)[]) {
  return serveOn('127.0.0.1', ...handlers);
}

async function serveOn(host: string, ...handlers: ((req: IncomingMessage, res: ServerResponse) => void)[]) {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    handlers[Math.min(seen.length, handlers.length) - 1]!(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, host, r));
  const agent = new Agent({ keepAlive: true });
  agents.push(agent);
  const get = new SignedRequests({
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`,
    bucket: 'bkt',
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    agent,
    attemptTimeoutMs: 200,
    maxAttempts: 3,
    maxIdleSockets: 4,
  });
  clients.push(get);
  return { get, seen };
}

const ok = (body: string) => (_req: IncomingMessage, res: ServerResponse) => res.writeHead(200, { etag: '"e1"', 'content-length': Buffer.byteLength(body) }).end(body);
const fail = (status: number, code: string) => (_req: IncomingMessage, res: ServerResponse) =>
  res.writeHead(status, { 'content-type': 'application/xml' }).end(`<?xml version="1.0"?><Error><Code>${code}</Code><Message>no</Message></Error>`);
const signal = () => AbortSignal.timeout(5_000);

describe('SignedRequests', () => {
  it('sends a SigV4-signed, path-style GET and returns the body and etag', async () => {
    const { get, seen } = await serve(ok('hello'));
    const got = await get.get('vol/blocks/ab cd', signal());
    expect(got.body.toString()).toBe('hello');
    expect(got.etag).toBe('"e1"');
    expect(seen[0]!.url).toBe('/bkt/vol/blocks/ab%20cd');
    expect(seen[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
  });

  it('a GET answered with a chunked body (which the direct reader refuses) is asked again and read whole', async () => {
    const chunked = (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { etag: '"c"' });
      res.write('chun');
      res.end('ked');
    };
    const { get, seen } = await serve(chunked);
    expect(await get.get('k', signal())).toEqual({ body: Buffer.from('chunked'), etag: '"c"' });
    expect(seen).toHaveLength(2);
  });

  it('reaches an IPv6 endpoint given in brackets', async () => {
    const { get, seen } = await serveOn('::1', ok('over v6'));
    expect((await get.get('k', signal())).body.toString()).toBe('over v6');
    expect(seen).toHaveLength(1);
  });

  it('a 4xx is final: one request, an error with the status and the S3 code', async () => {
    const { get, seen } = await serve(fail(404, 'NoSuchKey'));
    const err = await get.get('k', signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3ResponseError);
    expect(err).toMatchObject({ Code: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    expect(seen).toHaveLength(1);
  });

  it('retries 5xx answers and succeeds when the store recovers', async () => {
    const { get, seen } = await serve(fail(503, 'SlowDown'), ok('back'));
    expect((await get.get('k', signal())).body.toString()).toBe('back');
    expect(seen).toHaveLength(2);
  });

  it('gives up after maxAttempts', async () => {
    const { get, seen } = await serve(fail(500, 'InternalError'));
    await expect(get.get('k', signal())).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(seen).toHaveLength(3);
  });

  it('an attempt that gets no answer times out and is retried', async () => {
    const { get, seen } = await serve(() => undefined, ok('late'));
    expect((await get.get('k', signal())).body.toString()).toBe('late');
    expect(seen).toHaveLength(2);
  });

  it('an aborted operation rejects and is not retried', async () => {
    const { get, seen } = await serve(() => undefined, ok('never asked'));
    const aborted = new AbortController();
    const request = get.get('k', aborted.signal);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    aborted.abort();
    await expect(request).rejects.toMatchObject({ name: expect.stringMatching(/AbortError|TimeoutError/) });
    // Past the attempt timeout (200 ms), a live operation would have asked again.
    await new Promise((r) => setTimeout(r, 400));
    expect(seen).toHaveLength(1);
  });

  it('PUT: signs the SHA-256 the caller gives (no second hash of the body) and sends the body', async () => {
    const bodies: string[] = [];
    const { get: requests, seen } = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString());
        res.writeHead(200, { etag: '"p1"' }).end();
      });
    });
    const body = Buffer.from('block bytes');
    const sha = createHash('sha256').update(body).digest('hex');
    expect(await requests.put('vol/blocks/x', body, sha, signal())).toEqual({ etag: '"p1"' });
    expect(await requests.put('vol/blocks/y', body, undefined, signal())).toEqual({ etag: '"p1"' });
    expect(seen.map((r) => [r.method, r.url, r.headers['x-amz-content-sha256'], r.headers['content-length']])).toEqual([
      ['PUT', '/bkt/vol/blocks/x', sha, String(body.length)],
      ['PUT', '/bkt/vol/blocks/y', 'UNSIGNED-PAYLOAD', String(body.length)],
    ]);
    expect(seen[0]!.headers.authorization).toMatch(/SignedHeaders=content-length;host;x-amz-content-sha256;x-amz-date/);
    expect(bodies).toEqual(['block bytes', 'block bytes']);
  });

  it('PUT: a condition is a signed header, and its 412 is final', async () => {
    const { get: requests, seen } = await serve((req, res) => {
      req.resume();
      req.on('end', () => (req.headers['if-none-match'] === '*' ? fail(412, 'PreconditionFailed')(req, res) : res.writeHead(200, { etag: '"v2"' }).end()));
    });
    const body = Buffer.from('version record');
    await expect(requests.put('vol/versions/7', body, undefined, signal(), { ifNoneMatch: '*' })).rejects.toMatchObject({ Code: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    expect(await requests.put('vol/lease', body, undefined, signal(), { ifMatch: '"v1"' })).toEqual({ etag: '"v2"' });
    expect(seen).toHaveLength(2);
    expect(seen[0]!.headers.authorization).toMatch(/SignedHeaders=content-length;host;if-none-match;x-amz-content-sha256;x-amz-date/);
    expect(seen[1]!.headers['if-match']).toBe('"v1"');
    expect(seen[1]!.headers.authorization).toMatch(/SignedHeaders=content-length;host;if-match;x-amz-content-sha256;x-amz-date/);
    expect(seen[1]!.headers['if-none-match']).toBeUndefined();
  });

  it('PUT: a 5xx is retried with the whole body again; a 4xx is final', async () => {
    const bodies: string[] = [];
    const record = (then: (req: IncomingMessage, res: ServerResponse) => void) => (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString());
        then(req, res);
      });
    };
    const { get: requests } = await serve(record(fail(503, 'SlowDown')), record((_q, res) => res.writeHead(200, { etag: '"e"' }).end()), record(fail(403, 'AccessDenied')));
    await requests.put('k', Buffer.from('abc'), undefined, signal());
    expect(bodies).toEqual(['abc', 'abc']);
    await expect(requests.put('k', Buffer.from('abc'), undefined, signal())).rejects.toMatchObject({ Code: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(bodies).toHaveLength(3);
  });
});
