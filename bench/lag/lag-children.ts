/*
 * The two processes of the follower-lag bench, as CommonJS for `node -e` (better-sqlite3
 * resolves from the project). Both stamp times with performance.timeOrigin + now(), the
 * same wall clock on one machine to the microsecond, so a commit's stamp in one process
 * and its first sight in the other subtract.
 */

/**
 * Commits row 1, prints {ready}, waits for o.goFile, then commits o.commits one-row
 * transactions o.intervalMs apart, printing {id, at, commitMs} after each COMMIT returns. Its
 * connection stays open throughout, until o.doneFile exists, as an application's does: in
 * WAL mode the -wal then stays too (SQLite deletes it when the last connection closes).
 */
export const lagWriterCode = String.raw`
const Database = require('better-sqlite3');
const o = JSON.parse(process.argv[1]);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const db = new Database(o.db, { timeout: 10000 });
db.pragma('journal_mode = ' + o.journalMode);
db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, pad BLOB)');
const insert = db.prepare('INSERT INTO t (id, pad) VALUES (?, randomblob(100))');
insert.run(1);
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
const fs = require('node:fs');
while (!fs.existsSync(o.goFile)) sleep(5);
for (let id = 2; id <= o.commits + 1; id++) {
  sleep(o.intervalMs);
  const started = now();
  insert.run(id);
  const at = now();
  process.stdout.write(JSON.stringify({ id, at, commitMs: at - started }) + '\n');
}
// Open until the reader is done: the last connection's close checkpoints a WAL database and
// deletes its -wal, which a follower's open connection cannot follow (docs/CONSISTENCY.md).
for (let waited = 0; !fs.existsSync(o.doneFile) && waited < 120000; waited += 5) sleep(5);
db.close();
`;

/**
 * Holds one connection open for the whole run (as a web app's pool does) and reads
 * max(id) every o.pollMs, each read its own read transaction; prints {id, at} for each
 * new highest id, and stops at o.lastId.
 */
export const lagReaderCode = String.raw`
const Database = require('better-sqlite3');
const o = JSON.parse(process.argv[1]);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const db = new Database(o.db, { readonly: true, timeout: 10000 });
const max = db.prepare('SELECT max(id) AS m FROM t');
let seen = 0;
const deadline = Date.now() + o.timeoutMs;
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
while (seen < o.lastId && Date.now() < deadline) {
  const m = max.get().m;
  if (m > seen) { seen = m; process.stdout.write(JSON.stringify({ id: m, at: now() }) + '\n'); }
  sleep(o.pollMs);
}
db.close();
`;
