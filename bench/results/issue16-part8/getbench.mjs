// MinIO's CPU per MB for GETs by shape: whole 1 MiB objects, 1 MiB and 4 MiB ranges of 8 MiB objects, whole
// 8 MiB objects; 8 in flight; the kernel's caches dropped before each round (the objects are read from disk).
import { S3Client, PutObjectCommand, GetObjectCommand } from '/work/main/node_modules/@aws-sdk/client-s3/dist-cjs/index.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execSync } from 'node:child_process';
const creds = JSON.parse(readFileSync('/tmp/ux/home/minio/credentials.json', 'utf8'));
const state = JSON.parse(readFileSync('/tmp/ux/home/minio/state.json', 'utf8'));
const s3 = new S3Client({ endpoint: state.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: creds });
const Bucket = 'chalkfs', MiB = 1 << 20, total = 256 * MiB, inFlight = 8;
const minioCpu = () => { const f = readFileSync(`/proc/${state.pid}/stat`, 'utf8').split(')').pop().trim().split(/\s+/); return (Number(f[11]) + Number(f[12])) * 10; };
const pool = async (jobs) => { let next = 0; await Promise.all(Array.from({ length: inFlight }, async () => { while (next < jobs.length) await jobs[next++](); })); };
const drain = async (res) => { for await (const _ of res.Body) {} };
if (process.argv[2] === 'setup') {
  await pool(Array.from({ length: 256 }, (_, i) => () => s3.send(new PutObjectCommand({ Bucket, Key: `getbench/1m/${i}`, Body: randomBytes(MiB) }))));
  await pool(Array.from({ length: 32 }, (_, i) => () => s3.send(new PutObjectCommand({ Bucket, Key: `getbench/8m/${i}`, Body: randomBytes(8 * MiB) }))));
  process.exit(0);
}
const shapes = {
  'whole 1 MiB objects': () => Array.from({ length: 256 }, (_, i) => () => s3.send(new GetObjectCommand({ Bucket, Key: `getbench/1m/${i}` })).then(drain)),
  '1 MiB ranges of 8 MiB objects': () => Array.from({ length: 256 }, (_, i) => () => s3.send(new GetObjectCommand({ Bucket, Key: `getbench/8m/${i >> 3}`, Range: `bytes=${(i & 7) * MiB}-${(i & 7) * MiB + MiB - 1}` })).then(drain)),
  '4 MiB ranges of 8 MiB objects': () => Array.from({ length: 64 }, (_, i) => () => s3.send(new GetObjectCommand({ Bucket, Key: `getbench/8m/${i >> 1}`, Range: `bytes=${(i & 1) * 4 * MiB}-${(i & 1) * 4 * MiB + 4 * MiB - 1}` })).then(drain)),
  'whole 8 MiB objects': () => Array.from({ length: 32 }, (_, i) => () => s3.send(new GetObjectCommand({ Bucket, Key: `getbench/8m/${i}` })).then(drain)),
};
for (let round = 0; round < Number(process.env.ROUNDS ?? 2); round++) {
  for (const [name, jobs] of Object.entries(shapes)) {
    execSync('sync; echo 3 > /proc/sys/vm/drop_caches');
    const m0 = minioCpu(), t0 = performance.now();
    await pool(jobs());
    const s = (performance.now() - t0) / 1000, mb = total / 1e6;
    console.log(`${name.padEnd(32)} ${(mb / s).toFixed(0).padStart(5)} MB/s  minio ${((minioCpu() - m0) / mb).toFixed(2)} ms/MB`);
  }
}
s3.destroy();
