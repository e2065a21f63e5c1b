// The test proxy itself: each fault does what the integration tests rely on, against a
// plain local HTTP server (no MinIO needed).
import { createServer, request, Agent, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../support/fault-proxy.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function echoServer(): Promise<{ endpoint: string; hits: string[] }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.end(`ok ${req.url}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address() as { port: number };
  closers.push(() => new Promise((r) => server.close(() => r())));
  closers.push(async () => server.closeAllConnections());
  return { endpoint: `http://127.0.0.1:${address.port}`, hits };
}

function call(endpoint: string, method: string, path: string, agent: Agent, timeoutMs = 2000): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}${path}`, { method, agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(method === 'PUT' ? 'body' : undefined);
  });
}

async function setup() {
  const server = await echoServer();
  const proxy = await FaultProxy.start(server.endpoint);
  const agent = new Agent({ keepAlive: true });
  closers.push(() => proxy.close());
  closers.push(async () => agent.destroy());
  return { server, proxy, agent };
}

describe('FaultProxy', () => {
  it('forwards requests and records their request lines', async () => {
    const { proxy, agent } = await setup();
    expect(await call(proxy.endpoint, 'GET', '/a', agent)).toEqual({ status: 200, body: 'ok /a' });
    expect(await call(proxy.endpoint, 'PUT', '/b', agent)).toEqual({ status: 200, body: 'ok /b' });
    expect(proxy.requests).toEqual(['GET /a HTTP/1.1', 'PUT /b HTTP/1.1']);
  });

  it('holds one matching response: the request lands, the client times out', async () => {
    const { server, proxy, agent } = await setup();
    proxy.addRule({ match: /^PUT \/versions\//, action: { kind: 'hold-response', ms: 1500 } });
    expect(await call(proxy.endpoint, 'PUT', '/versions/1', agent, 300)).toEqual({ error: 'timeout' });
    expect(server.hits).toContain('PUT /versions/1');
    expect(proxy.rulesUsed()).toBe(true);
    expect(await call(proxy.endpoint, 'PUT', '/versions/2', agent)).toEqual({ status: 200, body: 'ok /versions/2' });
  });

  it('resets a connection before or after the request reaches the server', async () => {
    const { server, proxy, agent } = await setup();
    proxy.addRule({ match: /\/before/, action: { kind: 'reset-before' } });
    proxy.addRule({ match: /\/after/, action: { kind: 'reset-after-response' } });
    expect(await call(proxy.endpoint, 'PUT', '/before', agent)).toEqual({ error: 'ECONNRESET' });
    expect(server.hits).not.toContain('PUT /before');
    expect(await call(proxy.endpoint, 'PUT', '/after', agent)).toEqual({ error: 'ECONNRESET' });
    expect(server.hits).toContain('PUT /after');
  });

  it('stalls everything until resumed, then delivers; refuses while refusing', async () => {
    const { proxy, agent } = await setup();
    proxy.stall();
    const pending = call(proxy.endpoint, 'GET', '/late', agent, 5000);
    await new Promise((r) => setTimeout(r, 200));
    proxy.resume();
    expect(await pending).toEqual({ status: 200, body: 'ok /late' });
    proxy.refuse();
    expect(await call(proxy.endpoint, 'GET', '/x', new Agent())).toEqual({ error: 'ECONNRESET' });
    proxy.resume();
    expect(await call(proxy.endpoint, 'GET', '/y', agent)).toEqual({ status: 200, body: 'ok /y' });
  });
});
