// node cpuprof.cjs FILE.cpuprofile [N]: self time per function (top N), and inclusive time for chalkfs functions
const fs = require('fs');
const p = JSON.parse(fs.readFileSync(process.argv[2]));
const N = +(process.argv[3] || 40);
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
const self = new Map();
const dt = p.timeDeltas; let total = 0;
const selfTime = new Map();
for (let i = 0; i < p.samples.length; i++) { const d = dt[i] || 0; total += d; selfTime.set(p.samples[i], (selfTime.get(p.samples[i]) || 0) + d); }
const key = (n) => { const f = n.callFrame; return `${f.functionName || '(anon)'} ${f.url.replace(/.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`; };
const incl = new Map();
for (const [id, t] of selfTime) {
  const n = byId.get(id); const k = key(n); self.set(k, (self.get(k) || 0) + t);
  const seen = new Set(); let cur = id;
  while (cur !== undefined) { const kk = key(byId.get(cur)); if (!seen.has(kk)) { seen.add(kk); incl.set(kk, (incl.get(kk) || 0) + t); } cur = parent.get(cur); }
}
const pct = (t) => (100 * t / total).toFixed(1).padStart(5) + '%';
console.log('total', (total / 1000).toFixed(0), 'ms');
console.log('--- self');
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, N)) console.log(pct(t), k);
console.log('--- inclusive (dist/ only)');
for (const [k, t] of [...incl].filter(([k]) => k.includes('dist/')).sort((a, b) => b[1] - a[1]).slice(0, N)) console.log(pct(t), k);
