// POSIX calls run in a child process inside one directory, optionally as another uid
// (setpriv): Python's os module for the calls node:fs lacks (access, mknod, chown with -1,
// posix_fallocate, umask; fallocate(2) through ctypes), and programs (touch, fallocate) with their exit status and
// message. Paths are relative to the directory, so the same sequence run on a local disk
// and on a mount gives answers that compare equal when both behave alike.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { asUid, readableScript } from './syscall-child.js';

export type PosixOp =
  | { op: 'umask'; mask: number }
  | { op: 'stat' | 'lstat' | 'times' | 'read' | 'unlink' | 'rmdir'; path: string }
  | { op: 'write' | 'append'; path: string; data: string; mode?: number }
  | { op: 'mkdir' | 'mknod' | 'chmod'; path: string; mode: number }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'rename' | 'link'; from: string; to: string }
  | { op: 'chown'; path: string; uid: number; gid: number }
  | { op: 'access'; path: string; mode: 'r' | 'w' | 'x' }
  | { op: 'truncate'; path: string; size: number }
  | { op: 'posix_fallocate'; path: string; offset: number; length: number }
  /** fallocate(2) itself, with its mode bits (FALLOC_FL_*). */
  | { op: 'fallocate'; path: string; mode: number; offset: number; length: number }
  | { op: 'run'; argv: string[] };

/** A call's value, or the errno name (EACCES, EPERM...) it failed with. */
export type PosixResult = { ok: unknown; err?: undefined } | { ok?: undefined; err: string };

export interface Stat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

export interface Times {
  atimeMs: number;
  mtimeMs: number;
}

export interface RunResult {
  code: number;
  stderr: string;
}

const script = `
import ctypes, errno, json, os, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
os.chdir(sys.argv[1])
def stat(s): return {'mode': s.st_mode, 'uid': s.st_uid, 'gid': s.st_gid, 'size': s.st_size}
def write(path, data, flags, mode):
    fd = os.open(path, flags, mode)
    try: os.write(fd, data.encode())
    finally: os.close(fd)
modes = {'r': os.R_OK, 'w': os.W_OK, 'x': os.X_OK}
out = []
for o in json.loads(sys.argv[2]):
    op, v = o['op'], True
    try:
        if op == 'umask': os.umask(o['mask'])
        elif op == 'stat': v = stat(os.stat(o['path']))
        elif op == 'lstat': v = stat(os.lstat(o['path']))
        elif op == 'times':
            s = os.stat(o['path'])
            v = {'atimeMs': s.st_atime_ns // 1000000, 'mtimeMs': s.st_mtime_ns // 1000000}
        elif op == 'read':
            with open(o['path'], 'rb') as f: v = f.read().decode('latin-1')
        elif op == 'unlink': os.unlink(o['path'])
        elif op == 'rmdir': os.rmdir(o['path'])
        elif op == 'write': write(o['path'], o['data'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, o.get('mode', 0o666))
        elif op == 'append': write(o['path'], o['data'], os.O_WRONLY | os.O_APPEND, 0)
        elif op == 'mkdir': os.mkdir(o['path'], o['mode'])
        elif op == 'mknod': os.mknod(o['path'], o['mode'])
        elif op == 'chmod': os.chmod(o['path'], o['mode'])
        elif op == 'symlink': os.symlink(o['target'], o['path'])
        elif op == 'rename': os.rename(o['from'], o['to'])
        elif op == 'link': os.link(o['from'], o['to'])
        elif op == 'chown': os.chown(o['path'], o['uid'], o['gid'])
        elif op == 'access': v = os.access(o['path'], modes[o['mode']])
        elif op == 'truncate': os.truncate(o['path'], o['size'])
        elif op == 'posix_fallocate':
            fd = os.open(o['path'], os.O_WRONLY)
            try: os.posix_fallocate(fd, o['offset'], o['length'])
            finally: os.close(fd)
        elif op == 'fallocate':
            fd = os.open(o['path'], os.O_WRONLY)
            try:
                if libc.fallocate(fd, o['mode'], o['offset'], o['length']) != 0:
                    e = ctypes.get_errno()
                    raise OSError(e, os.strerror(e))
            finally: os.close(fd)
        elif op == 'run':
            p = subprocess.run(o['argv'], capture_output=True, text=True)
            v = {'code': p.returncode, 'stderr': p.stderr}
        else: raise Exception('unknown op ' + op)
        out.append({'ok': v})
    except OSError as e:
        out.append({'err': errno.errorcode[e.errno]})
print(json.dumps(out))
`;

/** Runs `ops` in order in `dir`, as `uid` (root when undefined); one result per op. */
export async function posixCalls(dir: string, ops: PosixOp[], uid?: number): Promise<PosixResult[]> {
  const [cmd, ...args] = asUid(['/usr/bin/python3', readableScript('posix-calls.py', script), dir, JSON.stringify(ops)], uid);
  const { stdout } = await promisify(execFile)(cmd, args, { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as PosixResult[];
}

/** Each result's errno name, or 'ok'. */
export function outcomes(results: PosixResult[]): string[] {
  return results.map((r) => r.err ?? 'ok');
}

/** The value of a call that must have succeeded. */
export function value<T>(result: PosixResult | undefined): T {
  if (result === undefined || result.err !== undefined) throw new Error(`the call failed: ${JSON.stringify(result)}`);
  return result.ok as T;
}
