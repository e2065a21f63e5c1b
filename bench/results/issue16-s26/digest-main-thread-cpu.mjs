import { createHash, webcrypto, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
const subtle = webcrypto.subtle;
const mainNs = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
const procNs = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };
for (const size of [4096, 16384, 65536, 262144, 1 << 20]) {
  const buf = randomBytes(size);
  const n = Math.floor((512 << 20) / size);
  for (let i = 0; i < 50; i++) { createHash('sha256').update(buf).digest('hex'); await subtle.digest('SHA-256', buf); }
  let m = mainNs(), p = procNs();
  for (let i = 0; i < n; i++) createHash('sha256').update(buf).digest('hex');
  const syncMain = (mainNs() - m) / n / 1000, syncAll = (procNs() - p) / n / 1000;
  for (const inflight of [1, 8]) {
    m = mainNs(); p = procNs();
    for (let i = 0; i < n; i += inflight) await Promise.all(Array.from({ length: inflight }, () => subtle.digest('SHA-256', buf).then((ab) => Buffer.from(ab).toString('hex'))));
    const aMain = (mainNs() - m) / n / 1000, aAll = (procNs() - p) / n / 1000;
    console.log(`${size} B: sync main ${syncMain.toFixed(1)} µs (all ${syncAll.toFixed(1)}); subtle ×${inflight} in flight: main ${aMain.toFixed(1)} µs, all threads ${aAll.toFixed(1)} µs`);
  }
}
