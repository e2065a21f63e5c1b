// A WAL database's -shm never reaches a version; read-only and pinned mounts serve a WAL
// database that has its -wal, with an empty read-only -shm of their own
// (chalkfs/vfs/sqlite/wal-shared-memory.ts), serve one without its -wal with an empty
// -wal of their own (chalkfs/vfs/sqlite/empty-wals.ts), and refuse one whose -wal name is
// taken by something else (chalkfs/vfs/sqlite/wal-refusal.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { decodeVersion, encodeMeta, versionFormat, type DirInode, type VersionRecord } from '../../chalkfs/meta/format.js';
import type { MountMode } from '../../chalkfs/vfs/open-volume.js';
import type { VolumeView } from '../../chalkfs/vfs/volume-view.js';
import type { WriterVolume } from '../../chalkfs/vfs/writer-volume.js';
import { closeTestMounts, newTestVolume } from '../support/test-volume.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

const bs = 4096;
const owner = { uid: 1000, gid: 1000 };
const reading = { write: false };

afterEach(async () => {
  await closeTestMounts();
});

async function newVolume() {
  const volume = await newTestVolume();
  const mount = <M extends MountMode>(mode: M, pinnedSeq?: number) => volume.mount(mode, { pinnedSeq });
  return { ...volume, mount };
}

function dbHeader(journalVersion: 1 | 2): Buffer {
  const page = Buffer.alloc(bs);
  page.write('SQLite format 3\0', 'latin1');
  page[18] = journalVersion;
  page[19] = journalVersion;
  return page;
}

async function write(rw: WriterVolume, path: string, data: Buffer): Promise<void> {
  const fh = rw.readdir('/').includes(path.slice(1)) ? await rw.open(path, { write: true }) : rw.create(path, 0o644);
  await rw.write(fh, data, 0);
  rw.release(fh);
  await rw.fsync(path);
}

async function openError(v: VolumeView, path: string): Promise<string> {
  try {
    const fh = await v.open(path, reading);
    v.release(fh);
    return 'opened';
  } catch (err) {
    if (!isChalkError(err)) throw err;
    return `${err.kind}: ${err.message}`;
  }
}

function rootEntries(record: VersionRecord): string[] {
  return Object.keys((record.inodes['1'] as DirInode).entries).sort();
}

describe('WAL databases across hosts', () => {
  it('a -shm stays in the writer\'s mount: readable there, absent from every version and from readers', async () => {
    const { memory, repo, mount } = await newVolume();
    const rw = await mount('read-write');
    await write(rw, '/a.db', dbHeader(1));
    await write(rw, '/a.db-shm', Buffer.alloc(bs, 7));
    await write(rw, '/a.db', dbHeader(1));
    expect(rw.readdir('/')).toContain('a.db-shm');
    const fh = await rw.open('/a.db-shm', reading);
    const back = Buffer.alloc(bs);
    expect(await rw.read(fh, back, bs, 0)).toBe(bs);
    rw.release(fh);
    expect(back.equals(Buffer.alloc(bs, 7))).toBe(true);
    const history = new VolumeRepository(memory);
    for (const seq of await history.versionsAfter('vol', 0)) {
      expect(rootEntries(await history.readVersion('vol', seq)), `version ${seq}`).not.toContain('a.db-shm');
    }
    // No block of the -shm was uploaded either.
    expect([...memory.objects.keys()].filter((k) => k.includes('/blocks/'))).toHaveLength(1);
    const ro = await mount('read-only');
    expect(ro.readdir('/')).not.toContain('a.db-shm');
    expect(await repo.latestSeq('vol')).toBeGreaterThan(1);
  });

  it('a -shm an older release stored in a version is not served', async () => {
    const { memory, repo, mount } = await newVolume();
    const first = await repo.readVersion('vol', 1);
    const root = first.inodes['1'] as DirInode;
    const record: VersionRecord = {
      ...first,
      format: versionFormat,
      seq: 2,
      parentSeq: 1,
      nextIno: 4,
      inodes: {
        ...first.inodes,
        '1': { ...root, entries: { 'a.db': 2, 'a.db-shm': 3 } },
        '2': { type: 'file', ...owner, mode: 0o644, atimeMs: 0, mtimeMs: 0, ctimeMs: 0, sizeBytes: 0, blocks: [] },
        '3': { type: 'file', ...owner, mode: 0o644, atimeMs: 0, mtimeMs: 0, ctimeMs: 0, sizeBytes: 0, blocks: [] },
      },
    };
    await memory.put(storeKeys.version('vol', 2), encodeMeta(versionFormat, record));
    for (const mode of ['read-only', 'read-write'] as const) {
      const v = await mount(mode);
      expect(v.readdir('/'), mode).toEqual(['.', '..', 'a.db']);
      await v.close();
    }
    expect(rootEntries(await repo.readVersion('vol', 2))).toContain('a.db-shm');
  });

  it('read-only and pinned mounts serve a WAL database with its -wal (and an empty read-only -shm), one whose header says WAL without a -wal with an empty -wal, and refuse one whose -wal name is a directory; other files open', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await write(rw, '/rollback.db', dbHeader(1));
    await write(rw, '/wal.db', dbHeader(2));
    await write(rw, '/served.db', dbHeader(2));
    await write(rw, '/served.db-wal', Buffer.alloc(100));
    await write(rw, '/notes.txt', Buffer.alloc(bs, 2));
    await write(rw, '/taken.db', dbHeader(2));
    rw.mkdir('/taken.db-wal', 0o755);
    await rw.fsync('/');
    const ro = await mount('read-only');
    const pinned = await mount('pinned', rw.versionSeq);
    for (const v of [ro, pinned]) {
      expect(await openError(v, '/rollback.db')).toBe('opened');
      expect(await openError(v, '/notes.txt')).toBe('opened');
      expect(await openError(v, '/served.db')).toBe('opened');
      expect(await openError(v, '/served.db-wal')).toBe('opened');
      expect(v.readdir('/')).toContain('served.db-shm');
      expect(v.readdir('/')).not.toContain('wal.db-shm');
      expect(v.getattr('/served.db-shm')).toMatchObject({ size: 0 });
      expect(await openError(v, '/served.db-shm')).toBe('opened');
      await expect(Promise.resolve().then(() => v.open('/served.db-shm', { write: true }))).rejects.toMatchObject({ kind: 'read-only' });
      expect(v.readdir('/')).not.toContain('wal.db-wal');
      expect(await openError(v, '/wal.db')).toBe('opened');
      expect(v.readdir('/')).toEqual(expect.arrayContaining(['wal.db-wal', 'wal.db-shm']));
      expect(v.getattr('/wal.db-wal')).toMatchObject({ size: 0 });
      expect(await openError(v, '/wal.db-wal')).toBe('opened');
      expect(v.status().problem).toBeUndefined();
      expect(await openError(v, '/taken.db')).toMatch(/^unsupported: .*\/taken\.db: WAL-mode database whose -wal cannot be served read-only across hosts: its -wal name is taken by something other than a file; use journal_mode=DELETE\/TRUNCATE\/PERSIST \(the name of its -wal is taken\)/);
      // Asked again (header now in memory): the same answer, synchronously.
      expect(() => v.open('/taken.db', reading)).toThrow(/WAL-mode database/);
      expect(v.status().problem).toMatch(/WAL-mode database whose -wal cannot be served/);
    }
    expect(rw.readdir('/')).not.toContain('served.db-shm');
    expect(rw.readdir('/')).not.toContain('wal.db-wal');
    // The writer's own mount serves WAL as on a local disk.
    expect(await openError(rw, '/wal.db')).toBe('opened');
    expect(rw.status().problem).toBeUndefined();
  });
});
