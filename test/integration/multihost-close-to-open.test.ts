// Close-to-open for files that are not SQLite databases, on a follower host (issue 15):
// a process holding a file open keeps reading the version it opened, whole, while every
// other open on that host gets the newest adopted version; the holder pins nobody else.
// The writer rewrites one plain file over several versions on its host; on the reader
// host, process A holds the file open and re-reads it through its descriptor, and
// processes B open, read and close it.
import { createHash, randomBytes } from 'node:crypto';
import { link, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { Children, waitFor, type JsonChild } from '../support/multihost-children.js';

const KiB = 1024;
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * Opens `o.file` once and keeps the descriptor: reads its first `o.firstBytes` and prints
 * their hash; then each time `o.again` names a new number, reads it whole from offset 0
 * to EOF and fstats it, and prints both; until the stop file appears; then closes it and
 * prints `closed`. Most of the file is first read after newer versions were adopted, so
 * its pages come from the daemon then, not from what the kernel cached at open.
 */
const holderCode = String.raw`
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const o = JSON.parse(process.argv[1]);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const fd = fs.openSync(o.file, 'r');
const read = (limit) => {
  const chunks = [];
  for (let pos = 0; pos < limit; ) {
    const buf = Buffer.alloc(Math.min(64 * 1024, limit - pos));
    const n = fs.readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
    pos += n;
  }
  const data = Buffer.concat(chunks);
  return { sha: createHash('sha256').update(data).digest('hex'), bytes: data.length, size: fs.fstatSync(fd).size };
};
let round = 0;
out({ type: 'read', round, ...read(o.firstBytes) });
while (!fs.existsSync(o.stopFile)) {
  let asked = round;
  try { asked = Number(fs.readFileSync(o.again, 'utf8')); } catch {}
  if (asked > round) { round = asked; out({ type: 'read', round, ...read(Infinity) }); }
  sleep(20);
}
fs.closeSync(fd);
out({ type: 'closed' });
`;

/**
 * Opens, reads whole and closes `o.file` once, then its hard link `o.link`; prints what it
 * read and the size stat(2) gave, and whether both names had one inode number.
 */
const readOnceCode = String.raw`
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const o = JSON.parse(process.argv[1]);
const data = fs.readFileSync(o.file);
const linked = fs.readFileSync(o.link);
const sameThroughLink = linked.equals(data) && fs.statSync(o.link).ino === fs.statSync(o.file).ino;
process.stdout.write(JSON.stringify({ type: 'read', sha: createHash('sha256').update(data).digest('hex'), bytes: data.length, size: fs.statSync(o.file).size, sameThroughLink }) + '\n');
`;

describe('close-to-open on a follower for a file that is not a database', () => {
  it('a holder keeps its version whole while opens elsewhere on the host see the newest adopted version', async () => {
    await using fx = await ChalkfsFixture.create();
    const children = new Children();
    try {
      await fx.createVolume('ctoc');
      const writer = await fx.mount('ctoc');
      const readerHost = fx.addHost('reader');
      const reader = await readerHost.mount('ctoc', { readOnly: true });
      const control = await fx.tempDir('control');
      const writerFile = join(writer.dir, 'app.log');
      const readerFile = join(reader.dir, 'app.log');

      // Sizes that no database has (not a multiple of 512), each version larger or smaller.
      const versions = [700 * KiB + 13, 300 * KiB + 7, 1500 * KiB + 3, 50 * KiB + 1, 900 * KiB + 5].map((n) => randomBytes(n));
      const sizes = (line: Record<string, unknown> | undefined) => versions.map((v, i) => (sha(v) === line?.sha ? `version ${i + 1}` : '')).join('') || 'no version';
      /** B: open, read, close, until it reads `data` (bounded: a few refresh intervals, generously). */
      const seenByOpeners = async (data: Buffer, what: string) => {
        let last: Record<string, unknown> | undefined;
        await waitFor(`an open on the reader host to see ${what}`, 20_000, async () => {
          const b = children.spawn(readOnceCode, { file: readerFile, link: join(reader.dir, 'app.log.1') }, readerHost.env());
          await b.exited;
          last = b.ofType('read')[0] ?? { type: 'failed', stderr: b.stderr.slice(-300) };
          return last.sha === sha(data);
        }, 100).catch((err: unknown) => {
          throw new Error(`${String(err)}; the last open read ${JSON.stringify(last)} (${sizes(last)})`);
        });
        expect(last).toEqual({ type: 'read', sha: sha(data), bytes: data.length, size: data.length, sameThroughLink: true });
      };

      // A second name of the file (a hard link): both names show the same content and inode.
      await writeFile(writerFile, versions[0]!);
      await link(writerFile, join(writer.dir, 'app.log.1'));
      await seenByOpeners(versions[0]!, 'version 1');

      const again = join(control, 'again');
      const stopHolder = join(control, 'stop-holder');
      const firstBytes = 64 * KiB;
      const holder = children.spawn(holderCode, { file: readerFile, again, stopFile: stopHolder, firstBytes }, readerHost.env());
      let round = 0;
      /** A re-reads through its descriptor; it must get version 1, whole, every time. */
      const holderReadsVersion1 = async () => {
        round++;
        await writeFile(again, String(round));
        const line = await holder.waitForLine(`the holder's read ${round}`, 30_000, (l) => l.type === 'read' && l.round === round);
        expect(line).toEqual({ type: 'read', round, sha: sha(versions[0]!), bytes: versions[0]!.length, size: versions[0]!.length });
      };
      await holder.waitForLine('the holder opened the file', 30_000, (l) => l.type === 'read' && l.round === 0);
      expect(holder.ofType('read')[0]).toEqual({ type: 'read', round: 0, sha: sha(versions[0]!.subarray(0, firstBytes)), bytes: firstBytes, size: versions[0]!.length });

      // While A holds version 1 open, each new version reaches B's opens.
      for (const [i, data] of versions.slice(1, 4).entries()) {
        await writeFile(writerFile, data);
        await seenByOpeners(data, `version ${i + 2}`);
        await holderReadsVersion1();
      }
      // A closes; opens still get the newest, and follow the next version too.
      await writeFile(stopHolder, '');
      await holder.waitForLine('the holder closed the file', 30_000, (l) => l.type === 'closed');
      await seenByOpeners(versions[3]!, 'version 4 after the holder closed');
      await writeFile(writerFile, versions[4]!);
      await seenByOpeners(versions[4]!, 'version 5');
      expectNoErrors(holder);
    } finally {
      await children.killAll();
    }
  });
});

function expectNoErrors(child: JsonChild): void {
  expect(child.stderr).toBe('');
}
