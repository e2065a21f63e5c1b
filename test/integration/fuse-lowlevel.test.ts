// chalkfs's libfuse 3 binding on real mounts: a tiny in-memory filesystem served through
// the TypeScript surface (test/support/lowlevel-memory-fs.ts), checked with real system
// calls from child processes, as root and as an unprivileged uid (setpriv).
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LowLevelSession, ROOT_INO, type LowLevelMountOptions } from '../../chalkfs/fuse/lowlevel.js';
import { MemoryFs, type MemoryFsOptions } from '../support/lowlevel-memory-fs.js';
import { run, syscalls } from '../support/syscall-child.js';

const NOBODY = 65534;

/** Every case runs with libfuse's loop threads and with the JS thread reading requests itself. */
const loops = ['threads', 'js-thread'] as const;
type Loop = (typeof loops)[number];

function mounted(mountpoint: string): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === mountpoint);
}

interface Mounted {
  fs: MemoryFs;
  session: LowLevelSession;
  dir: string;
  /** A path inside the mount. */
  at(path: string): string;
}

/** Mounts a fresh MemoryFs; `close` unmounts it and checks nothing is left mounted. */
function useMount(loop: Loop, fsOptions: MemoryFsOptions, mountOptions: Partial<LowLevelMountOptions>, seed: (fs: MemoryFs) => void) {
  const state: { m?: Mounted; base?: string } = {};
  beforeAll(async () => {
    state.base = mkdtempSync(join(tmpdir(), 'chalkfs-lowlevel-'));
    chmodSync(state.base, 0o755);
    const dir = join(state.base, 'mnt');
    await run('mkdir', ['-m', '0755', dir]);
    const fs = new MemoryFs(fsOptions);
    seed(fs);
    const session = new LowLevelSession(
      { mountpoint: dir, fsname: 'chalkfs:lowlevel-test', defaultPermissions: true, allowOther: true, autoUnmount: true, readOnly: false, loop, ...mountOptions },
      fs.handlers(),
    );
    await session.mount();
    state.m = { fs, session, dir, at: (p) => join(dir, p) };
  });
  afterAll(async () => {
    try {
      if (state.m) {
        try {
          await state.m.session.unmount();
        } finally {
          if (mounted(state.m.dir)) await state.m.session.unmount(true);
        }
        expect(mounted(state.m.dir)).toBe(false);
        expect(state.m.session.stats().unanswered).toBe(0);
      }
    } finally {
      if (state.base) rmSync(state.base, { recursive: true, force: true });
    }
  });
  return () => state.m!;
}

describe.each(loops)('with the %s loop', (loop) => {
  describe('a read-write mount', () => {
    const get = useMount(loop, { entryTimeoutS: 60, attrTimeoutS: 60, keepCache: true }, { maxWriteBytes: 1 << 20, maxReadBytes: 128 * 1024 }, (fs) => {
      fs.addFile(ROOT_INO, 'hello', 'hello world\n');
      fs.addFile(ROOT_INO, 'secret', 'root only\n', 0o600);
      fs.addDir(ROOT_INO, 'pub', 0o1777);
    });

    it('settles INIT with the capabilities asked for', () => {
      const conn = get().session.connection();
      expect(conn.protoMajor).toBe(7);
      expect(conn.maxWrite).toBe(1 << 20);
      expect(conn.maxRead).toBe(128 * 1024);
      expect(conn.noOpenCapable).toBe(true);
    });

    it('answers lookup, getattr, readdir and read', async () => {
      const m = get();
      const [stat, list, content, root] = await syscalls([
        { op: 'stat', path: m.at('hello') },
        { op: 'readdir', path: m.dir },
        { op: 'read', path: m.at('hello') },
        { op: 'stat', path: m.dir },
      ]);
      expect(stat!.ok).toMatchObject({ size: 12, mode: 0o100644, uid: 0, nlink: 1, ino: m.fs.inoOf(ROOT_INO, 'hello') });
      expect(list!.ok).toEqual(['hello', 'pub', 'secret']);
      expect(content!.ok).toBe('hello world\n');
      expect(root!.ok).toMatchObject({ mode: 0o40755, ino: ROOT_INO });
    });

    it('creates, writes, renames, links, symlinks and removes', async () => {
      const m = get();
      const r = await syscalls([
        { op: 'mkdir', path: m.at('d') },
        { op: 'write', path: m.at('d/a'), data: 'first' },
        { op: 'write', path: m.at('d/a'), data: ' second', flag: 'a' },
        { op: 'read', path: m.at('d/a') },
        { op: 'rename', from: m.at('d/a'), to: m.at('d/b') },
        { op: 'stat', path: m.at('d/a') },
        { op: 'link', from: m.at('d/b'), to: m.at('d/c') },
        { op: 'stat', path: m.at('d/c') },
        { op: 'symlink', target: 'b', path: m.at('d/s') },
        { op: 'readlink', path: m.at('d/s') },
        { op: 'read', path: m.at('d/s') },
        { op: 'unlink', path: m.at('d/b') },
        { op: 'stat', path: m.at('d/c') },
        { op: 'rmdir', path: m.at('d') },
        { op: 'readdir', path: m.at('d') },
      ]);
      expect(r.map((x) => x.code)).toEqual([undefined, undefined, undefined, undefined, undefined, 'ENOENT', undefined, undefined, undefined, undefined, undefined, undefined, undefined, 'ENOTEMPTY', undefined]);
      expect(r[3]!.ok).toBe('first second');
      expect(r[7]!.ok).toMatchObject({ nlink: 2, size: 12 });
      expect(r[9]!.ok).toBe('b');
      expect(r[10]!.ok).toBe('first second');
      expect(r[12]!.ok).toMatchObject({ nlink: 1 });
      expect(r[14]!.ok).toEqual(['c', 's']);
      expect(m.fs.count('create')).toBeGreaterThan(0);
    });

    it('makes FIFOs, refuses device nodes, and allocates space', async () => {
      const m = get();
      await run('mkfifo', [m.at('fifo')]);
      const [fifo] = await syscalls([{ op: 'stat', path: m.at('fifo') }]);
      expect((fifo!.ok as { mode: number }).mode & 0o170000).toBe(0o010000);
      await expect(run('mknod', [m.at('dev'), 'c', '1', '3'])).rejects.toThrow(/Operation not permitted/);
      await run('fallocate', ['-l', '8192', m.at('hello')]);
      const [stat] = await syscalls([{ op: 'stat', path: m.at('hello') }]);
      expect(stat!.ok).toMatchObject({ size: 8192 });
    });

    it('answers statfs', async () => {
      const m = get();
      const [s] = await syscalls([{ op: 'statfs', path: m.dir }]);
      expect(s!.ok).toEqual({ bsize: 4096, blocks: 1000, bfree: 500, bavail: 400, files: 100, ffree: 50 });
      expect((await run('stat', ['-f', '-c', '%l', m.dir])).trim()).toBe('255');
    });

    it('passes touch -m and touch -a with the other time omitted', async () => {
      const m = get();
      const file = m.at('times');
      await syscalls([{ op: 'write', path: file, data: 'x' }]);
      await run('touch', ['-d', '@1000000000', file]);
      m.fs.setattrs.length = 0;
      await run('touch', ['-m', '-d', '@1200000000', file]);
      await run('touch', ['-a', '-d', '@1400000000', file]);
      expect(m.fs.setattrs).toEqual([{ mtime: 1200000000000 }, { atime: 1400000000000 }]);
      const [s] = await syscalls([{ op: 'stat', path: file }]);
      expect(s!.ok).toMatchObject({ mtimeMs: 1200000000000, atimeMs: 1400000000000 });
      m.fs.setattrs.length = 0;
      await run('touch', ['-m', file]);
      expect(m.fs.setattrs).toEqual([{ mtime: 'now' }]);
    });

    it('refuses names over 255 bytes with ENAMETOOLONG, in C', async () => {
      const m = get();
      const before = m.fs.count('lookup');
      const r = await syscalls([
        { op: 'stat', path: m.at('a'.repeat(256)) },
        { op: 'write', path: m.at('b'.repeat(256)), data: 'x' },
        { op: 'mkdir', path: m.at('c'.repeat(300)) },
        { op: 'stat', path: m.at('d'.repeat(255)) },
      ]);
      expect(r.map((x) => x.code)).toEqual(['ENAMETOOLONG', 'ENAMETOOLONG', 'ENAMETOOLONG', 'ENOENT']);
      expect(m.fs.count('lookup')).toBe(before + 1);
      expect(m.session.stats().namesTooLong).toBeGreaterThanOrEqual(3);
    });

    it('makes a name added behind the kernel visible by notify_inval_entry', async () => {
      const m = get();
      const path = m.at('late');
      expect((await syscalls([{ op: 'stat', path }]))[0]!.code).toBe('ENOENT');
      m.fs.addFile(ROOT_INO, 'late', 'arrived');
      const lookups = m.fs.count('lookup');
      expect((await syscalls([{ op: 'stat', path }]))[0]!.code).toBe('ENOENT'); // a cached negative entry
      expect(m.fs.count('lookup')).toBe(lookups);
      expect(await m.session.notifyInvalEntry(ROOT_INO, 'late')).toBe(0);
      expect((await syscalls([{ op: 'read', path }]))[0]!.ok).toBe('arrived');
    });

    it('makes content changed behind the kernel visible by notify_inval_inode', async () => {
      const m = get();
      const ino = m.fs.addFile(ROOT_INO, 'cached', 'aaaa');
      const path = m.at('cached');
      expect((await syscalls([{ op: 'read', path }]))[0]!.ok).toBe('aaaa');
      m.fs.overwriteQuietly(ino, 'bbbb');
      expect((await syscalls([{ op: 'read', path }]))[0]!.ok).toBe('aaaa'); // the kept page cache
      expect(await m.session.notifyInvalInode(ino)).toBe(0);
      expect((await syscalls([{ op: 'read', path }]))[0]!.ok).toBe('bbbb');
    });

    it('enforces mode bits for an unprivileged uid (default_permissions)', async () => {
      const m = get();
      const opens = m.fs.count('open');
      const r = await syscalls(
        [
          { op: 'read', path: m.at('secret') },
          { op: 'write', path: m.at('hello'), data: 'x' },
          { op: 'unlink', path: m.at('hello') },
          { op: 'write', path: m.at('mine'), data: 'x' },
          { op: 'read', path: m.at('hello') },
        ],
        NOBODY,
      );
      expect(r.map((x) => x.code)).toEqual(['EACCES', 'EACCES', 'EACCES', 'EACCES', undefined]);
      expect(m.fs.count('open')).toBe(opens + 1);
    });

    it('gives new files to the calling uid', async () => {
      const m = get();
      const r = await syscalls(
        [
          { op: 'write', path: m.at('pub/mine'), data: 'x', mode: 0o600 },
          { op: 'stat', path: m.at('pub/mine') },
          { op: 'mkdir', path: m.at('pub/sub') },
          { op: 'stat', path: m.at('pub/sub') },
        ],
        NOBODY,
      );
      expect(r[1]!.ok).toMatchObject({ uid: NOBODY, gid: NOBODY, mode: 0o100600 });
      expect(r[3]!.ok).toMatchObject({ uid: NOBODY, mode: 0o40755 });
      expect((await syscalls([{ op: 'read', path: m.at('pub/mine') }], 1000))[0]!.code).toBe('EACCES');
    });
  });

  describe('a read-only mount with no_open', () => {
    const get = useMount(loop, { entryTimeoutS: 60, attrTimeoutS: 60, keepCache: true }, { readOnly: true, noOpen: true }, (fs) => {
      fs.addFile(ROOT_INO, 'db', 'read me');
    });

    it('serves reads while no open or release reaches JavaScript', async () => {
      const m = get();
      const r = await syscalls([1, 2, 3].map(() => ({ op: 'read' as const, path: m.at('db') })));
      expect(r.map((x) => x.ok)).toEqual(['read me', 'read me', 'read me']);
      expect(m.fs.count('open')).toBe(0);
      expect(m.fs.count('release')).toBe(0);
      expect(m.session.stats().noOpenAnswers).toBe(1);
      expect((await syscalls([{ op: 'write', path: m.at('db'), data: 'x' }]))[0]!.code).toBe('EROFS');
    });
  });

  describe('a mount answering reads in pieces', () => {
    const text = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i * 7 + (i >> 10)) % 26))).join('');
    const get = useMount(loop, { entryTimeoutS: 60, attrTimeoutS: 60, keepCache: false, readPieceBytes: 100 }, { readOnly: true, maxReadBytes: 128 * 1024 }, (fs) => {
      fs.addFile(ROOT_INO, 'small', text(3_000));
      fs.addFile(ROOT_INO, 'large', text(300_000));
    });

    it('sends the pieces in order as one reply, cut at the size asked for (few pieces, and more than writev takes at once)', async () => {
      const m = get();
      const [small, large] = await syscalls([
        { op: 'read', path: m.at('small') },
        { op: 'read', path: m.at('large') },
      ]);
      expect(small!.ok).toBe(text(3_000));
      expect(large!.ok).toBe(text(300_000));
    });
  });

  describe('a read-only mount sharing handles and caching attributes in C', () => {
    const get = useMount(loop, { entryTimeoutS: 60, attrTimeoutS: 0, keepCache: true, share: true }, { readOnly: true, shareOpens: true, attrCache: true }, (fs) => {
      fs.addFile(ROOT_INO, 'db', 'shared');
    });

    it('answers repeated read-only opens and their releases with one handle', async () => {
      const m = get();
      const r = await syscalls([1, 2, 3, 4].map(() => ({ op: 'read' as const, path: m.at('db') })));
      expect(r.every((x) => x.ok === 'shared')).toBe(true);
      expect(m.fs.count('open')).toBe(1);
      expect(m.session.stats().sharedOpenHits).toBe(3);
      // The kernel sends RELEASE after close(2) returns: wait for the last one.
      await vi.waitFor(() => expect(m.session.stats().sharedReleases).toBe(4));
      expect(m.fs.count('release')).toBe(0);
      const ino = m.fs.inoOf(ROOT_INO, 'db')!;
      expect(m.session.retireShared(ino)).toHaveLength(1);
      await syscalls([{ op: 'read', path: m.at('db') }]);
      expect(m.fs.count('open')).toBe(2);
    });

    it('answers getattr from the attribute cache until invalidated', async () => {
      const m = get();
      const ino = m.fs.inoOf(ROOT_INO, 'db')!;
      await syscalls([{ op: 'stat', path: m.at('db') }]);
      const getattrs = m.fs.count('getattr');
      const hits = m.session.stats().attrCacheHits;
      await syscalls([1, 2, 3].map(() => ({ op: 'stat' as const, path: m.at('db') })));
      expect(m.fs.count('getattr')).toBe(getattrs);
      expect(m.session.stats().attrCacheHits).toBeGreaterThan(hits);
      m.session.attrCacheInvalidate(ino);
      await syscalls([{ op: 'stat', path: m.at('db') }]);
      expect(m.fs.count('getattr')).toBe(getattrs + 1);
    });
  });

  describe('a mount taken away from outside', () => {
    it('ends its session: closed() resolves and nothing stays mounted', async () => {
      const base = mkdtempSync(join(tmpdir(), 'chalkfs-lowlevel-'));
      const dir = join(base, 'mnt');
      const fs = new MemoryFs({ entryTimeoutS: 1, attrTimeoutS: 1, keepCache: false });
      const session = new LowLevelSession({ mountpoint: dir, fsname: 'chalkfs:outside', defaultPermissions: true, allowOther: false, autoUnmount: true, readOnly: false, loop }, fs.handlers());
      try {
        await run('mkdir', [dir]);
        await session.mount();
        expect(mounted(dir)).toBe(true);
        await run('fusermount3', ['-u', dir]);
        await session.closed();
        expect(mounted(dir)).toBe(false);
      } finally {
        if (mounted(dir)) await session.unmount(true);
        rmSync(base, { recursive: true, force: true });
      }
    });
  });
});
