// What the kernel says is mounted, read from /proc/self/mountinfo: the one parser of the
// mount table in chalkfs, its tests, the bench and the orchestrator. mountinfo rather
// than /proc/mounts because it also names each mount's device (the kernel readahead is
// set per device) and lists the same mounts of this process's namespace.
//
// A line is `id parent major:minor root mountpoint options [optional fields...] - fstype
// source superoptions` (proc(5)). The kernel writes space, tab, newline and backslash in
// paths as three-digit octal escapes (\040 \011 \012 \134); every field is unescaped by
// the same rule, once, here.
//
// A chalkfs mount is a FUSE mount with subtype "chalkfs": fstype "fuse.chalkfs", source
// "chalkfs:VOLUME" (see LowLevelMount). chalkfs only ever unmounts what passes that test.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export interface MountEntry {
  /** "major:minor" of the mounted device (for a FUSE mount, an anonymous one). */
  device: string;
  /** The mount point, unescaped, as this process sees it. */
  mountpoint: string;
  fstype: string;
  source: string;
}

const chalkfsFstype = 'fuse.chalkfs';

const mountinfoPath = '/proc/self/mountinfo';

/** Undoes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Entries in the kernel's order (a mount over another comes after it); malformed lines are skipped. */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (separator < 0 || fields.length < separator + 3 || !/^\d+:\d+$/.test(fields[2]!)) continue;
    entries.push({
      device: fields[2]!,
      mountpoint: unescapeMountField(fields[4]!),
      fstype: unescapeMountField(fields[separator + 1]!),
      source: unescapeMountField(fields[separator + 2]!),
    });
  }
  return entries;
}

export function readMountTableSync(): MountEntry[] {
  return parseMountInfo(readFileSync(mountinfoPath, 'utf8'));
}

/** Reads /proc, never a mount itself: safe inside the daemon that serves one. */
export async function readMountTable(): Promise<MountEntry[]> {
  return parseMountInfo(await readFile(mountinfoPath, 'utf8'));
}

/** The mount visible at `dir` (the last one mounted there), or undefined. */
export function mountAt(dir: string, table: MountEntry[] = readMountTableSync()): MountEntry | undefined {
  const target = resolve(dir);
  return table.filter((e) => e.mountpoint === target).at(-1);
}

export function isMountPoint(dir: string, table?: MountEntry[]): boolean {
  return mountAt(dir, table) !== undefined;
}

/** Mount points at `dir` or below it, deepest first (the order to unmount them in). */
export function mountPointsUnder(dir: string, table: MountEntry[] = readMountTableSync()): string[] {
  const root = resolve(dir);
  const below = root === '/' ? '/' : `${root}/`;
  return table
    .map((e) => e.mountpoint)
    .filter((p) => p === root || p.startsWith(below))
    .sort((a, b) => b.length - a.length);
}

export function isChalkfsMount(entry: MountEntry | undefined): boolean {
  return entry !== undefined && entry.fstype === chalkfsFstype && entry.source.startsWith('chalkfs:');
}

/**
 * Whether a failed stat of a mount point says its FUSE daemon is gone: ENOTCONN, or
 * ECONNABORTED while the connection has been aborted (libfuse's auto_unmount helper,
 * fusermount3, aborts it when the daemon dies and then detaches the mount: in between,
 * the mount point answers ECONNABORTED).
 */
export function isDeadMountError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOTCONN' || code === 'ECONNABORTED';
}
