// What the kernel answers on its own, per mount mode, and when the daemon takes it back:
// a pinned mount's opens never reach the daemon (no_open), and a read-only mount's cached
// missing names are revoked when a version adds the name.
import { describe, expect, test } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { readAt } from '../support/file-io.js';
import { metricValue } from '../support/mount-metrics.js';

const KiB = 1024;
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const jsOpens = /^chalkfs_fuse_op_seconds_count\{.*op="open".*\}$/;
const openedInC = /^chalkfs_fuse_native_cache_hits_total\{op="open",.*\}$/;

async function errorCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
}

describe('a pinned mount: opens answered in the kernel (no_open)', () => {
  test('serves the pinned version, files and SQLite alike, while no open reaches JavaScript; the kernel refuses writes', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('pin');
    const writer = await fx.mount('pin');
    const v1 = randomBytes(300 * KiB);
    await writeFile(join(writer.dir, 'data.bin'), v1);
    const setup = new Database(join(writer.dir, 'app.db'));
    setup.pragma('journal_mode = DELETE');
    setup.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const insert = setup.prepare('INSERT INTO t (v) VALUES (?)');
    setup.transaction(() => { for (let i = 0; i < 500; i++) insert.run(`row ${i}`); })();
    setup.close();
    const info = JSON.parse((await fx.cliOk(['volume', 'info', 'pin', '--json'])).stdout) as { latestSeq: number };
    // A later version changes both: the pinned mount must not see it.
    await writeFile(join(writer.dir, 'data.bin'), randomBytes(100 * KiB));

    const pinned = await fx.addHost('host-b').mount(`pin@${info.latestSeq}`);
    const data = join(pinned.dir, 'data.bin');
    for (let i = 0; i < 20; i++) expect(sha(await readFile(data))).toBe(sha(v1));
    expect(statSync(data).size).toBe(v1.length);
    expect(sha(await readAt(data, 123_456, 4096))).toBe(sha(v1.subarray(123_456, 123_456 + 4096)));
    for (let i = 0; i < 20; i++) {
      const db = new Database(join(pinned.dir, 'app.db'), { readonly: true, fileMustExist: true });
      expect(db.prepare('SELECT count(*) AS n, max(v) AS top FROM t').get()).toEqual({ n: 500, top: 'row 99' });
      db.close();
    }
    // The first open was answered ENOSYS in C; after that the kernel sends none.
    expect(await metricValue(pinned, jsOpens)).toBe(0);
    expect(await metricValue(pinned, openedInC)).toBeGreaterThanOrEqual(1);

    // Opens never reach the volume, so the kernel refuses every change itself.
    expect(await errorCode(writeFile(data, 'x'))).toBe('EROFS');
    expect(await errorCode(open(data, 'r+'))).toBe('EROFS');
    expect(await errorCode(writeFile(join(pinned.dir, 'new.txt'), 'x'))).toBe('EROFS');
    expect(sha(await readFile(data))).toBe(sha(v1));
  });
});

describe('a read-only mount: missing names cached by the kernel', () => {
  test('a name the kernel cached as missing is found as soon as a version adding it is adopted', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('neg');
    const writer = await fx.mount('neg', { extraArgs: ['--commit-ms', '3600000'] });
    const reader = await fx.addHost('host-b').mount('neg', { readOnly: true });
    const later = join(reader.dir, 'later.txt');
    // Looked up and missing, again and again: the kernel caches the miss (30 s).
    for (let i = 0; i < 5; i++) expect(await errorCode(stat(later))).toBe('ENOENT');

    await writeFile(join(writer.dir, 'later.txt'), 'here now');
    // Well inside the negative entry's 30 s: the adoption revoked it.
    const deadline = Date.now() + 15_000;
    let found = '';
    while (Date.now() < deadline && found === '') {
      found = await readFile(later, 'utf8').catch(() => '');
      if (found === '') await new Promise((r) => setTimeout(r, 100));
    }
    expect(found).toBe('here now');
  });
});
