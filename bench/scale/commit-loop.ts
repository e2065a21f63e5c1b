/*
 * The scale bench's writer workload, in its own process (better-sqlite3 blocks its event
 * loop, and the bench's counting proxies must keep answering): one-row transactions on a
 * database on the writer's mount at a set rate for a set time. Prints a JSON line:
 * {commits, elapsedMs, p50Ms, p99Ms}.
 *
 *   node commit-loop.js <dbPath> <commitsPerSecond> <seconds>
 */
import Database from 'better-sqlite3';

const [dbPath, rateArg, secondsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
if (!dbPath || !(rate > 0) || !(seconds > 0)) throw new Error('usage: commit-loop <dbPath> <commitsPerSecond> <seconds>');

const db = new Database(dbPath);
db.exec('CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO events (at, body) VALUES (?, ?)');

const latencies: number[] = [];
const started = Date.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; Date.now() - started < seconds * 1000; i++) {
  const due = started + (i * 1000) / rate;
  if (due > Date.now()) await sleep(due - Date.now());
  const t0 = performance.now();
  insert.run(Date.now(), `row ${i} ${'x'.repeat(100)}`);
  latencies.push(performance.now() - t0);
}
db.close();
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
process.stdout.write(`${JSON.stringify({ commits: latencies.length, elapsedMs: Date.now() - started, p50Ms: at(0.5), p99Ms: at(0.99) })}\n`);
