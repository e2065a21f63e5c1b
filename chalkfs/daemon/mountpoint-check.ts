// What a mount point must be before a daemon starts anything: an existing, empty
// directory that is not already a mount point. A dead chalkfs mount left by a killed
// daemon (ENOTCONN, or ECONNABORTED while libfuse's auto_unmount helper detaches it) is
// cleared first; a dead mount of another filesystem is refused.
import { readdirSync, statfsSync, statSync } from 'node:fs';
import { ChalkError } from '../util/chalk-error.js';
import { isChalkfsMount, isDeadMountError, isMountPoint, mountAt } from '../host/mount-table.js';
import { forceUnmount } from '../fuse/unmount.js';

export async function checkMountpoint(mountpoint: string, retried = false): Promise<void> {
  let st;
  let mounted;
  try {
    st = statSync(mountpoint);
    // A stat of a mount's root can come from the kernel's attribute cache after its
    // daemon died; statfs always reaches the daemon, so a dead mount answers it ENOTCONN.
    mounted = isMountPoint(mountpoint);
    if (mounted) statfsSync(mountpoint);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (isDeadMountError(err) && !retried) {
      // A chalkfs daemon died here (kill -9) and left its mount behind: clear it. Another
      // filesystem's dead mount is not chalkfs's to clear.
      const entry = mountAt(mountpoint);
      if (entry && !isChalkfsMount(entry)) throw new ChalkError('config', `mount point ${mountpoint} is a dead ${entry.fstype} mount, not a chalkfs one; unmount it first`);
      await forceUnmount(mountpoint).catch(() => undefined);
      return checkMountpoint(mountpoint, true);
    }
    if (code === 'ENOENT') throw new ChalkError('config', `mount point ${mountpoint} does not exist`);
    throw new ChalkError('config', `mount point ${mountpoint} is not usable: ${(err as Error).message}`, { cause: err });
  }
  if (!st.isDirectory()) throw new ChalkError('config', `mount point ${mountpoint} is not a directory`);
  if (mounted) throw new ChalkError('config', `mount point ${mountpoint} is already a mount point (unmount it first)`);
  if (readdirSync(mountpoint).length > 0) throw new ChalkError('config', `mount point ${mountpoint} is not empty`);
}
