/*
 * What the kernel's arguments mean, translated into the plain values VolumeView takes:
 * the access mode of open's flags. vfs never sees a flag bit. (setattr's changes arrive
 * already decoded from the binding: only what the caller sets, UTIME_NOW as 'now'.)
 */
import type { OpenIntent } from '../vfs/volume-view.js';

const O_ACCMODE = 3;
const O_RDONLY = 0;

/** open(2)'s flags: opened for writing unless the access mode is O_RDONLY. */
export function openIntent(flags: number): OpenIntent {
  return { write: (flags & O_ACCMODE) !== O_RDONLY };
}
