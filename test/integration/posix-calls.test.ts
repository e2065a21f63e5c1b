/*
 * POSIX calls on a chalkfs mount as on a local disk (issue 14): new names belong to the
 * calling process (setgid directories and the umask included), names over 255 bytes are
 * ENAMETOOLONG on every call, utimensat with one time omitted (touch -m, touch -a) or
 * set to now, fallocate and posix_fallocate, mknod of a regular file. Each runs as root
 * and as an unprivileged uid (setpriv), on the mount and on a local ext4 directory
 * prepared alike; where chalkfs differs on purpose (punching holes) the test says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomes, value, type PosixOp, type RunResult, type Stat, type Times } from '../support/posix-child.js';
import { mountWithLocalTwin, type Twins } from '../support/local-twin.js';

const NOBODY = 65534;
const SETGID_GROUP = 4242;
const S_IFREG = 0o100000;
const FALLOC_FL_KEEP_SIZE = 0x01;
const FALLOC_FL_PUNCH_HOLE = 0x02;

/** Each case runs as root (uid undefined: as the test runs) and as nobody. */
const users = [
  { who: 'root', uid: undefined, gid: 0 },
  { who: 'uid 65534', uid: NOBODY, gid: NOBODY },
] as const;

let twins: Twins;
const alike = (ops: PosixOp[], uid?: number) => twins.alike(ops, uid);
/** A file f, a directory d, a symlink s and a mknod'd file n at `path(name)`, each asking for every permission. */
function newNames(path: (name: string) => string): PosixOp[] {
  return [
    { op: 'write', path: path('f'), data: 'x', mode: 0o666 },
    { op: 'mkdir', path: path('d'), mode: 0o777 },
    { op: 'symlink', target: 'f', path: path('s') },
    { op: 'mknod', path: path('n'), mode: S_IFREG | 0o666 },
  ];
}

/** Each op followed by `check`: [op, check, op, check...]. */
const eachThen = (ops: PosixOp[], check: PosixOp) => ops.flatMap((op) => [op, check]);

beforeAll(async () => {
  twins = await mountWithLocalTwin('calls');
  await alike([
    { op: 'mkdir', path: 'tmp', mode: 0o777 },
    { op: 'chmod', path: 'tmp', mode: 0o1777 },
    { op: 'mkdir', path: 'sg', mode: 0o777 },
    { op: 'chown', path: 'sg', uid: 0, gid: SETGID_GROUP },
    { op: 'chmod', path: 'sg', mode: 0o2777 },
    { op: 'write', path: 'tmp/roots', data: 'r', mode: 0o644 },
    { op: 'write', path: 'tmp/shared', data: 's', mode: 0o666 },
    { op: 'chmod', path: 'tmp/shared', mode: 0o666 },
  ]);
});

afterAll(async () => {
  await twins?.close();
});

describe.each(users)('as $who', ({ who, uid, gid }) => {
  const dir = `tmp/${uid ?? 0}`;
  const at = (name: string) => `${dir}/${name}`;

  beforeAll(async () => {
    await alike([{ op: 'mkdir', path: dir, mode: 0o755 }], uid);
  });

  it("new files, directories, symlinks and mknod'd files belong to the caller, the umask applied", async () => {
    const names = ['f', 'd', 's', 'n', 'f027', 'd027', 's027', 'n027'];
    const r = await alike(
      [
        { op: 'umask', mask: 0o022 },
        ...newNames(at),
        { op: 'umask', mask: 0o027 },
        ...newNames((name) => at(`${name}027`)),
        ...names.map((name) => ({ op: 'lstat' as const, path: at(name) })),
      ],
      uid,
    );
    expect(outcomes(r).every((o) => o === 'ok')).toBe(true);
    const owner = { uid: uid ?? 0, gid };
    // f, d, s, n with umask 022, then with 027.
    const modesAndSizes = [[0o100644, 1], [0o40755, 4096], [0o120777, 1], [0o100644, 0], [0o100640, 1], [0o40750, 4096], [0o120777, 1], [0o100640, 0]];
    expect(r.slice(10).map((x) => value<Stat>(x))).toEqual(modesAndSizes.map(([mode, size]) => ({ ...owner, mode, size })));
  });

  it("in a setgid directory, new names take the directory's group and new directories stay setgid", async () => {
    const name = (n: string) => `sg/${who === 'root' ? 'r' : 'n'}-${n}`;
    const deeper = `${name('d')}/deeper`;
    const r = await alike(
      [
        { op: 'umask', mask: 0o022 },
        ...newNames(name),
        { op: 'mkdir', path: deeper, mode: 0o700 },
        ...[name('f'), name('d'), name('s'), name('n'), deeper].map((path) => ({ op: 'lstat' as const, path })),
      ],
      uid,
    );
    const owner = { uid: uid ?? 0, gid: SETGID_GROUP };
    // f, d, s, n, d/deeper: the directories setgid.
    const modesAndSizes = [[0o100644, 1], [0o42755, 4096], [0o120777, 1], [0o100644, 0], [0o42700, 4096]];
    expect(r.slice(6).map((x) => value<Stat>(x))).toEqual(modesAndSizes.map(([mode, size]) => ({ ...owner, mode, size })));
  });

  it('names over 255 bytes are ENAMETOOLONG on every call; 255 bytes are fine', async () => {
    const long = at('x'.repeat(256));
    const r = await alike(
      [
        { op: 'write', path: at('short'), data: 'x' },
        { op: 'stat', path: long },
        { op: 'write', path: long, data: 'x' },
        { op: 'mkdir', path: long, mode: 0o755 },
        { op: 'mknod', path: long, mode: S_IFREG | 0o644 },
        { op: 'symlink', target: 'short', path: long },
        { op: 'rename', from: at('short'), to: long },
        { op: 'link', from: at('short'), to: long },
        { op: 'unlink', path: long },
        { op: 'rmdir', path: long },
        { op: 'chmod', path: long, mode: 0o600 },
        { op: 'write', path: at('y'.repeat(255)), data: 'fits' },
        { op: 'read', path: at('y'.repeat(255)) },
      ],
      uid,
    );
    expect(outcomes(r)).toEqual(['ok', ...Array<string>(10).fill('ENAMETOOLONG'), 'ok', 'ok']);
  });

  it('touch -m and touch -a change one time and leave the other; touch and touch -d change both', async () => {
    const file = at('times');
    const touch = (...args: string[]): PosixOp => ({ op: 'run', argv: ['touch', ...args, file] });
    const times: PosixOp = { op: 'times', path: file };
    const r = await alike([{ op: 'write', path: file, data: 'x' }, ...eachThen([touch('-d', '@1000000000'), touch('-m', '-d', '@1200000000'), touch('-a', '-d', '@1400000000')], times)], uid);
    expect([1, 3, 5].map((i) => value<RunResult>(r[i]).code)).toEqual([0, 0, 0]);
    expect(value<Times>(r[2])).toEqual({ atimeMs: 1000000000000, mtimeMs: 1000000000000 });
    expect(value<Times>(r[4])).toEqual({ atimeMs: 1000000000000, mtimeMs: 1200000000000 });
    expect(value<Times>(r[6])).toEqual({ atimeMs: 1400000000000, mtimeMs: 1200000000000 });
    // UTIME_NOW: the times are the mount's clock, not comparable with the local disk's.
    const before = Date.now() - 2000;
    const now = await twins.both(eachThen([touch('-m'), touch('-a'), touch()], times), uid);
    const after = Date.now() + 2000;
    const [m, a, both] = [1, 3, 5].map((i) => value<Times>(now.mount[i]));
    expect(m!.atimeMs).toBe(1400000000000);
    expect(m!.mtimeMs).toBeGreaterThanOrEqual(before);
    expect(m!.mtimeMs).toBeLessThanOrEqual(after);
    expect(a!.mtimeMs).toBe(m!.mtimeMs);
    expect(a!.atimeMs).toBeGreaterThanOrEqual(before);
    for (const t of [both!.atimeMs, both!.mtimeMs]) expect(t).toBeGreaterThanOrEqual(a!.atimeMs);
    expect(now.mount.filter((_, i) => i % 2 === 0)).toEqual(now.local.filter((_, i) => i % 2 === 0));
  });

  it("fallocate: mode 0 grows the file with zeros, KEEP_SIZE keeps its size, posix_fallocate works; punching a hole is refused (EOPNOTSUPP)", async () => {
    const file = at('alloc');
    const fallocate = (...args: string[]): PosixOp => ({ op: 'run', argv: ['fallocate', ...args, file] });
    const allocations = [
      fallocate('-l', '8192'),
      fallocate('-o', '4096', '-l', '100000'),
      fallocate('-n', '-l', '1000000'),
      fallocate('-l', '10'),
      { op: 'posix_fallocate' as const, path: file, offset: 100000, length: 200000 },
      { op: 'fallocate' as const, path: file, mode: FALLOC_FL_KEEP_SIZE, offset: 0, length: 2000000 },
    ];
    const r = await alike([{ op: 'write', path: file, data: 'head' }, ...eachThen(allocations, { op: 'stat', path: file }), { op: 'read', path: file }], uid);
    expect([1, 3, 5, 7].map((i) => value<RunResult>(r[i]))).toEqual(Array(4).fill({ code: 0, stderr: '' }));
    expect(outcomes(r).every((o) => o === 'ok')).toBe(true);
    expect([2, 4, 6, 8, 10, 12].map((i) => value<Stat>(r[i]).size)).toEqual([8192, 104096, 104096, 104096, 300000, 300000]);
    const content = value<string>(r[13]);
    expect(content.slice(0, 4)).toBe('head');
    expect(/^\0*$/.test(content.slice(4))).toBe(true);
    // A local disk punches holes; chalkfs does not (docs/ARCHITECTURE.md says why).
    const punch = await twins.both([{ op: 'fallocate', path: file, mode: FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset: 0, length: 4 }, { op: 'read', path: file }], uid);
    expect(outcomes(punch.local)).toEqual(['ok', 'ok']);
    // ENOTSUP is EOPNOTSUPP on Linux (95); Python names it ENOTSUP.
    expect(outcomes(punch.mount)).toEqual(['ENOTSUP', 'ok']);
    expect(value<string>(punch.mount[1]).slice(0, 4)).toBe('head');
  });

  it("fallocate and times follow the mode bits: another user's file", async () => {
    // tmp/roots is root's 0644, tmp/shared root's 0666: only the owner sets explicit times,
    // anyone who may write sets them to now, and fallocate needs a descriptor open for writing.
    const r = await alike(
      [
        { op: 'run', argv: ['touch', 'tmp/roots'] },
        { op: 'run', argv: ['touch', '-m', '-d', '@1200000000', 'tmp/shared'] },
        { op: 'run', argv: ['touch', 'tmp/shared'] },
        { op: 'run', argv: ['fallocate', '-l', '4096', 'tmp/roots'] },
        { op: 'posix_fallocate', path: 'tmp/shared', offset: 0, length: 4096 },
      ],
      uid,
    );
    // A program's exit status, or the call's errno name or 'ok'.
    const codes = r.map((x) => x.err ?? (typeof x.ok === 'object' ? (x.ok as RunResult).code : 'ok'));
    expect(codes).toEqual(uid === undefined ? [0, 0, 0, 0, 'ok'] : [1, 1, 0, 1, 'ok']);
  });
});

describe('after a remount', () => {
  it('owners, modes, sizes and times are as they were set', async () => {
    const paths = ['tmp/0/f027', 'tmp/0/d027', 'tmp/65534/n', 'tmp/65534/s', 'sg/n-d/deeper', 'tmp/65534/alloc', 'tmp/0/times', 'tmp/65534/times'];
    const ops = paths.flatMap((path) => [{ op: 'lstat' as const, path }, { op: 'times' as const, path }]);
    const before = await twins.both(ops);
    await twins.remount();
    const after = await twins.both(ops);
    expect(after.mount).toEqual(before.mount);
    expect(value<Stat>(before.mount[4])).toEqual({ mode: 0o100644, uid: NOBODY, gid: NOBODY, size: 0 });
  });
});
