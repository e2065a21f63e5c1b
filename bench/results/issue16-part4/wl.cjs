const Database = require('/work/main/node_modules/better-sqlite3');
const [file, what] = [process.argv[2], process.argv[3]];
const db = new Database(file);
db.pragma('journal_mode=delete');
const t0 = Date.now();
if (what === 'bulk') {
  db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT)');
  db.transaction(() => { const st = db.prepare('INSERT INTO t(a,b) VALUES (?,?)'); for (let i = 0; i < 300000; i++) st.run(i * 7, 'row ' + i + ' ' + 'x'.repeat(60)); })();
} else {
  db.exec('CREATE TABLE IF NOT EXISTS u(id INTEGER PRIMARY KEY, a INTEGER, b TEXT); CREATE INDEX IF NOT EXISTS ua ON u(a); CREATE INDEX IF NOT EXISTS ub ON u(b)');
  db.transaction(() => { const st = db.prepare('INSERT INTO u(a,b) VALUES (?,?)'); for (let i = 0; i < 50000; i++) st.run(i, 'r' + Math.random()); })();
  const up = db.prepare('UPDATE u SET a = a + 1, b = ? WHERE id = ?');
  for (let k = 0; k < 300; k++) db.transaction(() => { for (let j = 0; j < 10; j++) up.run('z' + Math.random(), 1 + Math.floor(Math.random() * 50000)); })();
}
console.log(what, file, Date.now() - t0, 'ms');
db.close();
