// Notices a mount taken away from outside the daemon (`fusermount3 -u`, `umount -l`, the
// mount point's filesystem going away). The FUSE session ends then without a word to the
// daemon's shutdown path (commit, lease, record), so the daemon looks at the mount table every `intervalMs`
// and calls `onGone` once when its chalkfs mount is no longer there.
import { isChalkfsMount, mountAt, readMountTable } from './mount-table.js';

/** Returns a stop function. */
export function watchMount(mountpoint: string, intervalMs: number, onGone: () => void): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    let present = true;
    try {
      present = isChalkfsMount(mountAt(mountpoint, await readMountTable()));
    } catch {
      // /proc unreadable for a moment: look again next time rather than guess.
    }
    if (stopped) return;
    if (!present) {
      stopped = true;
      onGone();
      return;
    }
    timer = setTimeout(() => void check(), intervalMs);
    timer.unref();
  };
  timer = setTimeout(() => void check(), intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
