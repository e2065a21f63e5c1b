// PUT N x 1 MiB objects, K in flight, modes: sha (signed body hash), unsigned, crc (unsigned + x-amz-checksum-crc32).
// The crc mode needs a sixth argument to SignedRequests.put (extra headers): for this experiment
// dist/chalkfs/store/signed-requests.js was patched to spread it into the signed headers.
import { SignedRequests } from '/work/main/dist/chalkfs/store/signed-requests.js';
import { Agent } from 'node:http';
import { readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
const creds = JSON.parse(readFileSync('/tmp/ux/home/minio/credentials.json', 'utf8'));
const state = JSON.parse(readFileSync('/tmp/ux/home/minio/state.json', 'utf8'));
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const sr = new SignedRequests({ endpoint: state.endpoint, bucket: 'chalkfs', region: 'us-east-1', credentials: creds, agent, attemptTimeoutMs: 30000, maxAttempts: 3, maxIdleSockets: 8 });
const size = Number(process.env.SIZE ?? 1 << 20), n = Number(process.env.N ?? 256), k = Number(process.env.K ?? 4);
const bodies = Array.from({ length: 16 }, () => randomBytes(size));
const shas = bodies.map((b) => createHash('sha256').update(b).digest('hex'));
const minioCpu = () => { const f = readFileSync(`/proc/${state.pid}/stat`, 'utf8').split(')').pop().trim().split(/\s+/); return (Number(f[11]) + Number(f[12])) * 10; };
const selfCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
async function run(mode, round) {
  let next = 0;
  const m0 = minioCpu(), s0 = selfCpu(), t0 = performance.now();
  const signal = new AbortController().signal;
  await Promise.all(Array.from({ length: k }, async () => {
    while (next < n) {
      const i = next++; const b = bodies[i % 16];
      const key = `putbench/${mode}/${round}/${i}`;
      if (mode === 'sha') await sr.put(key, b, shas[i % 16], signal);
      else if (mode === 'unsigned') await sr.put(key, b, undefined, signal);
      else await sr.put(key, b, undefined, signal, {}, { 'x-amz-checksum-crc32': Buffer.from(crc32(b).toString(16).padStart(8, '0'), 'hex').toString('base64') });
    }
  }));
  const ms = performance.now() - t0, mb = (n * size) / 1e6;
  console.log(`${mode.padEnd(8)} ${(mb / (ms / 1000)).toFixed(0).padStart(5)} MB/s  minio ${((minioCpu() - m0) / mb).toFixed(2)} ms/MB  client ${((selfCpu() - s0) / mb).toFixed(2)} ms/MB`);
}
const modes = (process.env.MODES ?? 'sha,unsigned,crc').split(',');
for (let r = 0; r < Number(process.env.ROUNDS ?? 3); r++) for (const m of modes) await run(m, r);
agent.destroy(); sr.destroy();
