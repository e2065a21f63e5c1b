const Database = require('/work/main/node_modules/better-sqlite3');
const fs = require('fs');
const path = process.argv[2];
const mb = fs.statSync(path).size / 1e6;
for (let i = 0; i < 5; i++) {
  const u0 = process.cpuUsage(); const t0 = process.hrtime.bigint();
  const db = new Database(path, { readonly: true });
  db.prepare('SELECT count(*) AS n, sum(length(name) + length(email) + length(bio) + created_at % 7) AS s FROM users').get();
  db.close();
  const u = process.cpuUsage(u0); const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`scan ${(mb / s).toFixed(0)} MB/s, reader CPU ${((u.user + u.system) / 1000 / mb).toFixed(2)} ms/MB (user ${(u.user / 1000 / mb).toFixed(2)}, sys ${(u.system / 1000 / mb).toFixed(2)})`);
}
