// Self time by function in the window from the first to the last sample inside a FUSE read handler.
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inRead = (id) => { for (let x = id; x !== undefined; x = parent.get(x)) { const f = byId.get(x).callFrame; if (f.functionName === 'read' && f.url.includes('lowlevel-handlers')) return true; } return false; };
const times = []; let t = p.startTime;
for (let i = 0; i < p.samples.length; i++) { t += p.timeDeltas[i]; times.push(t); }
let first = -1, last = -1;
for (let i = 0; i < p.samples.length; i++) if (inRead(p.samples[i])) { if (first < 0) first = i; last = i; }
if (first < 0) { console.log('no read samples'); process.exit(0); }
const self = new Map(); let total = 0;
for (let i = first; i <= last; i++) {
  const f = byId.get(p.samples[i]).callFrame;
  const dt = (times[i + 1] ?? times[i]) - times[i];
  const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^node:/, 'node:')}${f.url ? ':' + (f.lineNumber + 1) : ''}`;
  self.set(key, (self.get(key) ?? 0) + dt); total += dt;
}
console.log(`window ${((times[last] - times[first]) / 1000).toFixed(0)} ms, ${last - first + 1} samples`);
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 15));
for (const [k, v] of rows) console.log(`${(100 * v / total).toFixed(1).padStart(5)} %  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
