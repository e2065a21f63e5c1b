import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * What the kernel says is mounted (/proc/mounts), so chalkfs only ever unmounts what it
 * mounted: a chalkfs mount is a FUSE mount with subtype "chalkfs" (fstype
 * "fuse.chalkfs", source "chalkfs:VOLUME"; see FuseMount).
 */
export interface MountEntry {
  source: string;
  mountpoint: string;
  fstype: string;
}

export const CHALKFS_FSTYPE = 'fuse.chalkfs';

/** /proc/mounts writes space, tab, newline and backslash as octal escapes. */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parseProcMounts(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [source, mountpoint, fstype] = line.split(' ');
    if (source === undefined || mountpoint === undefined || fstype === undefined) continue;
    entries.push({ source: unescapeField(source), mountpoint: unescapeField(mountpoint), fstype: unescapeField(fstype) });
  }
  return entries;
}

/** The mount visible at `dir` (the last one mounted there), or undefined. */
export function mountAt(dir: string): MountEntry | undefined {
  const target = resolve(dir);
  return parseProcMounts(readFileSync('/proc/mounts', 'utf8'))
    .filter((e) => e.mountpoint === target)
    .at(-1);
}

export function isChalkfsMount(entry: MountEntry | undefined): boolean {
  return entry !== undefined && entry.fstype === CHALKFS_FSTYPE && entry.source.startsWith('chalkfs:');
}
