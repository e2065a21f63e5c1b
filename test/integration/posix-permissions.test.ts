/*
 * Permissions on a chalkfs mount as on a local disk (issue 14): the mount is shared by
 * every user of the host (allow_other), so the kernel checks mode bits itself
 * (default_permissions): root's 0600 file, sticky directories, access(2), chown's rules,
 * and setuid/setgid cleared on a write or chown. Each sequence runs as root and as an
 * unprivileged uid (setpriv), on the mount and on a local ext4 directory prepared alike,
 * and the mount must answer as the local disk does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcomes, value, type PosixOp, type Stat } from '../support/posix-child.js';
import { mountWithLocalTwin, type Twins } from '../support/local-twin.js';

const NOBODY = 65534;
/** A second unprivileged uid, with no entry in /etc/passwd (setpriv needs none). */
const OTHER = 1000;
const SETGID_GROUP = 4242;

let twins: Twins;
const alike = (ops: PosixOp[], uid?: number) => twins.alike(ops, uid);

beforeAll(async () => {
  twins = await mountWithLocalTwin('perms');
  await alike([
    { op: 'umask', mask: 0o022 },
    { op: 'write', path: 'secret', data: 'root only', mode: 0o600 },
    { op: 'write', path: 'hello', data: 'hello', mode: 0o644 },
    { op: 'mkdir', path: 'tmp', mode: 0o777 },
    { op: 'chmod', path: 'tmp', mode: 0o1777 },
    { op: 'write', path: 'tmp/rootfile', data: 'r' },
    { op: 'chmod', path: 'tmp/rootfile', mode: 0o666 },
    { op: 'mkdir', path: 'sg', mode: 0o777 },
    { op: 'chown', path: 'sg', uid: 0, gid: SETGID_GROUP },
    { op: 'chmod', path: 'sg', mode: 0o2777 },
  ]);
});

afterAll(async () => {
  await twins?.close();
});

describe("root's 0600 file", () => {
  it('an unprivileged uid can neither read, change nor delete it', async () => {
    const r = await alike(
      [
        { op: 'read', path: 'secret' },
        { op: 'append', path: 'secret', data: 'x' },
        { op: 'truncate', path: 'secret', size: 0 },
        { op: 'chmod', path: 'secret', mode: 0o666 },
        { op: 'chown', path: 'secret', uid: NOBODY, gid: NOBODY },
        { op: 'rename', from: 'secret', to: 'tmp/taken' },
        { op: 'unlink', path: 'secret' },
        { op: 'stat', path: 'secret' },
      ],
      NOBODY,
    );
    expect(outcomes(r)).toEqual(['EACCES', 'EACCES', 'EACCES', 'EPERM', 'EPERM', 'EACCES', 'EACCES', 'ok']);
    expect(value<Stat>(r[7])).toEqual({ mode: 0o100600, uid: 0, gid: 0, size: 9 });
  });

  it('root reads, changes and deletes it', async () => {
    const r = await alike([
      { op: 'write', path: 'secret-copy', data: 'root only', mode: 0o600 },
      { op: 'read', path: 'secret-copy' },
      { op: 'append', path: 'secret-copy', data: '!' },
      { op: 'chmod', path: 'secret-copy', mode: 0o640 },
      { op: 'chown', path: 'secret-copy', uid: NOBODY, gid: NOBODY },
      { op: 'stat', path: 'secret-copy' },
      { op: 'unlink', path: 'secret-copy' },
    ]);
    expect(outcomes(r)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(r[1]!.ok).toBe('root only');
    expect(value<Stat>(r[5])).toEqual({ mode: 0o100640, uid: NOBODY, gid: NOBODY, size: 10 });
  });
});

describe('a sticky directory (1777, as /tmp)', () => {
  it('others cannot delete or rename your file; you can, and root can', async () => {
    const asNobody = await alike(
      [
        { op: 'write', path: 'tmp/mine', data: 'n' },
        { op: 'unlink', path: 'tmp/rootfile' },
        { op: 'rename', from: 'tmp/rootfile', to: 'tmp/stolen' },
        { op: 'append', path: 'tmp/rootfile', data: 'n' },
        { op: 'rename', from: 'tmp/mine', to: 'tmp/mine2' },
        { op: 'unlink', path: 'tmp/mine2' },
        { op: 'write', path: 'tmp/nobodys', data: 'n' },
      ],
      NOBODY,
    );
    expect(outcomes(asNobody)).toEqual(['ok', 'EPERM', 'EPERM', 'ok', 'ok', 'ok', 'ok']);
    const asOther = await alike(
      [
        { op: 'unlink', path: 'tmp/nobodys' },
        { op: 'rename', from: 'tmp/nobodys', to: 'tmp/x' },
        { op: 'rename', from: 'tmp/rootfile', to: 'tmp/x' },
      ],
      OTHER,
    );
    expect(outcomes(asOther)).toEqual(['EPERM', 'EPERM', 'EPERM']);
    const asRoot = await alike([
      { op: 'rename', from: 'tmp/nobodys', to: 'tmp/moved' },
      { op: 'unlink', path: 'tmp/moved' },
    ]);
    expect(outcomes(asRoot)).toEqual(['ok', 'ok']);
  });
});

describe('access(2)', () => {
  it('answers by the mode bits for an unprivileged uid', async () => {
    const r = await alike(
      [
        { op: 'access', path: 'secret', mode: 'r' },
        { op: 'access', path: 'hello', mode: 'r' },
        { op: 'access', path: 'hello', mode: 'w' },
        { op: 'access', path: 'hello', mode: 'x' },
        { op: 'access', path: 'tmp', mode: 'w' },
        { op: 'access', path: 'tmp', mode: 'x' },
      ],
      NOBODY,
    );
    expect(r.map((x) => x.ok)).toEqual([false, true, false, false, true, true]);
  });

  it('answers as for root: read and write anything, execute only with an x bit', async () => {
    const r = await alike([
      { op: 'access', path: 'secret', mode: 'r' },
      { op: 'access', path: 'secret', mode: 'w' },
      { op: 'access', path: 'hello', mode: 'x' },
      { op: 'access', path: 'tmp', mode: 'x' },
    ]);
    expect(r.map((x) => x.ok)).toEqual([true, true, false, true]);
  });
});

describe('setuid and setgid', () => {
  const mode = (r: { ok?: unknown }) => (r.ok as Stat).mode;

  it("an unprivileged uid's write or truncate clears them; root's write keeps them", async () => {
    await alike([
      { op: 'write', path: 'tmp/suid', data: 'a' },
      { op: 'chmod', path: 'tmp/suid', mode: 0o6777 },
      { op: 'write', path: 'tmp/suid-trunc', data: 'a' },
      { op: 'chmod', path: 'tmp/suid-trunc', mode: 0o6777 },
      { op: 'write', path: 'tmp/suid-root', data: 'a' },
      { op: 'chmod', path: 'tmp/suid-root', mode: 0o6777 },
    ]);
    const asNobody = await alike(
      [
        { op: 'append', path: 'tmp/suid', data: 'b' },
        { op: 'stat', path: 'tmp/suid' },
        { op: 'truncate', path: 'tmp/suid-trunc', size: 0 },
        { op: 'stat', path: 'tmp/suid-trunc' },
      ],
      NOBODY,
    );
    expect(mode(asNobody[1]!)).toBe(0o100777);
    expect(mode(asNobody[3]!)).toBe(0o100777);
    const asRoot = await alike([
      { op: 'append', path: 'tmp/suid-root', data: 'b' },
      { op: 'stat', path: 'tmp/suid-root' },
    ]);
    expect(mode(asRoot[1]!)).toBe(0o106777);
  });

  it("setgid without group-execute stays after an unprivileged uid's write, where a local disk clears it (the kernel's FUSE rule)", async () => {
    // The kernel's FUSE code (HANDLE_KILLPRIV off) clears setgid only together with
    // group-execute; the daemon never learns the caller's groups or capabilities to do
    // better. The mode has had no meaning since mandatory locking left Linux (5.15).
    await alike([
      { op: 'write', path: 'tmp/sgid-nox', data: 'a' },
      { op: 'chmod', path: 'tmp/sgid-nox', mode: 0o2666 },
    ]);
    const { mount, local } = await twins.both([{ op: 'append', path: 'tmp/sgid-nox', data: 'b' }, { op: 'stat', path: 'tmp/sgid-nox' }], NOBODY);
    expect(value<Stat>(local[1]).mode).toBe(0o100666);
    expect(value<Stat>(mount[1]).mode).toBe(0o102666);
    // root's chown keeps it on both (root may keep setgid without group-execute).
    const chowned = await alike([
      { op: 'write', path: 'tmp/sgid-nox-chown', data: 'a' },
      { op: 'chmod', path: 'tmp/sgid-nox-chown', mode: 0o2666 },
      { op: 'chown', path: 'tmp/sgid-nox-chown', uid: NOBODY, gid: NOBODY },
      { op: 'stat', path: 'tmp/sgid-nox-chown' },
    ]);
    expect(value<Stat>(chowned[3]).mode).toBe(0o102666);
  });

  it("chown clears them, root's or an unprivileged owner's", async () => {
    const asRoot = await alike([
      { op: 'write', path: 'tmp/given', data: 'a' },
      { op: 'chmod', path: 'tmp/given', mode: 0o6755 },
      { op: 'chown', path: 'tmp/given', uid: NOBODY, gid: NOBODY },
      { op: 'stat', path: 'tmp/given' },
    ]);
    expect(value<Stat>(asRoot[3])).toMatchObject({ mode: 0o100755, uid: NOBODY, gid: NOBODY });
    const asNobody = await alike(
      [
        { op: 'write', path: 'tmp/regrouped', data: 'a' },
        { op: 'chmod', path: 'tmp/regrouped', mode: 0o6755 },
        { op: 'stat', path: 'tmp/regrouped' },
        { op: 'chown', path: 'tmp/regrouped', uid: -1, gid: NOBODY },
        { op: 'stat', path: 'tmp/regrouped' },
      ],
      NOBODY,
    );
    expect(mode(asNobody[2]!)).toBe(0o106755);
    expect(mode(asNobody[4]!)).toBe(0o100755);
  });

  it("chmod by a uid outside the file's group cannot set setgid", async () => {
    const asNobody = await alike(
      [
        { op: 'write', path: 'sg/theirs', data: 'a' },
        { op: 'chmod', path: 'sg/theirs', mode: 0o2755 },
        { op: 'stat', path: 'sg/theirs' },
      ],
      NOBODY,
    );
    expect(value<Stat>(asNobody[2])).toMatchObject({ mode: 0o100755, uid: NOBODY, gid: SETGID_GROUP });
    const asRoot = await alike([
      { op: 'write', path: 'sg/roots', data: 'a' },
      { op: 'chmod', path: 'sg/roots', mode: 0o2755 },
      { op: 'stat', path: 'sg/roots' },
    ]);
    expect(value<Stat>(asRoot[2])).toMatchObject({ mode: 0o102755, uid: 0, gid: SETGID_GROUP });
  });
});

describe('chown', () => {
  it('an unprivileged owner cannot give a file away or join a group it is not in', async () => {
    const r = await alike(
      [
        { op: 'write', path: 'tmp/own', data: 'a' },
        { op: 'chown', path: 'tmp/own', uid: 0, gid: -1 },
        { op: 'chown', path: 'tmp/own', uid: OTHER, gid: -1 },
        { op: 'chown', path: 'tmp/own', uid: -1, gid: 0 },
        { op: 'chown', path: 'tmp/own', uid: NOBODY, gid: NOBODY },
        { op: 'chown', path: 'tmp/rootfile', uid: -1, gid: NOBODY },
        { op: 'stat', path: 'tmp/own' },
      ],
      NOBODY,
    );
    expect(outcomes(r)).toEqual(['ok', 'EPERM', 'EPERM', 'EPERM', 'ok', 'EPERM', 'ok']);
    expect(value<Stat>(r[6])).toMatchObject({ uid: NOBODY, gid: NOBODY });
  });

  it('root gives any file to anyone', async () => {
    const r = await alike([
      { op: 'chown', path: 'tmp/own', uid: OTHER, gid: SETGID_GROUP },
      { op: 'stat', path: 'tmp/own' },
    ]);
    expect(outcomes(r)).toEqual(['ok', 'ok']);
    expect(value<Stat>(r[1])).toMatchObject({ uid: OTHER, gid: SETGID_GROUP });
  });
});

describe('after a remount', () => {
  it('owners and modes are as they were set', async () => {
    const paths = ['secret', 'tmp', 'tmp/own', 'tmp/given', 'sg', 'sg/theirs', 'sg/roots'];
    const before = await alike(paths.map((path) => ({ op: 'lstat' as const, path })));
    await twins.remount();
    const after = await twins.both(paths.map((path) => ({ op: 'lstat' as const, path })));
    expect(after.mount).toEqual(before);
    expect(value<Stat>(before[1])).toMatchObject({ mode: 0o41777, uid: 0 });
    expect(value<Stat>(before[4])).toMatchObject({ mode: 0o42777, gid: SETGID_GROUP });
  });
});
