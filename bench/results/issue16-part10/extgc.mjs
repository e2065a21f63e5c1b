// Allocate N 1 MiB external buffers, keep the last KEEP, count GCs by kind.
import { PerformanceObserver, constants } from 'node:perf_hooks';
const counts = {};
new PerformanceObserver((l) => { for (const e of l.getEntries()) { const k = e.detail.kind; counts[k] = (counts[k] || 0) + 1; } }).observe({ entryTypes: ['gc'] });
const keep = +(process.env.KEEP || 256), n = +(process.env.N || 1024), per = +(process.env.PER || 1);
const lru = [];
const t0 = process.cpuUsage();
for (let i = 0; i < n; i++) {
  for (let j = 0; j < per; j++) { const b = Buffer.allocUnsafeSlow(1 << 20); b[0] = 1; if (j === 0) { lru.push(b); if (lru.length > keep) lru.shift(); } }
  // some JS garbage per request
  const junk = []; for (let k = 0; k < 200; k++) junk.push({ a: k, b: String(k) });
  if (i % 16 === 0) await new Promise((r) => setImmediate(r));
}
await new Promise((r) => setTimeout(r, 100));
const u = process.cpuUsage(t0);
console.log(`KEEP=${keep} N=${n} PER=${per}`, JSON.stringify(counts), 'cpu ms', ((u.user + u.system) / 1000).toFixed(0));
