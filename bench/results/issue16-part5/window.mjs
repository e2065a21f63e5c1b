// self time within [first,last] sample whose stack has a function matching argv[3]
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8')); const pat = new RegExp(process.argv[3]);
const byId = new Map(p.nodes.map((n) => [n.id, n])); const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inIt = (id) => { for (let x = id; x !== undefined; x = parent.get(x)) { const f = byId.get(x).callFrame; if (pat.test(f.functionName + ' ' + f.url)) return true; } return false; };
const times = []; let t = p.startTime; for (let i = 0; i < p.samples.length; i++) { t += p.timeDeltas[i]; times.push(t); }
let first = -1, last = -1; for (let i = 0; i < p.samples.length; i++) if (inIt(p.samples[i])) { if (first < 0) first = i; last = i; }
const self = new Map(); let total = 0;
for (let i = first; i <= last; i++) { const f = byId.get(p.samples[i]).callFrame; const dt = (times[i + 1] ?? times[i]) - times[i];
  const key = `${f.functionName || '(anon)'} ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`; self.set(key, (self.get(key) ?? 0) + dt); total += dt; }
console.log(`window ${((times[last] - times[first]) / 1000).toFixed(0)} ms`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[4] ?? 25))) console.log(`${(100 * v / total).toFixed(1).padStart(5)} % ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
