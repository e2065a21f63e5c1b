import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isChalkfsMount, parseProcMounts } from './proc-mounts.js';

/**
 * Notices a mount taken away from outside the daemon (`fusermount -u`, `umount -l`, the
 * mount point's filesystem going away). fuse-native's loop thread ends quietly then and
 * tells JavaScript nothing, so the daemon looks at /proc/mounts every `intervalMs` and
 * calls `onGone` once when its chalkfs mount is no longer there. Returns a stop function.
 */
export function watchMount(mountpoint: string, intervalMs: number, onGone: () => void): () => void {
  const target = resolve(mountpoint);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    let present = true;
    try {
      const entries = parseProcMounts(await readFile('/proc/mounts', 'utf8'));
      present = isChalkfsMount(entries.filter((e) => e.mountpoint === target).at(-1));
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
