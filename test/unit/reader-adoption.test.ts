// How a read-only mount adopts new versions: only once the blocks a version changed in
// the files this host uses are local (so a store outage right after adoption cannot
// leave it unable to serve what it had), and reading each inconsistent version once.
import { afterEach, describe, expect, it } from 'vitest';
import { FaultyObjectStore } from '../../chalkfs/store/faulty-object-store.js';
import type { VolumeView } from '../../chalkfs/vfs/volume-view.js';
import type { WriterVolume } from '../../chalkfs/vfs/writer-volume.js';
import { blocksToHaveBeforeAdopting } from '../../chalkfs/vfs/adoption-plan.js';
import type { FileInode, Inode } from '../../chalkfs/meta/format.js';
import { closeTestMounts, newTestVolume, testBlockSize as bs } from '../support/test-volume.js';

const reading = { write: false };
const writing = { write: true };

const file = (blocks: (string | null)[], patches?: FileInode['patches']): FileInode => ({
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  atimeMs: 0,
  mtimeMs: 0,
  ctimeMs: 0,
  sizeBytes: blocks.length * bs,
  blocks,
  ...(patches ? { patches } : {}),
});

describe('blocksToHaveBeforeAdopting', () => {
  const local = new Set(['a', 'b', 'c']);
  const isLocal = (h: string) => local.has(h);

  it('needs the replacing blocks where the host had the old ones, and blocks where the file had none', () => {
    const current = new Map<number, Inode>([[2, file(['a', 'b', 'x', null])]]);
    // 'b' → 'n1' (had 'b': needed); 'x' → 'n2' (never had 'x': not needed); hole → 'n3'; grown → 'n4'.
    expect(blocksToHaveBeforeAdopting(current, { 2: file(['a', 'n1', 'n2', 'n3', 'n4']) }, isLocal).sort()).toEqual(['n1', 'n3', 'n4']);
  });

  it('needs nothing for files this host does not use, new files, or patch-only changes over local bases', () => {
    const current = new Map<number, Inode>([
      [2, file(['x', 'y'])],
      [3, file(['a', 'b'])],
    ]);
    const next = { 2: file(['n1', 'n2']), 3: file(['a', 'b'], { 1: [[0, 'AAAA']] }), 4: file(['n3']) };
    expect(blocksToHaveBeforeAdopting(current, next, isLocal)).toEqual([]);
  });
});

afterEach(closeTestMounts);

const newVolume = () => newTestVolume((memory) => new FaultyObjectStore(memory));

async function readAll(v: VolumeView, path: string): Promise<string> {
  // As the kernel does: a lookup (getattr) first, then the open.
  const size = v.getattr(path).size;
  const fh = await v.open(path, reading);
  try {
    const out = Buffer.alloc(size);
    await v.read(fh, out, size, 0);
    return out.toString();
  } finally {
    v.release(fh);
  }
}

async function rewrite(rw: WriterVolume, path: string, content: string): Promise<void> {
  const fh = await rw.open(path, writing);
  await rw.truncate(path, 0);
  await rw.write(fh, Buffer.from(content), 0);
  rw.release(fh);
  await rw.fsync(path);
}

describe('a read-only mount adopting versions', () => {
  it('asks for the next version with one GET when nothing changed, and never lists while idle', async () => {
    const { memory, mount } = await newVolume();
    const rw = await mount('read-write');
    const ro = await mount('read-only');
    const before = { ...memory.requestCounts };
    for (let i = 0; i < 10; i++) expect(await ro.refresh()).toBe(false);
    expect(memory.requestCounts.list - before.list).toBe(0);
    expect(memory.requestCounts.get - before.get).toBe(10);
    // One new version: found without a listing either.
    const fh = rw.create('/f', 0o644);
    rw.release(fh);
    await rw.fsync('/f');
    expect(await ro.refresh()).toBe(true);
    expect(ro.versionSeq).toBe(rw.versionSeq);
    expect(memory.requestCounts.list - before.list).toBe(0);
  });


  it('stays on the version it can serve whole while the blocks a new version changed cannot be fetched', async () => {
    const { store, mount } = await newVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, Buffer.alloc(3 * bs, 'a'), 0);
    rw.release(fh);
    await rw.fsync('/f');
    const ro = await mount('read-only');
    expect(await readAll(ro, '/f')).toBe('a'.repeat(3 * bs));
    const before = ro.versionSeq;

    await rewrite(rw, '/f', 'b'.repeat(3 * bs));
    const heal = store.inject({ op: 'get', key: /\/blocks\//, fault: { kind: 'fail' } });
    await expect(ro.refresh()).rejects.toThrow(/not adopted yet/);
    expect(ro.versionSeq).toBe(before);
    expect(ro.status().adoptionWaiting).toBe(rw.versionSeq);
    expect(await readAll(ro, '/f')).toBe('a'.repeat(3 * bs));

    heal();
    expect(await ro.refresh()).toBe(true);
    expect(ro.versionSeq).toBe(rw.versionSeq);
    expect(ro.status().adoptionWaiting).toBeUndefined();
    // Everything it needs is local now: it serves the new version without the store.
    store.inject({ op: 'get', fault: { kind: 'fail' } });
    expect(await readAll(ro, '/f')).toBe('b'.repeat(3 * bs));
  });

  it('reads each inconsistent version once, however often it refreshes during a long transaction', async () => {
    const { memory, mount } = await newVolume();
    const rw = await mount('read-write');
    const ro = await mount('read-only');
    const journal = rw.create('/db-journal', 0o644);
    await rw.write(journal, Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]), 0);
    const db = rw.create('/db', 0o644);
    for (let i = 0; i < 3; i++) {
      await rw.write(db, Buffer.alloc(100, i), i * 100);
      await rw.commit('spill');
    }
    const versionKeys = () => [...memory.objects.keys()].filter((k) => k.includes('/versions/')).sort();
    const inconsistent = versionKeys().slice(-3);
    const lists = memory.requestCounts.list;
    for (let i = 0; i < 5; i++) expect(await ro.refresh()).toBe(false);
    // Three inconsistent versions, each read once; later refreshes only ask for the next one.
    expect(inconsistent.map((k) => memory.readsByKey.get(k) ?? 0)).toEqual([1, 1, 1]);
    expect(memory.requestCounts.list - lists).toBeLessThanOrEqual(1);
    await rw.ftruncate(journal, 0);
    await rw.commit('end');
    expect(await ro.refresh()).toBe(true);
    expect(ro.versionSeq).toBe(rw.versionSeq);
  });
});
