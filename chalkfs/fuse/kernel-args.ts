/*
 * What the kernel's arguments mean, translated into the plain values VolumeView takes:
 * the access mode of open's flags and fallocate's mode. vfs never sees a flag bit.
 * (setattr's changes arrive already decoded from the binding: only what the caller sets,
 * UTIME_NOW as 'now'.)
 */
import { ChalkError } from '../util/chalk-error.js';
import type { OpenIntent } from '../vfs/volume-view.js';

const O_ACCMODE = 3;
const O_RDONLY = 0;
const FALLOC_FL_KEEP_SIZE = 0x01;

/** open(2)'s flags: opened for writing unless the access mode is O_RDONLY. */
export function openIntent(flags: number): OpenIntent {
  return { write: (flags & O_ACCMODE) !== O_RDONLY };
}

/**
 * fallocate(2)'s mode: 0 (allocate, growing the file) or FALLOC_FL_KEEP_SIZE; true for
 * the latter. Nothing else (punching holes, zeroing, collapsing or inserting ranges) is
 * done: EOPNOTSUPP, as a filesystem without the mode answers.
 */
export function allocationKeepsSize(mode: number): boolean {
  if ((mode & ~FALLOC_FL_KEEP_SIZE) !== 0) throw new ChalkError('unsupported', `fallocate mode 0x${mode.toString(16)} is not supported`);
  return mode === FALLOC_FL_KEEP_SIZE;
}
