/*
 * What the kernel's arguments mean, as fuse-native passes them, translated into the
 * plain values VolumeView takes: the access mode of open's flags, chown's "leave this id
 * unchanged", UTIME_OMIT, and fallocate's mode. vfs never sees a flag bit or a sentinel.
 */
import { ChalkError } from '../util/chalk-error.js';
import type { OpenIntent, TimesChange } from '../vfs/volume-view.js';

const O_ACCMODE = 3;
const O_RDONLY = 0;
/** chown's "leave this id unchanged" ((uid_t)-1). */
const NO_CHANGE_ID = 0xffffffff;
/** How patches/fuse-native+2.2.6.patch passes UTIME_OMIT (this time is left unchanged). */
const UTIME_OMIT_MS = 2 ** 52;
const FALLOC_FL_KEEP_SIZE = 0x01;

/** open(2)'s flags: opened for writing unless the access mode is O_RDONLY. */
export function openIntent(flags: number): OpenIntent {
  return { write: (flags & O_ACCMODE) !== O_RDONLY };
}

/** A chown id: undefined when the caller leaves it unchanged. */
export function idChange(id: number): number | undefined {
  return id === NO_CHANGE_ID ? undefined : id;
}

/** utimens' times: a time left undefined is left unchanged. */
export function timesChange(atimeMs: number, mtimeMs: number): TimesChange {
  return { atimeMs: timeChange(atimeMs), mtimeMs: timeChange(mtimeMs) };
}

function timeChange(ms: number): number | undefined {
  return ms === UTIME_OMIT_MS ? undefined : ms;
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
