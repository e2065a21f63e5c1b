// Checks, before anything starts, that chalkfs may write where a setting points, and says
// why not in words.
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ChalkError } from './chalk-error.js';

/**
 * Makes `dir` (and its parents) if needed and checks chalkfs may write there; if not, says
 * why in words (read-only file system, not writable) instead of the errno of whichever
 * mkdir failed first. `what` names the setting, e.g. "CHALKFS_HOME /x".
 */
export function ensureWritableDir(dir: string, what: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return;
  } catch (err) {
    throw new ChalkError('config', `${what} is ${reasonNotWritable(dir, err)}; point it at a writable directory`, { cause: err });
  }
}

function reasonNotWritable(dir: string, err: unknown): string {
  // The nearest directory that exists tells more than the mkdir that failed.
  let existing = dir;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  let code = (err as NodeJS.ErrnoException).code;
  try {
    accessSync(existing, constants.W_OK);
  } catch (inner) {
    code = (inner as NodeJS.ErrnoException).code ?? code;
  }
  if (code === 'EROFS') return `on a read-only file system (${existing})`;
  if (code === 'EACCES' || code === 'EPERM') return `not writable by this user (${existing})`;
  if (code === 'ENOSPC') return `on a full disk (${existing})`;
  return `not writable (${code ?? (err as Error).message})`;
}
