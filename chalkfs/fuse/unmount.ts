// Unmounting a chalkfs mount from outside its session (a dead daemon's mount, the CLI's
// stale-mount cleanup, the daemon's last resort): fusermount3 run directly, never through
// a shell, so `$(...)` or backticks in a mount point stay plain characters.
import { execFile } from 'node:child_process';
import { resolve as resolvePath } from 'node:path';
import { ChalkError } from '../util/chalk-error.js';
import { isChalkfsMount, mountAt } from '../host/mount-table.js';

/**
 * Only a chalkfs mount is ever unmounted: another filesystem mounted there is refused;
 * nothing mounted there (say, unmounted from outside) is done.
 */
export function fusermountUnmount(mountpoint: string, lazy: boolean): Promise<void> {
  const target = resolvePath(mountpoint);
  const entry = mountAt(target);
  if (entry === undefined) return Promise.resolve();
  if (!isChalkfsMount(entry)) return Promise.reject(new ChalkError('config', `${target} is a ${entry.fstype} mount (${entry.source}), not a chalkfs one; refusing to unmount it`));
  return new Promise((resolve, reject) =>
    execFile('fusermount3', [lazy ? '-uz' : '-u', '--', target], { timeout: 30_000 }, (err, _stdout, stderr) =>
      err ? reject(new ChalkError('io', `could not unmount ${target}: ${String(stderr).trim() || err.message}`, { cause: err })) : resolve(),
    ),
  );
}

/** Unmounts a mount point whose daemon is gone (ENOTCONN) or stuck, lazily. */
export function forceUnmount(mountpoint: string): Promise<void> {
  return fusermountUnmount(mountpoint, true);
}
