// Live readers (issue 15): SQLite connections held open on a follower host follow the
// writer's commits, between their read transactions, with no read transaction seeing
// two versions; a reader that holds a read transaction open holds back only its own
// database. Two hosts (two cache dirs) against one MinIO; readers as root and as an
// unprivileged uid.
import { chmod, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChalkfsFixture, type Mount } from '../support/chalkfs-fixture.js';
import { Children, waitFor } from '../support/multihost-children.js';
import { UnprivilegedProject } from '../support/unprivileged-project.js';

const NOBODY = 65534;
const ACCOUNTS = 10;
const TOTAL = ACCOUNTS * 1000;

/**
 * Commits to each database in `o.dbs` in turn, each commit one row more in `t` and money moved between accounts (the sum stays TOTAL); prints each.
 */
const writerCode = String.raw`
const Database = require('better-sqlite3');
const fs = require('node:fs');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const dbs = o.dbs.map((path) => {
  const db = new Database(path);
  db.pragma('journal_mode = ' + o.journalMode);
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, pad BLOB); CREATE TABLE IF NOT EXISTS acct (id INTEGER PRIMARY KEY, bal INTEGER)');
  if (db.prepare('SELECT count(*) AS c FROM acct').get().c === 0) {
    db.transaction(() => { for (let i = 0; i < ${ACCOUNTS}; i++) db.prepare('INSERT INTO acct VALUES (?, 1000)').run(i); })();
  }
  return db;
});
for (let i = 1; i <= o.commits && !fs.existsSync(o.stopFile); i++) {
  for (const [k, db] of dbs.entries()) {
    db.transaction(() => {
      db.prepare('INSERT INTO t (pad) VALUES (randomblob(?))').run(200 + (i * 37) % 3000);
      const amount = (i * 13) % 500;
      db.prepare('UPDATE acct SET bal = bal - ? WHERE id = ?').run(amount, i % ${ACCOUNTS});
      db.prepare('UPDATE acct SET bal = bal + ? WHERE id = ?').run(amount, (i * 7 + 3) % ${ACCOUNTS});
    })();
    out({ type: 'commit', db: k, i });
  }
  sleep(o.pauseMs);
}
out({ type: 'done' });
`;

/**
 * Reads a database until the stop file appears (or it reads row o.until): long-lived (one
 * connection for the whole run) or short (open, query, close each time). Each read is one
 * read transaction that checks the invariants of one version: the sum of the accounts, and
 * the row count equal to the highest id. It prints each new highest id, every error, and
 * any read that went backwards or was torn.
 */
const readerCode = String.raw`
const Database = require('better-sqlite3');
const fs = require('node:fs');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const open = () => { const db = new Database(o.db, { readonly: true, fileMustExist: true }); db.pragma('busy_timeout = 10000'); return db; };
let db = o.longLived ? open() : undefined;
let last = 0, reads = 0, errors = 0, busy = 0, firstVersion, dataVersions = new Set();
const deadline = Date.now() + (o.forMs ?? 1e9);
while (!fs.existsSync(o.stopFile) && !(o.until && last >= o.until) && Date.now() < deadline) {
  try {
    const conn = db ?? open();
    try {
      const s = conn.transaction(() => ({
        max: conn.prepare('SELECT coalesce(max(id), 0) AS m FROM t').get().m,
        rows: conn.prepare('SELECT count(*) AS c FROM t').get().c,
        sum: conn.prepare('SELECT coalesce(sum(bal), 0) AS s FROM acct').get().s,
        dv: conn.pragma('data_version', { simple: true }),
      }))();
      reads++;
      if (s.sum !== ${TOTAL} || s.rows !== s.max) out({ type: 'torn', ...s });
      if (s.max < last) out({ type: 'backwards', from: last, to: s.max });
      if (s.max > last) { if (firstVersion === undefined) firstVersion = s.max; last = s.max; out({ type: 'read', max: s.max }); }
      dataVersions.add(s.dv);
    } finally {
      if (!db) conn.close();
    }
  } catch (err) {
    if (err && err.code === 'SQLITE_BUSY') busy++;
    else { errors++; out({ type: 'error', message: String(err && err.message), code: err && err.code }); }
  }
  sleep(o.pauseMs ?? 5);
}
out({ type: 'stopped', last, reads, errors, busy, dataVersions: dataVersions.size, firstVersion });
`;

/** Opens a database read-only, begins a read transaction and holds it until the release file appears. */
const holderCode = String.raw`
const Database = require('better-sqlite3');
const fs = require('node:fs');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const db = new Database(o.db, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 10000');
db.exec('BEGIN');
out({ type: 'holding', max: db.prepare('SELECT coalesce(max(id), 0) AS m FROM t').get().m, pid: process.pid });
while (!fs.existsSync(o.releaseFile)) sleep(20);
db.exec('COMMIT');
let max = 0;
while (!fs.existsSync(o.stopFile) && max < o.until) { max = db.prepare('SELECT coalesce(max(id), 0) AS m FROM t').get().m; sleep(20); }
out({ type: 'stopped', max });
`;

interface Stopped { last: number; reads: number; errors: number; busy: number; dataVersions: number; firstVersion: number }

/**
 * A writer host and a follower host; `dbs` made by one commit each and readable on the
 * follower; a control directory (stop files) that `uid` can reach, as can the mount.
 */
async function seeded(fx: ChalkfsFixture, children: Children, volume: string, dbs: string[], journalMode: string, uid?: number): Promise<{ writer: Mount; reader: Mount; control: string; stopFile: string }> {
  await fx.createVolume(volume);
  const writer = await fx.mount(volume);
  const reader = await fx.addHost('reader').mount(volume, { readOnly: true, extraArgs: ['--refresh-ms', '100'] });
  const control = await fx.tempDir('control');
  const stopFile = join(control, 'stop');
  await openTo(uid, dirname(reader.dir), control);
  const first = children.spawn(writerCode, { dbs: dbs.map((d) => join(writer.dir, d)), journalMode, commits: 1, pauseMs: 0, stopFile }, fx.host.env());
  await first.waitForLine('the first commit', 60_000, (l) => l.type === 'done');
  await waitFor('the databases to reach the reader host', 30_000, async () => {
    const probes = dbs.map((d) => children.spawn(readerCode, { db: join(reader.dir, d), stopFile, until: 1, forMs: 2_000 }, reader.host.env(), uid));
    const codes = await Promise.all(probes.map((p) => p.exited));
    return codes.every((c) => c === 0) && probes.every((p) => p.ofType('read').length > 0);
  }, 200);
  return { writer, reader, control, stopFile };
}

/** The fixture's directories are root's (0700): let `uid` reach the mount and the control files. */
async function openTo(uid: number | undefined, ...dirs: string[]): Promise<void> {
  if (uid === undefined) return;
  for (const dir of dirs) for (const up of [dir, dirname(dir)]) await chmod(up, 0o755);
}

async function stoppedLine(child: ReturnType<Children['spawn']>, what: string, timeoutMs: number): Promise<Stopped> {
  return (await child.waitForLine(what, timeoutMs, (l) => l.type === 'stopped')) as unknown as Stopped;
}

describe('SQLite connections held open on a follower host', () => {
  it.each([
    ['root', undefined],
    ['uid 65534', NOBODY],
  ])('a long-lived connection (as %s) follows 100 commits of the writer, never backwards', { timeout: 240_000 }, async (_who, uid) => {
    await using fx = await ChalkfsFixture.create();
    await using project = await UnprivilegedProject.create();
    const children = new Children(project);
    try {
      const dbPath = 'db.sqlite';
      const { writer, reader, control, stopFile } = await seeded(fx, children, 'follow', [dbPath], 'delete', uid);

      const follower = children.spawn(readerCode, { db: join(reader.dir, dbPath), stopFile, longLived: true, until: 101 }, reader.host.env(), uid);
      await follower.waitForLine('a first read', 30_000, (l) => l.type === 'read');
      const commits = children.spawn(writerCode, { dbs: [join(writer.dir, dbPath)], journalMode: 'delete', commits: 100, pauseMs: 20, stopFile: join(control, 'never') }, fx.host.env());
      await commits.waitForLine('100 commits', 120_000, (l) => l.type === 'done');
      // Row 1 from the first run, rows 2..101 from these 100 commits.
      const done = await stoppedLine(follower, 'the follower to reach the last row', 60_000).catch(async (err: unknown) => {
        await writeFile(stopFile, '');
        throw err;
      });
      expect(follower.ofType('error')).toEqual([]);
      expect(follower.ofType('torn')).toEqual([]);
      expect(follower.ofType('backwards')).toEqual([]);
      expect(done.last).toBe(101);
      expect(done.dataVersions).toBeGreaterThan(1);
    } finally {
      await children.killAll();
    }
  });

  it('a reader holding a read transaction open holds back only its own database, named in chalkfs status', { timeout: 240_000 }, async () => {
    await using fx = await ChalkfsFixture.create();
    await using project = await UnprivilegedProject.create();
    const children = new Children(project);
    try {
      const dbs = ['a.sqlite', 'b.sqlite'];
      const { writer, reader, control, stopFile } = await seeded(fx, children, 'held', dbs, 'truncate', NOBODY);
      const releaseFile = join(control, 'release');

      const holder = children.spawn(holderCode, { db: join(reader.dir, 'a.sqlite'), releaseFile, stopFile, until: 21 }, reader.host.env(), NOBODY);
      const holding = await holder.waitForLine('the read transaction', 30_000, (l) => l.type === 'holding');
      expect(holding.max).toBe(1);
      const follower = children.spawn(readerCode, { db: join(reader.dir, 'b.sqlite'), stopFile, longLived: true, until: 21 }, reader.host.env());
      await follower.waitForLine('a first read', 30_000, (l) => l.type === 'read');
      const commits = children.spawn(writerCode, { dbs: dbs.map((d) => join(writer.dir, d)), journalMode: 'truncate', commits: 20, pauseMs: 20, stopFile: join(control, 'never') }, fx.host.env());
      await commits.waitForLine('20 commits', 120_000, (l) => l.type === 'done');

      // The other database follows while a.sqlite's reader holds its transaction.
      const done = await stoppedLine(follower, 'the follower of b.sqlite to reach the last row', 60_000);
      expect(done.last).toBe(21);
      expect(follower.ofType('error')).toEqual([]);
      expect(follower.ofType('torn')).toEqual([]);
      const lagging = await waitFor('a.sqlite named lagging in status', 30_000, async () => {
        const status = JSON.parse((await reader.host.cliOk(['status', '--json'])).stdout) as { mountpoint: string; lagging?: { path: string; blockers: { pid: number }[] }[] }[];
        const files = status.find((m) => m.mountpoint === reader.dir)?.lagging ?? [];
        return files.find((f) => f.path === '/a.sqlite' && f.blockers.length > 0);
      }, 200);
      expect(lagging.blockers.map((b) => b.pid)).toContain(holding.pid);
      expect((await reader.host.cliOk(['status'])).stdout).toMatch(new RegExp(`/a\\.sqlite kept at version \\d+ since .*: a read transaction holds it \\(pid [^)]*${String(holding.pid)}`));

      // Once the transaction ends, a.sqlite follows too, on the same connection.
      await writeFile(releaseFile, '');
      const released = await holder.waitForLine('the holder to reach the last row', 60_000, (l) => l.type === 'stopped');
      expect(released.max).toBe(21);
    } finally {
      await children.killAll();
    }
  });

  it('32 readers (16 long-lived, 16 open→query→close; half as uid 65534) under a writer committing every 50 ms: no error, no torn or backwards read', { timeout: 300_000 }, async () => {
    await using fx = await ChalkfsFixture.create();
    await using project = await UnprivilegedProject.create();
    const children = new Children(project);
    const commits = 200;
    try {
      const db = 'db.sqlite';
      const { writer, reader, control, stopFile } = await seeded(fx, children, 'load', [db], 'persist', NOBODY);

      const readers = Array.from({ length: 32 }, (_, i) =>
        children.spawn(readerCode, { db: join(reader.dir, db), stopFile, longLived: i % 2 === 0, until: commits + 1, pauseMs: 5 }, reader.host.env(), i % 4 < 2 ? undefined : NOBODY),
      );
      await Promise.all(readers.map((r) => r.waitForLine('a first read', 60_000, (l) => l.type === 'read')));
      const writing = children.spawn(writerCode, { dbs: [join(writer.dir, db)], journalMode: 'persist', commits, pauseMs: 50, stopFile: join(control, 'never') }, fx.host.env());
      await writing.waitForLine(`${commits} commits`, 180_000, (l) => l.type === 'done');
      const ends = await Promise.all(readers.map((r) => stoppedLine(r, 'a reader to reach the last row', 60_000)));
      const count = (type: string) => readers.reduce((n, r) => n + r.ofType(type).length, 0);
      console.log(`32 readers: ${ends.reduce((n, e) => n + e.reads, 0)} reads, ${ends.reduce((n, e) => n + e.busy, 0)} SQLITE_BUSY past busy_timeout, ${count('error')} errors, ${count('torn')} torn, ${count('backwards')} backwards`);
      expect(readers.flatMap((r) => r.ofType('error'))).toEqual([]);
      expect(count('torn')).toBe(0);
      expect(count('backwards')).toBe(0);
      expect(ends.map((e) => e.last)).toEqual(ends.map(() => commits + 1));
      // Every long-lived connection saw the database change under it.
      expect(ends.filter((_, i) => i % 2 === 0).every((e) => e.dataVersions > 1)).toBe(true);
    } finally {
      await children.killAll();
    }
  });
});
