/*
 * A directory tree as a test compares it: type, mode, owner, size, content hash and link
 * target of every entry, so two trees (a mount and local disk, before and after a
 * remount) compare with one equality check.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/** One entry of a directory tree as a test compares it: what POSIX promises to keep. */
export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  target?: string;
  mtimeMs?: number;
}

/** Every entry under `root` by relative path, with content hashes (read through the mount). */
export async function snapshotTree(root: string, options: { mtimes?: boolean } = {}): Promise<Record<string, TreeEntry>> {
  const out: Record<string, TreeEntry> = {};
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const full = join(root, path);
      const st = await lstat(full);
      const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, ...(options.mtimes ? { mtimeMs: st.mtimeMs } : {}) };
      if (st.isDirectory()) {
        out[path] = { type: 'dir', ...base };
        await walk(path);
      } else if (st.isSymbolicLink()) {
        out[path] = { type: 'symlink', ...base, target: await readlink(full) };
      } else {
        out[path] = { type: 'file', ...base, size: st.size, sha256: createHash('sha256').update(await readFile(full)).digest('hex') };
      }
    }
  };
  await walk('');
  return out;
}
