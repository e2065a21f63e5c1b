// The kernel's readahead for a FUSE mount. libfuse 2 negotiates `max_readahead`, but the
// kernel only ever lowers the mount's readahead to it: it starts at 128 KiB, so a
// sequential reader (a SQLite full scan) has one 128 KiB read in flight and waits a round
// trip into the daemon for every one. The value lives in the mount's backing device info,
// /sys/class/bdi/<major:minor>/read_ahead_kb, writable by root after the mount.
import { writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { mountAt, readMountTable } from './mount-table.js';

/**
 * Sets the readahead of the mount at `mountpoint` (an absolute path, as in mountinfo).
 * Best effort: without root or sysfs the mount works, only sequential reads are slower.
 * Reads /proc, never the mount itself: a stat of our own mount would need this event loop.
 */
export async function setKernelReadahead(mountpoint: string, bytes: number, logger: Logger): Promise<boolean> {
  try {
    const device = mountAt(mountpoint, await readMountTable())?.device;
    if (!device) throw new Error(`${mountpoint} is not in /proc/self/mountinfo`);
    await writeFile(`/sys/class/bdi/${device}/read_ahead_kb`, `${Math.max(4, Math.round(bytes / 1024))}\n`);
    return true;
  } catch (err) {
    logger.warn({ err }, 'could not raise the kernel readahead of the mount; sequential reads will be slower');
    return false;
  }
}
