/*
 * Differential test: one seeded sequence of writes, truncates, reads, renames, hard links,
 * unlinks, closes and fsyncs applied to a chalkfs mount and to a local directory. Every
 * read, stat (size and link count) and error is compared as it happens; whole trees, and
 * which names share an inode, at the end, and again after a remount with an empty cache. Reproduce a failure with CHALKFS_DIFF_SEED=<seed printed>.
 */
import { expect, test } from 'vitest';
import { constants } from 'node:fs';
import { link, mkdir, mkdtemp, open, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { snapshotTree } from '../support/fs-tree.js';
import { seededRandom as prng } from '../../chalkfs/util/seeded-random.js';

const OPS = 10_000;
const KiB = 1024;


interface Side {
  root: string;
  /** Open handles by path; they follow their file through renames, as POSIX says. */
  handles: Map<string, FileHandle>;
}

/** The groups of paths (of `paths`) that name one inode, two names or more, sorted. */
async function linkGroups(root: string, paths: readonly string[]): Promise<string[][]> {
  const byIno = new Map<number, string[]>();
  for (const path of paths) {
    const st = await stat(join(root, path)).catch(() => undefined);
    if (st) byIno.set(st.ino, [...(byIno.get(st.ino) ?? []), path]);
  }
  return [...byIno.values()].filter((g) => g.length > 1).map((g) => g.sort()).sort();
}

async function outcome<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string }> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code) throw err;
    return { ok: false, code };
  }
}

test(`differential: ${OPS} seeded random operations give the same results on chalkfs and a local directory`, async () => {
  const seed = process.env.CHALKFS_DIFF_SEED ? Number(process.env.CHALKFS_DIFF_SEED) : Math.floor(Math.random() * 2 ** 31);
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

  await using fx = await ChalkfsFixture.create();
  const local = await mkdtemp(join(tmpdir(), 'chalkfs-diff-local-'));
  fx.defer(() => rm(local, { recursive: true, force: true }));
  // Small blocks, so that writes and truncates cross block edges all the time.
  await fx.createVolume('diff', ['--block-size', '16KiB']);
  let m = await fx.mount('diff');

  const sides: Side[] = [
    { root: m.dir, handles: new Map() },
    { root: local, handles: new Map() },
  ];
  const dirs = ['', 'a', 'b'];
  const names = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
  for (const side of sides) for (const d of dirs.filter(Boolean)) await mkdir(join(side.root, d));
  const paths = dirs.flatMap((d) => names.map((n) => (d ? `${d}/${n}` : n)));
  const history: string[] = [];

  /** Runs one step on both sides and checks they agree. */
  const both = async <T>(label: string, fn: (side: Side) => Promise<T>, compare: (a: T, b: T) => void = (a, b) => expect(a).toEqual(b)) => {
    history.push(label);
    const [c, l] = [await outcome(() => fn(sides[0]!)), await outcome(() => fn(sides[1]!))];
    expect({ op: label, ok: c.ok, code: c.ok ? undefined : c.code }).toEqual({ op: label, ok: l.ok, code: l.ok ? undefined : l.code });
    if (c.ok && l.ok) compare(c.value, l.value);
  };

  const handleFor = async (side: Side, path: string, create: boolean): Promise<FileHandle> => {
    let fh = side.handles.get(path);
    if (!fh) {
      fh = await open(join(side.root, path), constants.O_RDWR | (create ? constants.O_CREAT : 0), 0o644);
      side.handles.set(path, fh);
    }
    return fh;
  };
  const closeHandle = async (side: Side, path: string) => {
    const fh = side.handles.get(path);
    side.handles.delete(path);
    await fh?.close();
  };

  try {
    for (let i = 0; i < OPS; i++) {
      const r = random();
      const path = pick(paths);
      if (r < 0.35) {
        // write: mostly small, sometimes a whole block or more, at offsets up to 200 KiB
        const length = random() < 0.8 ? 1 + int(2 * KiB) : 1 + int(40 * KiB);
        const offset = random() < 0.1 ? 0 : int(200 * KiB);
        const data = Buffer.alloc(length);
        for (let j = 0; j < length; j++) data[j] = int(256);
        await both(`#${i} write ${path} @${offset} +${length}`, async (s) => (await (await handleFor(s, path, true)).write(data, 0, length, offset)).bytesWritten);
      } else if (r < 0.45) {
        const size = random() < 0.3 ? 0 : int(220 * KiB);
        await both(`#${i} truncate ${path} ${size}`, async (s) => (await handleFor(s, path, false)).truncate(size));
      } else if (r < 0.75) {
        const offset = int(230 * KiB);
        const length = 1 + int(48 * KiB);
        await both(
          `#${i} read ${path} @${offset} +${length}`,
          async (s) => {
            const buf = Buffer.alloc(length);
            const { bytesRead } = await (await handleFor(s, path, false)).read(buf, 0, length, offset);
            return buf.subarray(0, bytesRead);
          },
          (a, b) => {
            expect(a.length).toBe(b.length);
            expect(a.equals(b)).toBe(true);
          },
        );
      } else if (r < 0.78) {
        await both(`#${i} stat ${path}`, async (s) => {
          const st = await stat(join(s.root, path));
          return { size: st.size, nlink: st.nlink };
        });
      } else if (r < 0.8) {
        // A second name: the handles stay by path; both names share what is written.
        const to = pick(paths);
        await both(`#${i} link ${path} -> ${to}`, async (s) => link(join(s.root, path), join(s.root, to)));
      } else if (r < 0.86) {
        const to = pick(paths);
        await both(`#${i} rename ${path} -> ${to}`, async (s) => {
          await rename(join(s.root, path), join(s.root, to));
          if (to === path) return;
          // The replaced file is gone from the namespace; close its handle. The moved one follows.
          await closeHandle(s, to);
          const fh = s.handles.get(path);
          s.handles.delete(path);
          if (fh) s.handles.set(to, fh);
        });
      } else if (r < 0.9) {
        await both(`#${i} unlink ${path}`, async (s) => {
          await unlink(join(s.root, path));
          await closeHandle(s, path);
        });
      } else if (r < 0.97) {
        // close(2) publishes on chalkfs: a commit in the middle of the sequence.
        await both(`#${i} close ${path}`, async (s) => closeHandle(s, path));
      } else {
        await both(`#${i} fsync ${path}`, async (s) => (await handleFor(s, path, false)).sync());
      }
    }

    for (const side of sides) for (const path of [...side.handles.keys()]) await closeHandle(side, path);
    const expected = await snapshotTree(local);
    const expectedLinks = await linkGroups(local, paths);
    expect(Object.keys(expected).length).toBeGreaterThan(dirs.length);
    expect(await snapshotTree(m.dir)).toEqual(expected);
    expect(await linkGroups(m.dir, paths)).toEqual(expectedLinks);
    await m.unmount();
    m = await fx.mount('diff');
    expect(await snapshotTree(m.dir)).toEqual(expected);
    expect(await linkGroups(m.dir, paths)).toEqual(expectedLinks);
  } catch (err) {
    const message = `differential test failed with seed ${seed} (rerun with CHALKFS_DIFF_SEED=${seed}); last operations:\n${history.slice(-15).join('\n')}`;
    console.error(message);
    (err as Error).message = `${message}\n${(err as Error).message}`;
    throw err;
  } finally {
    for (const side of sides) for (const fh of side.handles.values()) await fh.close().catch(() => undefined);
  }
});
