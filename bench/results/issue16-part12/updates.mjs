// usage: node updates.mjs DBPATH METRICS_URL [journal]
// The mixed workload's set-up (tables, 100k-row bulk insert, indexes), then 150 small
// inserts and 150 small updates, each phase timed, with the daemon's own metrics around it.
import Database from '/work/main/node_modules/better-sqlite3/lib/index.js';
const [dbPath, metricsUrl, journal = 'delete'] = process.argv.slice(2);
let seed = 6;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const text = (n) => { let o = ''; while (o.length < n) o += Math.floor(rnd() * 1e9).toString(36); return o.slice(0, n); };
async function metrics() {
  // A fresh connection each time: a kept-alive one the server closed failed the fetch.
  const t = await (await fetch(metricsUrl, { headers: { connection: 'close' } })).text();
  const m = {};
  for (const line of t.split('\n')) {
    const r = /^(chalkfs_(?:store_request_seconds|commit_seconds|version_object_bytes|fuse_op_seconds)_(?:sum|count))\{?([^}]*)\}? ([0-9.e+-]+)$/.exec(line);
    if (r) m[`${r[1]}{${r[2].replace(/mount="[^"]*",?|volume="[^"]*",?/g, '')}}`] = Number(r[3]);
  }
  return m;
}
function diff(a, b) {
  const out = {};
  for (const k of Object.keys(b)) { const d = b[k] - (a[k] ?? 0); if (d) out[k] = +d.toFixed(4); }
  return out;
}
const db = new Database(dbPath);
db.pragma(`journal_mode = ${journal.toUpperCase()}`);
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, score INTEGER NOT NULL, label TEXT NOT NULL, body TEXT NOT NULL); CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL, total INTEGER NOT NULL DEFAULT 0)');
const insert = db.prepare('INSERT INTO items (owner, score, label, body) VALUES (?, ?, ?, ?)');
db.transaction(() => { for (let i = 0; i < 100000; i++) insert.run(Math.floor(rnd() * 1000), Math.floor(rnd() * 1e6), text(12), text(100)); })();
db.exec('CREATE INDEX items_owner ON items (owner, score)'); db.exec('CREATE INDEX items_label ON items (label)');
const rows = db.prepare('SELECT max(id) AS m FROM items').get().m;
const update = db.prepare('UPDATE items SET score = score + 1, body = ? WHERE id BETWEEN ? AND ?');
for (const [name, fn] of [
  ['150 small inserts', () => insert.run(Math.floor(rnd() * 1000), Math.floor(rnd() * 1e6), text(12), text(100))],
  ['150 small updates', () => { const from = 1 + Math.floor(rnd() * rows); update.run(text(100), from, from + 9); }],
]) {
  const before = await metrics();
  const t0 = performance.now();
  for (let i = 0; i < 150; i++) fn();
  const ms = performance.now() - t0;
  const d = diff(before, await metrics());
  console.log(`${name}: ${(ms / 150).toFixed(2)} ms per transaction`);
  for (const [k, v] of Object.entries(d)) if (!/fuse_op/.test(k) || /write|fsync|unlink|create/.test(k)) console.log(`  ${k} ${v}`);
}
db.close();
