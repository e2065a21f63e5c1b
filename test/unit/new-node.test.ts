// Who a new name belongs to and which mode it gets (fuse/new-node.ts), against what a
// local disk does (Linux's inode_init_owner): the caller's uid, the caller's gid unless the
// directory is setgid, the umask applied, setgid inherited by new directories.
import { describe, expect, it } from 'vitest';
import { mknodKind, newNode } from '../../chalkfs/fuse/new-node.js';
import { kindOf } from '../support/error-kind.js';

const nobody = { uid: 65534, gid: 65534, umask: 0o022 };
const plainDir = { mode: 0o040777, gid: 0 };
const setgidDir = { mode: 0o042775, gid: 4242 };

describe('newNode', () => {
  it('gives a new file, directory or symlink to the calling uid and gid', () => {
    expect(newNode('file', 0o666, nobody, plainDir)).toEqual({ mode: 0o644, owner: { uid: 65534, gid: 65534 } });
    expect(newNode('dir', 0o777, nobody, plainDir)).toEqual({ mode: 0o755, owner: { uid: 65534, gid: 65534 } });
    expect(newNode('symlink', 0o777, nobody, plainDir)).toEqual({ mode: 0o777, owner: { uid: 65534, gid: 65534 } });
    expect(newNode('file', 0o600, { uid: 0, gid: 0, umask: 0 }, plainDir)).toEqual({ mode: 0o600, owner: { uid: 0, gid: 0 } });
  });

  it("applies the caller's umask to files and directories, never to symlinks", () => {
    const strict = { ...nobody, umask: 0o077 };
    expect(newNode('file', 0o666, strict, plainDir).mode).toBe(0o600);
    expect(newNode('dir', 0o777, { ...nobody, umask: 0o027 }, plainDir).mode).toBe(0o750);
    expect(newNode('symlink', 0o777, strict, plainDir).mode).toBe(0o777);
    // A mode the kernel already masked comes out the same (the umask applied twice).
    expect(newNode('file', 0o644, nobody, plainDir).mode).toBe(0o644);
  });

  it('keeps special bits asked for and drops file type bits', () => {
    expect(newNode('dir', 0o1777, { ...nobody, umask: 0 }, plainDir).mode).toBe(0o1777);
    expect(newNode('file', 0o104755, { ...nobody, umask: 0 }, plainDir).mode).toBe(0o4755);
  });

  it("in a setgid directory: the directory's gid, and new directories stay setgid", () => {
    expect(newNode('file', 0o666, nobody, setgidDir)).toEqual({ mode: 0o644, owner: { uid: 65534, gid: 4242 } });
    expect(newNode('dir', 0o777, nobody, setgidDir)).toEqual({ mode: 0o2755, owner: { uid: 65534, gid: 4242 } });
    expect(newNode('symlink', 0o777, nobody, setgidDir)).toEqual({ mode: 0o777, owner: { uid: 65534, gid: 4242 } });
  });
});

describe('mknodKind', () => {
  it('makes regular files (type bits S_IFREG or none)', () => {
    expect(mknodKind(0o100644)).toBe('file');
    expect(mknodKind(0o644)).toBe('file');
  });

  it('makes FIFOs and sockets as files are made; refuses device nodes (EPERM) and unknown types', async () => {
    expect(mknodKind(0o010644)).toBe('file');
    expect(mknodKind(0o140644)).toBe('file');
    expect(await kindOf(() => mknodKind(0o020644))).toBe('not-permitted');
    expect(await kindOf(() => mknodKind(0o060644))).toBe('not-permitted');
    expect(await kindOf(() => mknodKind(0o070644))).toBe('invalid');
  });
});
