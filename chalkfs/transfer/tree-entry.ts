/*
 * What `volume export` and `volume import` move: a tree as a sequence of entries, each
 * parent before its children, one type per kind of name. Every source (a volume version,
 * a host directory, a tar) yields them and every sink (a host directory, a tar, a volume)
 * takes them, so each format is written once. Also the pure rules both ends share: which
 * paths an archive may name, where a DEST or SRC argument points. No I/O here.
 */
import { posix } from 'node:path';
import { ChalkError } from '../util/chalk-error.js';

/** Permission bits (with setuid, setgid, sticky), owner and modification time. */
export interface EntryMeta {
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
}

/** Paths are relative to the tree's root, '/'-separated, normalized: `a/b.txt`. */
export type TreeEntry =
  | { type: 'dir'; path: string; meta: EntryMeta }
  | { type: 'file'; path: string; meta: EntryMeta; sizeBytes: number; content(): AsyncIterable<Buffer> }
  | { type: 'symlink'; path: string; meta: EntryMeta; target: string }
  /** One more name of the file an earlier entry (`target`, a tree path) made. */
  | { type: 'hardlink'; path: string; target: string }
  | { type: 'fifo'; path: string; meta: EntryMeta };

/**
 * A name an archive or a walk gave, as a tree path; refused when it would leave the tree
 * (absolute after `./` is stripped, or `..` above the root) so an archive cannot write
 * outside its destination. '' is the root itself.
 */
export function treePath(name: string): string {
  const trimmed = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') return '';
  if (trimmed.startsWith('/')) throw new ChalkError('invalid', `archive entry "${name}": an absolute path`);
  const normalized = posix.normalize(trimmed);
  if (normalized === '..' || normalized.startsWith('../')) throw new ChalkError('invalid', `archive entry "${name}": leaves the archive's root`);
  return normalized === '.' ? '' : normalized;
}

/** A tree path below `base`, a path inside the volume ('/' or '/a/b'). */
export function volumePath(base: string, path: string): string {
  return posix.join(base, path || '.').replace(/\/$/, '') || '/';
}

/** A volume path ('/a/b') as a tree path ('a/b'), relative to `base`. */
export function relativeTo(base: string, volumePathname: string): string {
  return posix.relative(base, volumePathname);
}

export type ArchiveEnd = { kind: 'tar-stdio' } | { kind: 'tar-file'; path: string } | { kind: 'directory'; path: string };

/** Where DEST (export) or SRC (import) is: `-` a tar on stdout or stdin, `*.tar` a tar file, else a directory. */
export function archiveEnd(argument: string): ArchiveEnd {
  if (argument === '-') return { kind: 'tar-stdio' };
  if (argument.endsWith('.tar')) return { kind: 'tar-file', path: argument };
  return { kind: 'directory', path: argument };
}

/**
 * Remembers the first name of each multiply-linked file: the next time the same file
 * (by `key`, an inode number or device:inode) is seen, its entry is a hard link to that name.
 */
export class HardLinks {
  private readonly firstNames = new Map<string, string>();

  /** The earlier name of the file `key` (undefined the first time, which records `path`). */
  seen(key: string, path: string): string | undefined {
    const first = this.firstNames.get(key);
    if (first === undefined) this.firstNames.set(key, path);
    return first;
  }
}

/** Totals both commands print. */
export interface TransferCounts {
  files: number;
  directories: number;
  symlinks: number;
  hardLinks: number;
  other: number;
  bytes: number;
}

export function emptyCounts(): TransferCounts {
  return { files: 0, directories: 0, symlinks: 0, hardLinks: 0, other: 0, bytes: 0 };
}

/** Counts one entry (a file's bytes are counted as they are copied). */
export function countEntry(counts: TransferCounts, entry: TreeEntry): void {
  if (entry.type === 'file') counts.files++;
  else if (entry.type === 'dir') counts.directories++;
  else if (entry.type === 'symlink') counts.symlinks++;
  else if (entry.type === 'hardlink') counts.hardLinks++;
  else counts.other++;
}
