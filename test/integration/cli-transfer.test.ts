// `volume export` and `volume import` through the real CLI and MinIO, no mount involved
// except to hold the writer lease: a directory and a tar round trip keeps content, modes,
// owners, symlinks, hard links and mtimes; an import while a writer mount holds the lease
// fails in one line and changes nothing; a SQLite database written by another process
// the whole time is imported consistent (integrity_check, an invariant sum), in rollback
// and WAL mode; NAME@VERSION exports that version.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chown, link, lstat, mkdir, readdir, readFile, readlink, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';

const blockSize = 64 * 1024;
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface Seen {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtimeS: number;
  mtimeMs?: number;
  sha?: string;
  target?: string;
  /** The other names of the same file (hard links), sorted. */
  names?: string[];
}

/** Everything a round trip must keep, per path under `root`. */
async function snapshot(root: string, precision: 'ms' | 's'): Promise<Record<string, Seen>> {
  const out: Record<string, Seen> = {};
  const byIno = new Map<number, string[]>();
  const walk = async (dir: string, prefix: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name);
      const path = prefix ? `${prefix}/${name}` : name;
      const st = await lstat(abs);
      const seen: Seen = { type: st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeS: Math.floor(st.mtimeMs / 1000) };
      if (precision === 'ms') seen.mtimeMs = Math.floor(st.mtimeMs);
      if (st.isFile()) {
        seen.sha = sha(await readFile(abs));
        byIno.set(st.ino, [...(byIno.get(st.ino) ?? []), path]);
      }
      if (st.isSymbolicLink()) {
        seen.target = await readlink(abs);
        delete seen.mtimeMs; // a symlink's own time is not what users carry
        seen.mtimeS = 0;
        seen.mode = 0;
      }
      out[path] = seen;
      if (st.isDirectory()) await walk(abs, path);
    }
  };
  await walk(root, '');
  for (const names of byIno.values()) if (names.length > 1) for (const n of names) out[n]!.names = [...names].sort();
  return out;
}

async function sourceTree(dir: string): Promise<void> {
  await mkdir(join(dir, 'sub/deeper'), { recursive: true });
  await writeFile(join(dir, 'big.bin'), randomBytes(3 * blockSize + 123));
  await writeFile(join(dir, 'empty'), '');
  await writeFile(join(dir, 'sub/script.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(dir, 'sub/script.sh'), 0o755);
  await writeFile(join(dir, 'sub/deeper/secret'), randomBytes(1000));
  await chmod(join(dir, 'sub/deeper/secret'), 0o600);
  await chown(join(dir, 'sub/deeper/secret'), 1234, 5678);
  await link(join(dir, 'big.bin'), join(dir, 'sub/big-again.bin'));
  await symlink('../big.bin', join(dir, 'sub/to-big'));
  await symlink('nowhere', join(dir, 'dangling'));
  await chmod(join(dir, 'sub/deeper'), 0o750);
  const when = [1_600_000_000.25, 1_650_000_000.5, 1_700_000_000.75];
  for (const [i, p] of ['big.bin', 'empty', 'sub/script.sh', 'sub/deeper/secret', 'sub/deeper', 'sub'].entries()) await utimes(join(dir, p), when[i % 3]!, when[i % 3]!);
}

describe('volume export and import', () => {
  test('a directory and a tar round trip keep content, modes, owners, symlinks, hard links and mtimes', async () => {
    await using fx = await ChalkfsFixture.create();
    const src = await fx.tempDir('src');
    await sourceTree(src);
    const expected = await snapshot(src, 'ms');
    expect(expected['sub/big-again.bin']!.names).toEqual(['big.bin', 'sub/big-again.bin']);

    await fx.createVolume('one', ['--block-size', '64KiB']);
    const imported = JSON.parse((await fx.cliOk(['volume', 'import', 'one', src, '--json'])).stdout) as { seq: number; counts: { files: number; hardLinks: number; symlinks: number; directories: number } };
    expect(imported.counts).toMatchObject({ files: 4, hardLinks: 1, symlinks: 2, directories: 2 });
    const versions = JSON.parse((await fx.cliOk(['volume', 'versions', 'one', '--json'])).stdout) as { seq: number }[];
    expect(versions.at(-1)!.seq).toBe(imported.seq);

    const outDir = join(await fx.tempDir('out'), 'new');
    const exported = await fx.cliOk(['volume', 'export', 'one', outDir]);
    expect(exported.stdout).toMatch(new RegExp(`^exported one@${imported.seq} to ${outDir}: 4 files`));
    expect(await snapshot(outDir, 'ms')).toEqual(expected);

    // The same through a tar file, into a second volume, and out again.
    const tarFile = join(await fx.tempDir('tar'), 'one.tar');
    await fx.cliOk(['volume', 'export', 'one', tarFile]);
    await fx.createVolume('two', ['--block-size', '64KiB']);
    await fx.cliOk(['volume', 'import', 'two', tarFile]);
    const outTar = await fx.tempDir('out-tar');
    await fx.cliOk(['volume', 'export', 'two', outTar]);
    const inSeconds = await snapshot(src, 's');
    expect(await snapshot(outTar, 's')).toEqual(inSeconds);
  });

  test('export - and import - carry a tar on stdout and stdin; --to places it', async () => {
    await using fx = await ChalkfsFixture.create();
    const src = await fx.tempDir('src');
    await sourceTree(src);
    await fx.createVolume('a');
    await fx.cliOk(['volume', 'import', 'a', src]);
    const tarPath = join(await fx.tempDir('t'), 'a.tar');
    const env = fx.host.env();
    const cli = [process.execPath, fx.host.command.slice(1).join(' ')].join(' ');
    await new Promise<void>((resolve, reject) => {
      const sh = spawn('/bin/sh', ['-c', `${cli} volume export a - > ${tarPath} && ${cli} volume import a - --to /copy < ${tarPath}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      sh.stderr.on('data', (d) => (err += d));
      sh.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}: ${err}`))));
    });
    const out = await fx.tempDir('out');
    await fx.cliOk(['volume', 'export', 'a', out]);
    const top = await snapshot(join(out, 'copy'), 's');
    expect(top).toEqual(await snapshot(src, 's'));
  });

  test('import while a writer mount holds the lease fails in one line naming it, and changes nothing', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('held');
    const m = await fx.mount('held');
    await writeFile(join(m.dir, 'mine'), 'kept');
    const before = JSON.parse((await fx.cliOk(['volume', 'versions', 'held', '--json'])).stdout) as { seq: number }[];
    const src = await fx.tempDir('src');
    await writeFile(join(src, 'intruder'), 'no');
    const r = await fx.cli(['volume', 'import', 'held', src]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`cannot import into volume held .*pid ${m.pid}.*nothing was imported`));
    const after = JSON.parse((await fx.cliOk(['volume', 'versions', 'held', '--json'])).stdout) as { seq: number }[];
    expect(after).toEqual(before);
    await m.unmount();
    const out = await fx.tempDir('out');
    await fx.cliOk(['volume', 'export', 'held', out]);
    expect(await readdir(out)).toEqual(['mine']);
  });

  test('NAME@VERSION exports that version', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('v');
    const src = await fx.tempDir('src');
    await writeFile(join(src, 'f'), 'first');
    const first = JSON.parse((await fx.cliOk(['volume', 'import', 'v', src, '--json'])).stdout) as { seq: number };
    await writeFile(join(src, 'f'), 'second');
    await writeFile(join(src, 'g'), 'new');
    const second = JSON.parse((await fx.cliOk(['volume', 'import', 'v', src, '--json'])).stdout) as { seq: number };
    expect(second.seq).toBe(first.seq + 1);
    const old = await fx.tempDir('old');
    await fx.cliOk(['volume', 'export', `v@${first.seq}`, old]);
    expect(await readdir(old)).toEqual(['f']);
    expect(await readFile(join(old, 'f'), 'utf8')).toBe('first');
    const now = await fx.tempDir('now');
    await fx.cliOk(['volume', 'export', 'v', now]);
    expect(await readFile(join(now, 'f'), 'utf8')).toBe('second');
    const refused = await fx.cli(['volume', 'export', 'v', now]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not empty/);
  });
});

/**
 * Moves money between accounts in transactions big enough to span many pages (each also
 * rewrites a wide blob on every row it touches), from accounts at the end of the table to
 * accounts at its start, so a copy taken without SQLite's locks, its pages from two
 * states, has a wrong sum of balances (the invariant). Prints "ready" after the first commit.
 */
const writerCode = String.raw`
const Database = require('better-sqlite3');
const fs = require('node:fs');
const o = JSON.parse(process.argv[1]);
const db = new Database(o.db);
db.pragma('busy_timeout = 60000');
db.pragma('journal_mode = ' + o.mode);
// A small page cache spills changed pages into the database file (rollback mode) or the WAL
// mid-transaction: the file is then half-changed for most of each transaction.
db.pragma('cache_size = 50');
db.exec('CREATE TABLE IF NOT EXISTS acct (id INTEGER PRIMARY KEY, bal INTEGER, pad BLOB)');
const pad = (i) => Buffer.alloc(3000, i % 251);
db.transaction(() => { for (let i = 0; i < o.accounts; i++) db.prepare('INSERT INTO acct VALUES (?, ?, ?)').run(i, 1000, pad(0)); })();
let i = 0;
process.stdout.write('ready\n');
while (!fs.existsSync(o.stopFile)) {
  i++;
  db.transaction(() => {
    // From each account of the second half to its partner in the first: pages far apart.
    const half = o.accounts / 2;
    for (let k = 0; k < half; k++) {
      const amount = i % 7 + 1;
      db.prepare('UPDATE acct SET bal = bal + ?, pad = ? WHERE id = ?').run(amount, pad(i + k), k);
      db.prepare('UPDATE acct SET bal = bal - ?, pad = ? WHERE id = ?').run(amount, pad(i + k), k + half);
    }
  })();
}
db.close();
`;

describe('import of live SQLite databases', () => {
  test('rollback-journal and WAL databases written the whole time are imported consistent', async () => {
    await using fx = await ChalkfsFixture.create();
    const src = await fx.tempDir('src');
    const stopFile = join(src, '..', 'stop');
    const accounts = 2500; // about 8 MB per database, every page rewritten by each transaction: a copy without the locks tears
    const writers = ['delete', 'wal'].map((mode) => {
      const child = spawn(process.execPath, ['-e', writerCode, JSON.stringify({ db: join(src, `${mode}.db`), mode, accounts, stopFile })], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const exited = new Promise<string>((resolve) => child.on('exit', (code) => resolve(`exit ${code}: ${err}`)));
      const ready = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      return { child, exited, ready };
    });
    fx.defer(async () => {
      await writeFile(stopFile, '');
      for (const w of writers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    });
    for (const w of writers) await w.ready;

    await fx.createVolume('live');
    const imported = JSON.parse((await fx.cliOk(['volume', 'import', 'live', src, '--json'], { timeoutMs: 180_000 })).stdout) as { databases: { path: string; method: string }[]; skipped: { path: string }[] };
    await writeFile(stopFile, '');
    expect(await Promise.all(writers.map((w) => w.exited))).toEqual(['exit 0: ', 'exit 0: ']);
    expect(imported.databases).toEqual([
      { path: 'delete.db', method: 'sqlite-shared' },
      { path: 'wal.db', method: 'sqlite-backup' },
    ]);

    const out = await fx.tempDir('out');
    await fx.cliOk(['volume', 'export', 'live', out]);
    expect(existsSync(join(out, 'wal.db-shm'))).toBe(false);
    for (const name of ['delete.db', 'wal.db']) {
      const db = new Database(join(out, name));
      try {
        expect(db.pragma('integrity_check', { simple: true }), name).toBe('ok');
        const row = db.prepare('SELECT count(*) AS n, sum(bal) AS s FROM acct').get() as { n: number; s: number };
        expect(row, name).toEqual({ n: accounts, s: accounts * 1000 });
      } finally {
        db.close();
      }
    }
  });
});
