// GET CPU per MB: a raw socket reading into the final buffer (rawget.mjs, the prototype of
// store/direct-get-pool.ts) vs chalkfs SignedRequests vs undici, same signer. The "node" row is
// SignedRequests as of 3be4b3a (node:http); built after 5e44dd8 it takes the direct path too.
import { Agent as HttpAgent } from 'node:http';
import { randomBytes } from 'node:crypto';
import { S3Client, CreateBucketCommand } from '/work/main/node_modules/@aws-sdk/client-s3/dist-cjs/index.js';
import { SignedRequests } from '/work/main/dist/chalkfs/store/signed-requests.js';
import { SignatureV4 } from '/work/main/node_modules/@smithy/signature-v4/dist-cjs/index.js';
import { Sha256 } from '/tmp/ux/sha.mjs';
import { Pool } from '/tmp/ux/node_modules/undici/index.js';
import { RawGetter } from './rawget.mjs';

const endpoint = process.env.CHALKFS_S3_ENDPOINT, bucket = 'getbench';
const credentials = { accessKeyId: 'minioadmin', secretAccessKey: 'minioadmin' };
const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => {});
const N = Number(process.env.N ?? 256), SIZE = Number(process.env.SIZE ?? 1 << 20), CONC = Number(process.env.CONC ?? 4);
const agent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
const sr = new SignedRequests({ endpoint, bucket, region: 'us-east-1', credentials, agent, attemptTimeoutMs: 30000, maxAttempts: 3 });
const ctl = new AbortController();
if (!process.env.SKIP_PUT) {
  const body = randomBytes(SIZE);
  for (let i = 0; i < N; i++) { body.writeUInt32LE(i, 0); await sr.put(`o/${SIZE}/${i}`, body, undefined, ctl.signal); }
}
const url = new URL(endpoint);
const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
const pool = new Pool(endpoint, { connections: 16, pipelining: 1 });
async function undiciGet(key) {
  const path = `/${bucket}/${key}`;
  const signed = await signer.sign({ method: 'GET', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path, query: {}, headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  const res = await pool.request({ method: 'GET', path, headers: signed.headers });
  const len = Number(res.headers['content-length']);
  const target = Buffer.allocUnsafe(len); let off = 0;
  for await (const chunk of res.body) { chunk.copy(target, off); off += chunk.length; }
  if (off !== len) throw new Error('short');
  return target;
}
async function undiciGetAB(key) {
  const path = `/${bucket}/${key}`;
  const signed = await signer.sign({ method: 'GET', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path, query: {}, headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
  const res = await pool.request({ method: 'GET', path, headers: signed.headers });
  return Buffer.from(await res.body.arrayBuffer());
}
async function run(name, get) {
  let next = 0; const t0 = performance.now(); const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: CONC }, async () => { while (next < N) { const i = next++; const b = await get(`o/${SIZE}/${i}`); if (b.length !== SIZE || b.readUInt32LE(0) !== i) throw new Error('bad'); } }));
  const c = process.cpuUsage(c0); const ms = performance.now() - t0; const mb = (N * SIZE) / 1e6;
  console.log(`${name.padEnd(10)} ${(mb / (ms / 1000)).toFixed(0).padStart(5)} MB/s  cpu ${(((c.user + c.system) / 1000) / mb).toFixed(2)} ms/MB (user ${(c.user/1000/mb).toFixed(2)} sys ${(c.system/1000/mb).toFixed(2)})`);
}
const raw = new RawGetter(url.hostname, Number(url.port), async (path) => (await signer.sign({ method: 'GET', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path, query: {}, headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })).headers);
const impls = { raw: (k) => raw.get(`/${bucket}/${k}`), node: (k) => sr.get(k, ctl.signal).then((o) => o.body), undici: undiciGet, undiciAB: undiciGetAB };
for (let r = 0; r < Number(process.env.R ?? 3); r++) for (const [n, f] of Object.entries(impls)) await run(n, f);
await pool.close(); agent.destroy(); for (const c of raw.idle) c.sock.destroy();
