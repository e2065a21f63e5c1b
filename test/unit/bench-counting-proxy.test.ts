// bench/scale/counting-proxy.ts: requests are classified as S3 bills them and as chalkfs
// names its objects, counted per proxy, with the bytes each way, and passed through intact.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CountingProxy, diffTallies, objectKind, requestType, totalRequests } from '../../bench/scale/counting-proxy.js';

describe('counting proxy', () => {
  it('names the object kind and the request type of path-style S3 requests', () => {
    expect(objectKind('/b/volumes/v/versions/0000000000000007')).toBe('version');
    expect(objectKind('/b/volumes/v/blocks/ab12')).toBe('block');
    expect(objectKind('/b/volumes/v/head.json')).toBe('head');
    expect(objectKind('/b/volumes/v/presence/m1?x-id=PutObject')).toBe('presence');
    expect(objectKind('/b?list-type=2&prefix=volumes%2Fv%2Fversions%2F')).toBe('bucket');
    expect(requestType('GET', '/b?list-type=2', 200)).toBe('LIST');
    expect(requestType('GET', '/b/volumes/v/versions/0000000000000008', 404)).toBe('GET 404');
    expect(requestType('GET', '/b/volumes/v/head.json', 304)).toBe('GET 304');
    expect(requestType('PUT', '/b/volumes/v/versions/0000000000000008', 412)).toBe('PUT 412');
  });

  it('forwards requests with their headers and counts them, with bytes each way', async () => {
    const seenHosts: string[] = [];
    const upstream = createServer((req, res) => {
      seenHosts.push(req.headers.host ?? '');
      let body = 0;
      req.on('data', (c: Buffer) => (body += c.length));
      req.on('end', () => {
        if (req.url?.includes('missing')) return void res.writeHead(404).end('no');
        res.writeHead(200).end(req.method === 'GET' ? 'x'.repeat(10) : `${body}`);
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const proxy = await CountingProxy.start(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
    try {
      const before = proxy.snapshot();
      expect(await (await fetch(`${proxy.endpoint}/b/volumes/v/versions/0000000000000001`)).text()).toBe('xxxxxxxxxx');
      expect((await fetch(`${proxy.endpoint}/b/volumes/v/versions/missing`)).status).toBe(404);
      expect(await (await fetch(`${proxy.endpoint}/b/volumes/v/blocks/h`, { method: 'PUT', body: 'y'.repeat(100) })).text()).toBe('100');
      await fetch(`${proxy.endpoint}/b?list-type=2`);
      const d = diffTallies(before, proxy.snapshot());
      expect(d.requests).toEqual({ GET: 1, 'GET 404': 1, PUT: 1, LIST: 1 });
      expect(totalRequests(d)).toBe(4);
      expect(d.putBytesByKind).toEqual({ block: 100 });
      expect(d.bytesIn).toBe(100);
      expect(d.bytesOut).toBe(10 + 2 + 3 + 10);
      // The Host header the client signed reaches the store unchanged.
      expect(new Set(seenHosts)).toEqual(new Set([new URL(proxy.endpoint).host]));
    } finally {
      await proxy.close();
      upstream.close();
    }
  });
});
