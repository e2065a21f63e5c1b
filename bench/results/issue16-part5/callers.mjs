// total self time of functions matching argv[3], grouped by caller chain (3 levels)
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8')); const pat = new RegExp(process.argv[3]);
const byId = new Map(p.nodes.map((n) => [n.id, n])); const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const agg = new Map();
for (const n of p.nodes) { const f = n.callFrame; if (!pat.test(f.functionName)) continue;
  const chain = []; for (let x = parent.get(n.id), k = 0; x !== undefined && k < Number(process.argv[4] ?? 4); x = parent.get(x), k++) { const g = byId.get(x).callFrame; chain.push(`${g.functionName || '(anon)'}@${g.url.split('/').pop()}:${g.lineNumber + 1}`); }
  const key = chain.join(' < '); agg.set(key, (agg.get(key) ?? 0) + n.hitCount); }
for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(v, k);
