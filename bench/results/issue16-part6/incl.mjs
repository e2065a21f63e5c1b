// inclusive time (ms) per function in dist/ (counted once per sample even if recursive)
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n])); const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const incl = new Map(); let busy = 0;
let tt = 0; const from = Number(process.env.FROM_MS ?? 0), to = Number(process.env.TO_MS ?? 1e12);
for (let i = 0; i < p.samples.length; i++) { tt += p.timeDeltas[i] / 1000; if (tt < from || tt > to) continue;
  const dt = p.timeDeltas[i] / 1000; const leaf = byId.get(p.samples[i]);
  if (leaf.callFrame.functionName === '(idle)') continue; busy += dt;
  const seen = new Set();
  for (let x = p.samples[i]; x !== undefined; x = parent.get(x)) { const f = byId.get(x).callFrame; const k = `${f.functionName || '(anon)'} ${f.url.replace(/.*\/(dist|node_modules)\//, '').replace(/^node:.*/, f.url)}:${f.lineNumber + 1}`; if (seen.has(k)) continue; seen.add(k); incl.set(k, (incl.get(k) ?? 0) + dt); }
}
console.log('busy ms', busy.toFixed(0));
for (const [k, v] of [...incl].filter(([k]) => new RegExp(process.argv[4] ?? '.').test(k)).sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[3] ?? 40))) console.log(v.toFixed(0).padStart(6), k);
