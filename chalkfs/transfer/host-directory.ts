/*
 * A host directory as tree entries (`volume import DIR`) and tree entries written into a
 * host directory (`volume export NAME DIR`). Reading: lstat, never following a symlink;
 * a file seen again by device and inode is a hard link; regular files are opened through
 * sqlite-source.ts, so a live SQLite database is read consistently and its journal, WAL
 * and -shm are left out. Writing: directories are made private first and given their
 * mode, owner and times last (deepest first), since adding a name changes a directory's
 * mtime and a read-only one would refuse its children; owners only as root, as tar does.
 */
import { lstat, mkdir, readdir, readlink, symlink, link, chmod, chown, lchown, utimes, lutimes, open } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Stats } from 'node:fs';
import { ChalkError } from '../util/chalk-error.js';
import { HardLinks, type EntryMeta, type TreeEntry } from './tree-entry.js';
import { isSkippedCompanion, isSqliteDatabase, openSourceFile, type SourceFile } from './sqlite-source.js';

function metaOf(st: Stats): EntryMeta {
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs };
}

export interface DirectoryReadEvents {
  /** A name that is not copied, and why. */
  skipped(path: string, reason: string): void;
  /** A SQLite database copied consistently, and how. */
  database(path: string, method: SourceFile['method']): void;
}

/** The entries under `root` (not `root` itself), parents first, names in byte order. */
export async function* directoryEntries(root: string, events: DirectoryReadEvents): AsyncGenerator<TreeEntry> {
  const links = new HardLinks();
  async function* walk(dir: string, prefix: string): AsyncGenerator<TreeEntry> {
    const names = (await readdir(dir)).sort();
    const databases = new Map<string, boolean>();
    const isDatabase = (name: string) => {
      if (!databases.has(name)) databases.set(name, names.includes(name) && isSqliteDatabase(join(dir, name)));
      return databases.get(name)!;
    };
    for (const name of names) {
      const abs = join(dir, name);
      const path = prefix ? `${prefix}/${name}` : name;
      const st = await lstat(abs);
      if (st.isDirectory()) {
        yield { type: 'dir', path, meta: metaOf(st) };
        yield* walk(abs, path);
      } else if (st.isSymbolicLink()) {
        yield { type: 'symlink', path, meta: metaOf(st), target: await readlink(abs) };
      } else if (st.isFIFO()) {
        yield { type: 'fifo', path, meta: metaOf(st) };
      } else if (st.isFile()) {
        if (isSkippedCompanion(name, isDatabase)) {
          events.skipped(path, 'a SQLite journal, WAL or shared-memory file: its database is copied consistently without it');
          continue;
        }
        const first = st.nlink > 1 ? links.seen(`${st.dev}:${st.ino}`, path) : undefined;
        if (first !== undefined) {
          yield { type: 'hardlink', path, target: first };
          continue;
        }
        const source = await openSourceFile(abs);
        try {
          if (source.method !== 'plain') events.database(path, source.method);
          yield { type: 'file', path, meta: metaOf(st), sizeBytes: source.sizeBytes, content: () => source.content() };
        } finally {
          source.close();
        }
      } else {
        events.skipped(path, 'a device node or socket: a volume does not hold it');
      }
    }
  }
  yield* walk(root, '');
}

/** The bytes of regular files under `root` (hard links once), for a progress total. */
export async function directoryBytes(root: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, entry.name);
      if (entry.isDirectory()) await walk(abs);
      else if (entry.isFile()) {
        const st = await lstat(abs);
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
        total += st.size;
      }
    }
  };
  await walk(root);
  return total;
}

/** Refuses a DEST that exists and is not an empty directory (before anything else is done). */
export async function checkEmptyDirectory(root: string): Promise<void> {
  const st = await lstat(root).catch(() => undefined);
  if (!st) return;
  if (!st.isDirectory()) throw new ChalkError('config', `${root} exists and is not a directory`);
  if ((await readdir(root)).length > 0) throw new ChalkError('config', `${root} is not empty: export into a new or empty directory`);
}

const asRoot = () => process.getuid?.() === 0;

/** Writes `entries` under `root` (made if missing); `onBytes` hears every file byte written. */
export async function writeDirectory(root: string, entries: AsyncIterable<TreeEntry>, onBytes: (bytes: number) => void): Promise<void> {
  await mkdir(root, { recursive: true });
  const owners = asRoot();
  const directories: { abs: string; meta: EntryMeta }[] = [];
  for await (const entry of entries) {
    const abs = join(root, entry.path);
    switch (entry.type) {
      case 'dir':
        await mkdir(abs, { mode: 0o700 });
        directories.push({ abs, meta: entry.meta });
        break;
      case 'file': {
        const file = await open(abs, 'wx', 0o600);
        try {
          for await (const chunk of entry.content()) {
            await file.write(chunk);
            onBytes(chunk.length);
          }
        } finally {
          await file.close();
        }
        await applyMeta(abs, entry.meta, owners);
        break;
      }
      case 'symlink':
        await symlink(entry.target, abs);
        if (owners) await lchown(abs, entry.meta.uid, entry.meta.gid);
        await lutimes(abs, entry.meta.mtimeMs / 1000, entry.meta.mtimeMs / 1000);
        break;
      case 'hardlink':
        await link(join(root, entry.target), abs);
        break;
      case 'fifo':
        // Node has no mkfifo(3); coreutils' mkfifo is on every Linux host chalkfs runs on.
        await promisify(execFile)('mkfifo', ['-m', (entry.meta.mode & 0o777).toString(8), abs]);
        await applyMeta(abs, entry.meta, owners);
        break;
    }
  }
  for (const { abs, meta } of directories.reverse()) await applyMeta(abs, meta, owners);
}

async function applyMeta(abs: string, meta: EntryMeta, owners: boolean): Promise<void> {
  // chown first: it clears setuid and setgid bits, which chmod then sets.
  if (owners) await chown(abs, meta.uid, meta.gid);
  await chmod(abs, meta.mode);
  await utimes(abs, meta.mtimeMs / 1000, meta.mtimeMs / 1000);
}
