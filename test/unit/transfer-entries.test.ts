// The pure parts of `volume export`/`import` (chalkfs/transfer/tree-entry.ts): archive
// names that would leave the destination are refused, DEST/SRC arguments, hard-link
// bookkeeping, paths under --to; the tar adapter round-trips every entry type in memory;
// which SQLite companions a directory import leaves out; the CLI's progress reporting.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { archiveEnd, HardLinks, treePath, volumePath, type TreeEntry } from '../../chalkfs/transfer/tree-entry.js';
import { packTar, tarEntries } from '../../chalkfs/transfer/tar-archive.js';
import { isSkippedCompanion } from '../../chalkfs/transfer/sqlite-source.js';
import { terminalProgress, withProgress, type CommandProgress } from '../../chalkfs/cli/terminal-progress.js';

async function* from(entries: TreeEntry[]): AsyncGenerator<TreeEntry> {
  yield* entries;
}

async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

describe('tree paths', () => {
  it('normalizes archive names and refuses ones that leave the root', () => {
    expect(treePath('./a/b/')).toBe('a/b');
    expect(treePath('a//b/../c')).toBe('a/c');
    expect(treePath('./')).toBe('');
    expect(() => treePath('/etc/passwd')).toThrow(/absolute/);
    expect(() => treePath('../x')).toThrow(/leaves/);
    expect(() => treePath('a/../../x')).toThrow(/leaves/);
  });

  it('places tree paths under --to', () => {
    expect(volumePath('/', 'a/b')).toBe('/a/b');
    expect(volumePath('/dest', 'a')).toBe('/dest/a');
    expect(volumePath('/dest', '')).toBe('/dest');
    expect(volumePath('/', '')).toBe('/');
  });

  it('reads DEST and SRC: - is stdio, *.tar a tar file, anything else a directory', () => {
    expect(archiveEnd('-')).toEqual({ kind: 'tar-stdio' });
    expect(archiveEnd('out/db.tar')).toEqual({ kind: 'tar-file', path: 'out/db.tar' });
    expect(archiveEnd('out/db')).toEqual({ kind: 'directory', path: 'out/db' });
  });

  it('names a file seen again by the first name it was seen under', () => {
    const links = new HardLinks();
    expect(links.seen('7', 'a')).toBeUndefined();
    expect(links.seen('8', 'b')).toBeUndefined();
    expect(links.seen('7', 'c/d')).toBe('a');
    expect(links.seen('7', 'e')).toBe('a');
  });
});

describe('tar adapter', () => {
  it('round-trips directories, files, symlinks, hard links and FIFOs with their metadata', async () => {
    const meta = (mode: number, mtimeMs: number) => ({ mode, uid: 1234, gid: 5678, mtimeMs });
    const long = `${'deep/'.repeat(30)}name.txt`; // past ustar's 100 characters: a pax header
    const entries: TreeEntry[] = [
      { type: 'dir', path: 'd', meta: meta(0o750, 1_600_000_000_000) },
      { type: 'file', path: 'd/f', meta: meta(0o640, 1_650_000_000_000), sizeBytes: 11, content: () => chunks('hello', ' world') },
      { type: 'file', path: 'empty', meta: meta(0o600, 1_650_000_000_000), sizeBytes: 0, content: () => chunks() },
      { type: 'file', path: long, meta: meta(0o644, 1_650_000_000_000), sizeBytes: 1, content: () => chunks('x') },
      { type: 'symlink', path: 'd/s', meta: meta(0o777, 1_700_000_000_000), target: '../empty' },
      { type: 'hardlink', path: 'again', target: 'd/f' },
      { type: 'fifo', path: 'pipe', meta: meta(0o600, 1_700_000_000_000) },
    ];
    let packed = 0;
    const tar = packTar(from(entries), (n) => (packed += n));
    const read: unknown[] = [];
    for await (const e of tarEntries(tar)) {
      if (e.type === 'file') {
        const parts: Buffer[] = [];
        for await (const c of e.content()) parts.push(c);
        read.push({ ...e, content: Buffer.concat(parts).toString() });
      } else read.push(e);
    }
    expect(packed).toBe(12);
    expect(read).toEqual([
      entries[0],
      { ...entries[1], content: 'hello world' },
      { ...entries[2], content: '' },
      { ...entries[3], content: 'x' },
      entries[4],
      entries[5],
      entries[6],
    ]);
  });

  it('skips a file body the consumer does not read, and goes on', async () => {
    const m = { mode: 0o644, uid: 0, gid: 0, mtimeMs: 1_000_000_000_000 };
    const tar = packTar(from([
      { type: 'file', path: 'a', meta: m, sizeBytes: 3, content: () => chunks('abc') },
      { type: 'file', path: 'b', meta: m, sizeBytes: 2, content: () => chunks('de') },
    ]));
    const paths: string[] = [];
    for await (const e of tarEntries(tar)) paths.push(e.path);
    expect(paths).toEqual(['a', 'b']);
  });

  it('refuses a file whose content does not match its size', async () => {
    const m = { mode: 0o644, uid: 0, gid: 0, mtimeMs: 0 };
    const tar = packTar(from([{ type: 'file', path: 'a', meta: m, sizeBytes: 5, content: () => chunks('abc') }]));
    await expect(Readable.from(tar).toArray()).rejects.toThrow(/3 bytes read of 5/);
  });
});

describe('SQLite companions of a directory import', () => {
  const isDatabase = (name: string) => name === 'app.db';
  it("leaves out a database's journal and WAL, and every -shm", () => {
    expect(isSkippedCompanion('app.db-journal', isDatabase)).toBe(true);
    expect(isSkippedCompanion('app.db-wal', isDatabase)).toBe(true);
    expect(isSkippedCompanion('other-shm', isDatabase)).toBe(true);
    expect(isSkippedCompanion('app.db', isDatabase)).toBe(false);
    expect(isSkippedCompanion('notes-journal', isDatabase)).toBe(false); // no database "notes"
  });
});

describe('command progress', () => {
  function recorder(): CommandProgress & { calls: string[] } {
    const calls: string[] = [];
    return { calls, start: (t) => calls.push(`start ${t}`), advance: (n) => calls.push(`+${n}`), stop: () => calls.push('stop') };
  }

  it('starts at the first report, restarts when the total grows, and stops once the work ends', async () => {
    const p = recorder();
    const result = await withProgress(p, async (report) => {
      report(1, 2);
      report(2, 2);
      report(3, 5); // deletions became known
      report(5, 5);
      return 'done';
    });
    expect(result).toBe('done');
    expect(p.calls).toEqual(['start 2', '+1', '+1', 'stop', 'start 5', '+3', '+2', 'stop']);
  });

  it('stops the bar when the work fails', async () => {
    const p = recorder();
    await expect(withProgress(p, async (report) => {
      report(1, 3);
      throw new Error('store down');
    })).rejects.toThrow('store down');
    expect(p.calls.at(-1)).toBe('stop');
  });

  it('shows nothing off a terminal or with --json', () => {
    const written: string[] = [];
    const stream = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    for (const choice of [{ unit: 'bytes' as const, stream }, { unit: 'bytes' as const, json: true, stream: { ...stream, isTTY: true } as NodeJS.WriteStream }]) {
      const p = terminalProgress('x', choice);
      p.start(10);
      p.advance(5);
      p.stop();
    }
    expect(written).toEqual([]);
  });
});
