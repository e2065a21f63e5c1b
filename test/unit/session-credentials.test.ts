// Temporary AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN in the environment, as `aws sts assume-role`, SSO exports and CI
// providers hand them out) must reach every request: without the token the store refuses
// them all. Checked at the resolved settings, the daemon's environment, and on the wire
// (both request paths: the SDK's and chalkfs's own signed block requests) against a
// loopback server that records headers.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveStoreSettings, storeEnv } from '../../chalkfs/store/store-config.js';
import { S3ObjectStore, defaultS3Timeouts } from '../../chalkfs/store/s3-object-store.js';

const keys = { AWS_ACCESS_KEY_ID: 'ASIATESTKEY', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'the-session-token' };

describe('temporary credentials from the environment', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'chalkfs-session-'));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('keep their session token in the settings and in the environment a daemon is started with', async () => {
    const settings = await resolveStoreSettings({ HOME: home, CHALKFS_S3_ENDPOINT: 'http://127.0.0.1:9', ...keys });
    expect(settings.sessionToken).toBe('the-session-token');
    expect(storeEnv(settings)).toMatchObject(keys);
  });

  it('send the token with every request, through the SDK and through the signed block requests', async () => {
    const seen: { method: string; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      seen.push({ method: req.method!, headers: req.headers });
      req.resume();
      req.on('end', () => {
        res.setHeader('ETag', '"e"');
        res.end(req.method === 'GET' ? 'body' : '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const settings = await resolveStoreSettings({ HOME: home, CHALKFS_S3_ENDPOINT: endpoint, ...keys });
      const store = new S3ObjectStore({ ...settings, ...defaultS3Timeouts });
      await store.put('blocks/a', Buffer.from('x')); // signed block request
      await store.put('versions/1', Buffer.from('y'), { ifNoneMatch: '*' }); // the SDK
      await store.get('blocks/a');
      expect(seen.map((r) => r.method)).toEqual(['PUT', 'PUT', 'GET']);
      for (const r of seen) expect(r.headers['x-amz-security-token']).toBe('the-session-token');
    } finally {
      server.close();
    }
  });
});
