/*
 * The metadata operations a writer applies to a file's inode in place: permission bits,
 * owner, times, and the times a content change sets. Every direct inode edit of the vfs
 * is here (FileData's block lists aside), so the rule for which time each change touches
 * is written once. Callers pass the inode the namespace resolved and the time of the change.
 */
import type { FileInode, Inode } from '../meta/format.js';
import type { TimesChange } from './volume-view.js';

/** chmod: the permission bits; the file type never changes. */
export function setMode(inode: Inode, mode: number, nowMs: number): void {
  inode.mode = mode & 0o7777;
  inode.ctimeMs = nowMs;
}

/** chown: an id left undefined is kept. */
export function setOwner(inode: Inode, uid: number | undefined, gid: number | undefined, nowMs: number): void {
  if (uid !== undefined) inode.uid = uid;
  if (gid !== undefined) inode.gid = gid;
  inode.ctimeMs = nowMs;
}

/** utimens: a time left undefined is kept; the change itself is a ctime. */
export function setTimes(inode: Inode, { atimeMs, mtimeMs }: TimesChange, nowMs: number): void {
  if (atimeMs !== undefined) inode.atimeMs = atimeMs;
  if (mtimeMs !== undefined) inode.mtimeMs = mtimeMs;
  inode.ctimeMs = nowMs;
}

/** write and truncate: the content changed. */
export function contentChanged(inode: FileInode, nowMs: number): void {
  inode.mtimeMs = nowMs;
  inode.ctimeMs = nowMs;
}
