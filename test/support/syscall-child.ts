// Runs filesystem calls in a child process (optionally as another uid, through setpriv):
// a process serving a FUSE mount must never make calls into its own mount itself.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export type SyscallOp =
  | { op: 'stat' | 'lstat' | 'read' | 'readdir' | 'readlink' | 'unlink' | 'rmdir' | 'statfs'; path: string }
  | { op: 'write'; path: string; data: string; flag?: string; mode?: number }
  | { op: 'open'; path: string; flags: string }
  | { op: 'mkdir'; path: string; mode?: number }
  | { op: 'rename' | 'link'; from: string; to: string }
  | { op: 'symlink'; target: string; path: string };

/** Each call's value, or the error code (ENOENT, EACCES...) it failed with. */
export type SyscallResult = { ok: unknown; code?: undefined } | { ok?: undefined; code: string };

const script = `
import fs from 'node:fs';
const stat = (s) => ({ size: s.size, mode: s.mode, uid: s.uid, gid: s.gid, nlink: s.nlink, ino: s.ino, atimeMs: s.atimeMs, mtimeMs: s.mtimeMs });
const out = [];
for (const o of JSON.parse(process.argv[2])) {
  try {
    let v = true;
    switch (o.op) {
      case 'stat': v = stat(fs.statSync(o.path)); break;
      case 'lstat': v = stat(fs.lstatSync(o.path)); break;
      case 'read': v = fs.readFileSync(o.path, 'utf8'); break;
      case 'readdir': v = fs.readdirSync(o.path).sort(); break;
      case 'readlink': v = fs.readlinkSync(o.path); break;
      case 'unlink': fs.unlinkSync(o.path); break;
      case 'rmdir': fs.rmdirSync(o.path); break;
      case 'statfs': { const s = fs.statfsSync(o.path); v = { bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree }; break; }
      case 'write': fs.writeFileSync(o.path, o.data, { flag: o.flag ?? 'w', mode: o.mode ?? 0o644 }); break;
      case 'open': fs.closeSync(fs.openSync(o.path, o.flags)); break;
      case 'mkdir': fs.mkdirSync(o.path, { mode: o.mode ?? 0o755 }); break;
      case 'rename': fs.renameSync(o.from, o.to); break;
      case 'link': fs.linkSync(o.from, o.to); break;
      case 'symlink': fs.symlinkSync(o.target, o.path); break;
      default: throw new Error('unknown op ' + o.op);
    }
    out.push({ ok: v });
  } catch (e) {
    if (!e.code) throw e;
    out.push({ code: e.code });
  }
}
process.stdout.write(JSON.stringify(out));
`;

const scriptPaths = new Map<string, string>();

/** A child's script, written once per process into a directory every uid can read. */
export function readableScript(name: string, text: string): string {
  let path = scriptPaths.get(name);
  if (path === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'chalkfs-syscalls-'));
    chmodSync(dir, 0o755);
    path = join(dir, name);
    writeFileSync(path, text, { mode: 0o644 });
    scriptPaths.set(name, path);
  }
  return path;
}

/** `argv` run as `uid` (its gid the same number, no supplementary groups), or as is. */
export function asUid(argv: string[], uid: number | undefined): [string, ...string[]] {
  const full = uid === undefined ? argv : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...argv];
  return full as [string, ...string[]];
}

export async function syscalls(ops: SyscallOp[], uid?: number): Promise<SyscallResult[]> {
  const [cmd, ...args] = asUid([process.execPath, readableScript('syscalls.mjs', script), JSON.stringify(ops)], uid);
  const { stdout } = await promisify(execFile)(cmd, args, { timeout: 30_000 });
  return JSON.parse(stdout) as SyscallResult[];
}

/** Runs a program (touch, stat, fallocate...) in a child process; its stdout. */
export async function run(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(cmd, args, { timeout: 30_000 });
  return stdout;
}
