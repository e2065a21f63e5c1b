/*
 * A volume's side of a transfer, through the same VolumeView a mount serves (no FUSE):
 * one version as tree entries (export, from a pinned ReaderVolume), and tree entries
 * applied to a WriterVolume under a base path (import), committed by the caller once.
 * A second name of an inode is a hard link; owners are kept only when run as root (as
 * tar does), otherwise what is imported belongs to the importing user.
 */
import { posix } from 'node:path';
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import { S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, type Attributes } from '../vfs/attributes.js';
import type { ReaderVolume } from '../vfs/reader-volume.js';
import type { WriterVolume } from '../vfs/writer-volume.js';
import { HardLinks, volumePath, type EntryMeta, type TreeEntry } from './tree-entry.js';

const chunkBytes = 1024 * 1024;

function metaOf(a: Attributes): EntryMeta {
  return { mode: a.mode & 0o7777, uid: a.uid, gid: a.gid, mtimeMs: a.mtimeMs };
}

/** The version `volume` serves, as entries under its root. */
export async function* versionEntries(volume: ReaderVolume): AsyncGenerator<TreeEntry> {
  const links = new HardLinks();
  async function* walk(dir: string): AsyncGenerator<TreeEntry> {
    const names = volume.readdir(dir).filter((n) => n !== '.' && n !== '..').sort();
    for (const name of names) {
      const abs = posix.join(dir, name);
      const path = abs.slice(1);
      const a = volume.getattr(abs);
      switch (a.mode & S_IFMT) {
        case S_IFDIR:
          yield { type: 'dir', path, meta: metaOf(a) };
          yield* walk(abs);
          break;
        case S_IFLNK:
          yield { type: 'symlink', path, meta: metaOf(a), target: volume.readlink(abs) };
          break;
        case S_IFIFO:
          yield { type: 'fifo', path, meta: metaOf(a) };
          break;
        case S_IFREG: {
          const first = a.nlink > 1 ? links.seen(String(a.ino), path) : undefined;
          if (first !== undefined) yield { type: 'hardlink', path, target: first };
          else yield { type: 'file', path, meta: metaOf(a), sizeBytes: a.size, content: () => fileContent(volume, abs, a.size) };
          break;
        }
        default:
          break; // a socket: nothing to carry
      }
    }
  }
  yield* walk('/');
}

async function* fileContent(volume: ReaderVolume, path: string, sizeBytes: number): AsyncGenerator<Buffer> {
  const fh = volume.openForCopy(path);
  try {
    for (let offset = 0; offset < sizeBytes; ) {
      const buf = Buffer.allocUnsafe(Math.min(chunkBytes, sizeBytes - offset));
      const n = await volume.read(fh, buf, buf.length, offset);
      if (n === 0) throw new ChalkError('io', `${path}: short read at ${offset} of ${sizeBytes} bytes`);
      offset += n;
      yield buf.subarray(0, n);
    }
  } finally {
    volume.release(fh);
  }
}

/** The bytes of a version's regular files, hard links once: a progress total. */
export function versionBytes(volume: ReaderVolume): number {
  const seen = new Set<number>();
  let total = 0;
  const walk = (dir: string): void => {
    for (const name of volume.readdir(dir)) {
      if (name === '.' || name === '..') continue;
      const abs = posix.join(dir, name);
      const a = volume.getattr(abs);
      if ((a.mode & S_IFMT) === S_IFDIR) walk(abs);
      else if ((a.mode & S_IFMT) === S_IFREG && !seen.has(a.ino)) {
        seen.add(a.ino);
        total += a.size;
      }
    }
  };
  walk('/');
  return total;
}

function exists(volume: WriterVolume, path: string): Attributes | undefined {
  try {
    return volume.getattr(path);
  } catch (err) {
    if (isChalkError(err, 'not-found')) return undefined;
    throw err;
  }
}

/** Makes `path` and its missing parents directories (mode 0755). */
export function makeDirectories(volume: WriterVolume, path: string): void {
  let at = '/';
  for (const part of path.split('/').filter(Boolean)) {
    at = posix.join(at, part);
    const a = exists(volume, at);
    if (!a) volume.mkdir(at, 0o755);
    else if ((a.mode & S_IFMT) !== S_IFDIR) throw new ChalkError('not-a-directory', `${at} in the volume is not a directory`);
  }
}

/**
 * Applies `entries` under `base` in the volume: new names are made, a file or link over
 * an existing non-directory replaces it. Nothing is committed here.
 */
export async function applyEntries(volume: WriterVolume, base: string, entries: AsyncIterable<TreeEntry>, onBytes: (bytes: number) => void): Promise<void> {
  const owners = process.getuid?.() === 0;
  const ownerOf = (meta: EntryMeta) => (owners ? { uid: meta.uid, gid: meta.gid } : undefined);
  const directories: { path: string; meta: EntryMeta }[] = [];
  makeDirectories(volume, base);
  const replace = async (path: string) => {
    const a = exists(volume, path);
    if (!a) return;
    if ((a.mode & S_IFMT) === S_IFDIR) throw new ChalkError('is-a-directory', `${path} in the volume is a directory; the source has a file there`);
    await volume.unlink(path);
  };
  for await (const entry of entries) {
    const path = volumePath(base, entry.path);
    switch (entry.type) {
      case 'dir': {
        const a = exists(volume, path);
        if (a && (a.mode & S_IFMT) !== S_IFDIR) throw new ChalkError('not-a-directory', `${path} in the volume is not a directory; the source has one there`);
        if (!a) volume.mkdir(path, 0o700, ownerOf(entry.meta));
        directories.push({ path, meta: entry.meta });
        break;
      }
      case 'file': {
        await replace(path);
        const fh = volume.create(path, entry.meta.mode, ownerOf(entry.meta));
        try {
          let offset = 0;
          for await (const chunk of entry.content()) {
            // The volume keeps the buffer it is given (FileData): a private copy.
            offset += await volume.write(fh, Buffer.from(chunk), offset);
            onBytes(chunk.length);
          }
          if (offset !== entry.sizeBytes) throw new ChalkError('io', `${entry.path}: ${offset} bytes read of ${entry.sizeBytes}`);
        } finally {
          volume.release(fh);
        }
        setMeta(volume, path, entry.meta);
        break;
      }
      case 'symlink':
        await replace(path);
        volume.symlink(entry.target, path, ownerOf(entry.meta));
        volume.setTimes(path, { mtimeMs: entry.meta.mtimeMs });
        break;
      case 'hardlink':
        await replace(path);
        volume.link(volumePath(base, entry.target), path);
        break;
      case 'fifo':
        await replace(path);
        volume.mknod(path, S_IFIFO | entry.meta.mode, 0, ownerOf(entry.meta));
        setMeta(volume, path, entry.meta);
        break;
    }
  }
  for (const { path, meta } of directories.reverse()) {
    if (owners) volume.chown(path, meta.uid, meta.gid);
    setMeta(volume, path, meta);
  }
}

function setMeta(volume: WriterVolume, path: string, meta: EntryMeta): void {
  volume.chmod(path, meta.mode);
  volume.setTimes(path, { atimeMs: meta.mtimeMs, mtimeMs: meta.mtimeMs });
}
