/*
 * Hard links, FIFOs, unix sockets and mknod on real chalkfs mounts (issue 14), driven
 * with the usual tools (ln, stat, rm, mkfifo, mknod, Python's socket module) from child
 * processes, as root and as an unprivileged uid (setpriv): the names share one inode and
 * its data, st_nlink counts them, a file stays while a name is left, the kernel serves
 * FIFO and socket I/O itself, device nodes are refused (EPERM), and a read-only mount of
 * the volume sees all of it once the writer has committed.
 */
import { spawn } from 'node:child_process';
import { chmod, open, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ChalkfsFixture, type Mount } from '../support/chalkfs-fixture.js';
import { waitFor } from '../support/multihost-children.js';
import { run } from '../support/syscall-child.js';

const NOBODY = 65534;
type As = 'root' | 'nobody';
const users: As[] = ['root', 'nobody'];

/** The command line, as `who` (setpriv for nobody). */
function as(who: As, cmd: string, args: string[]): [string, string[]] {
  return who === 'root' ? [cmd, args] : ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', cmd, ...args]];
}

/** A program's stdout, run as `who`. */
function sh(who: As, script: string): Promise<string> {
  return run(...as(who, 'sh', ['-c', script]));
}

/** A program's exit: its stderr when it fails, for the errno it printed. */
async function failure(who: As, script: string): Promise<string> {
  try {
    await sh(who, script);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error(`expected to fail: ${script}`);
}

/** Starts a child as `who` and resolves with its stdout when it exits 0. */
function started(who: As, cmd: string, args: string[]): Promise<string> {
  const [c, a] = as(who, cmd, args);
  const child = spawn(c, a, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString()}`));
    });
  });
}

/**
 * A directory on the mount where `who` may do anything (before default_permissions, and
 * after). The fixture's temporary directories are 0700: nobody needs to reach the mount.
 */
async function workDir(m: Mount, who: As): Promise<string> {
  if (who === 'nobody') for (const up of [dirname(m.dir), dirname(dirname(m.dir))]) await chmod(up, 0o755);
  const dir = join(m.dir, who);
  await run('mkdir', ['-m', '0777', dir]);
  await run('chmod', ['0777', dir]);
  return dir;
}

const unixSocketPair = `
import os, socket, stat, sys
path = sys.argv[1]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.connect(path)
conn, _ = server.accept()
client.sendall(b'ping')
got = conn.recv(4)
conn.sendall(b'pong')
print(got.decode(), client.recv(4).decode(), stat.S_ISSOCK(os.stat(path).st_mode))
`;

describe('hard links, FIFOs and sockets through a chalkfs mount', () => {
  test.each(users)('ln, writes through either name, link counts, rm of one name, rename onto a link (as %s); durable across a remount', async (who) => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('links');
    let m = await fx.mount('links');
    const d = await workDir(m, who);
    const q = (name: string) => `'${join(d, name)}'`;
    await sh(who, `printf first > ${q('a')} && chmod 0666 ${q('a')} && ln ${q('a')} ${q('b')} && mkdir ${q('sub')} && ln ${q('b')} ${q('sub/c')}`);
    expect(await sh(who, `stat -c '%h %i' ${q('a')} ${q('b')} ${q('sub/c')}`)).toMatch(/^3 (\d+)\n3 \1\n3 \1\n$/);
    await sh(who, `printf SECOND > ${q('b')}`);
    expect(await sh(who, `cat ${q('a')}`)).toBe('SECOND');
    expect(await sh(who, `cat ${q('sub/c')}`)).toBe('SECOND');
    await sh(who, `rm ${q('a')}`);
    expect(await sh(who, `cat ${q('b')}; stat -c ' %h' ${q('b')}`)).toBe('SECOND 2\n');
    // Two names of one inode: rename does nothing (POSIX), both stay.
    await sh(who, `/usr/bin/python3 -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' ${q('b')} ${q('sub/c')}`);
    expect((await readdir(d)).sort()).toEqual(['b', 'sub']);
    // Onto a linked file: that file loses one name, keeps the other.
    await sh(who, `printf other > ${q('o')} && mv ${q('o')} ${q('b')}`);
    expect(await sh(who, `cat ${q('b')} ${q('sub/c')}; stat -c ' %h' ${q('sub/c')}`)).toBe('otherSECOND 1\n');
    await sh(who, `ln ${q('sub/c')} ${q('again')} && sync ${q('again')}`);
    await m.unmount();
    m = await fx.mount('links');
    const after = join(m.dir, who);
    expect(await sh(who, `stat -c '%h %i' '${after}/again' '${after}/sub/c'; cat '${after}/again'`)).toMatch(/^2 (\d+)\n2 \1\nSECOND$/);
    expect(await failure(who, `ln '${after}/sub' '${after}/sub2'`)).toMatch(/not allowed|Operation not permitted/);
  });

  test('an open file unlinked by one name stays in place under its other name: no hidden file, st_nlink drops, the handle writes through', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('open-links');
    const m = await fx.mount('open-links');
    await sh('root', `printf 0123456789 > '${m.dir}/a' && ln '${m.dir}/a' '${m.dir}/b'`);
    const fh = await open(join(m.dir, 'a'), 'r+');
    try {
      await sh('root', `rm '${m.dir}/a'`);
      expect((await readdir(m.dir)).sort()).toEqual(['b']);
      expect(await sh('root', `stat -c %h '${m.dir}/b'`)).toBe('1\n');
      await fh.write('ABC', 0);
      await fh.sync();
      expect((await fh.stat()).nlink).toBe(1);
    } finally {
      await fh.close();
    }
    expect(await readFile(join(m.dir, 'b'), 'utf8')).toBe('ABC3456789');
    // Unlinked by its last name while open: hidden until closed, then gone.
    const last = await open(join(m.dir, 'b'), 'r');
    try {
      await sh('root', `rm '${m.dir}/b'`);
      expect((await last.read(Buffer.alloc(3), 0, 3, 0)).buffer.subarray(0, 3).toString()).toBe('ABC');
    } finally {
      await last.close();
    }
    await waitFor('the hidden file to go at the last close', 10_000, async () => (await readdir(m.dir)).length === 0);
  });

  test('after a remount, an open file unlinked by the only name this mount has looked up keeps its data and its other name', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('old-links');
    let m = await fx.mount('old-links');
    await sh('root', `mkdir '${m.dir}/d' && printf 0123456789 > '${m.dir}/d/a' && ln '${m.dir}/d/a' '${m.dir}/b' && sync '${m.dir}/b'`);
    await m.unmount();
    m = await fx.mount('old-links');
    // Only d/a is looked up before the unlink: the kernel has never seen b.
    const fh = await open(join(m.dir, 'd', 'a'), 'r+');
    try {
      await sh('root', `rm '${m.dir}/d/a'`);
      await fh.write('XYZ', 0);
      await fh.truncate(8);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await waitFor('only b to be left', 10_000, async () => (await readdir(join(m.dir, 'd'))).length === 0);
    expect(await sh('root', `stat -c %h '${m.dir}/b'; cat '${m.dir}/b'`)).toBe('1\nXYZ34567');
    await m.unmount();
    m = await fx.mount('old-links');
    expect(await sh('root', `stat -c %h '${m.dir}/b'; cat '${m.dir}/b'`)).toBe('1\nXYZ34567');
  });

  test.each(users)('mkfifo, mknod p, a writer and a reader through the FIFO; a unix socket bind and connect; mknod c refused (as %s)', async (who) => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('special');
    const m = await fx.mount('special');
    const d = await workDir(m, who);
    await sh(who, `mkfifo -m 0666 '${d}/fifo' && mknod -m 0666 '${d}/pipe' p`);
    expect(await sh(who, `stat -c '%F %a %h' '${d}/fifo' '${d}/pipe'`)).toBe('fifo 666 1\nfifo 666 1\n');
    for (const fifo of ['fifo', 'pipe']) {
      const reader = started(who, 'cat', [join(d, fifo)]);
      await sh(who, `printf 'through the %s' ${fifo} > '${d}/${fifo}'`);
      expect(await reader).toBe(`through the ${fifo}`);
    }
    expect(await sh(who, `/usr/bin/python3 -c "${unixSocketPair}" '${d}/sock'`)).toBe('ping pong True\n');
    expect(await sh(who, `stat -c %F '${d}/sock'`)).toBe('socket\n');
    // A regular file through mknod(2): empty.
    await sh(who, `/usr/bin/python3 -c "import os, stat, sys; os.mknod(sys.argv[1], 0o644 | stat.S_IFREG)" '${d}/regular'`);
    expect(await sh(who, `stat -c '%F %s' '${d}/regular'`)).toBe('regular empty file 0\n');
    expect(await failure('root', `mknod '${d}/null' c 1 3`)).toMatch(/Operation not permitted/);
    expect(await failure('root', `mknod '${d}/disk' b 8 0`)).toMatch(/Operation not permitted/);
    // A FIFO is a name like any other: linked, renamed, removed. (Linked as root: with
    // fs.protected_hardlinks the kernel lets only a FIFO's owner link it, and new inodes
    // are the daemon's until they get the caller's uid.)
    await sh('root', `ln '${d}/fifo' '${d}/fifo2'`);
    await sh(who, `mv '${d}/pipe' '${d}/pipe2' && rm '${d}/sock'`);
    expect(await sh(who, `stat -c '%F %h' '${d}/fifo2' '${d}/pipe2'`)).toBe('fifo 2\nfifo 1\n');
  });

  test('a read-only mount of the volume sees links, FIFOs and sockets once the writer has committed', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('shared');
    const rw = await fx.mount('shared');
    await sh('root', `printf data > '${rw.dir}/a' && sync '${rw.dir}/a'`);
    const ro = await fx.addHost('host-b').mount('shared', { readOnly: true, extraArgs: ['--refresh-ms', '100'] });
    expect(await sh('root', `stat -c %h '${ro.dir}/a'`)).toBe('1\n');
    await sh('root', `ln '${rw.dir}/a' '${rw.dir}/b' && mkfifo '${rw.dir}/fifo' && /usr/bin/python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" '${rw.dir}/sock' && sync '${rw.dir}'`);
    // Until the binding's notifier thread has written the adoption's notices, the kernel
    // may still answer `a` from the attributes it cached at the first stat (nlink 1, for up
    // to the follower's 1 s attribute timeout) while `b`, a name it never saw, is looked up
    // fresh (seen once under load: 'regular file 1', 'regular file 2'). So the wait is for
    // the whole expected answer.
    const expected = ['regular file 2', 'regular file 2', 'fifo 1', 'socket 1'];
    const fields = (out: string) => out.trim().split('\n').filter(Boolean).map((l) => l.split(' ').slice(1));
    const seen = await waitFor('the reader to adopt the links', 30_000, async () => {
      const out = await sh('root', `stat -c '%n %F %h %i' '${ro.dir}/a' '${ro.dir}/b' '${ro.dir}/fifo' '${ro.dir}/sock' 2>/dev/null || true`);
      return JSON.stringify(fields(out).map((l) => l.slice(0, -1).join(' '))) === JSON.stringify(expected) && out;
    });
    const lines = fields(seen);
    expect(lines.map((l) => l.slice(0, -1).join(' '))).toEqual(expected);
    expect(lines[0]![lines[0]!.length - 1]).toBe(lines[1]![lines[1]!.length - 1]);
    expect(await sh('root', `cat '${ro.dir}/b'`)).toBe('data');
    expect(await failure('root', `ln '${ro.dir}/a' '${ro.dir}/c'`)).toMatch(/Read-only file system/);
    expect(await failure('root', `mkfifo '${ro.dir}/f2'`)).toMatch(/Read-only file system/);
    await sh('root', `rm '${rw.dir}/a' && sync '${rw.dir}'`);
    await waitFor('the reader to see one name left', 30_000, async () => (await sh('root', `stat -c %h '${ro.dir}/b'`)) === '1\n');
  });
});
