// Keeps a log file's size bounded: once it passes `maxBytes`, its content moves to
// FILE.1 (FILE.1 to FILE.2, …, the oldest beyond `keep` removed) and FILE is emptied in
// place (copy, then truncate: logrotate's copytruncate). In place, because the daemon's
// stdout and stderr are the same file, opened by `chalkfs mount` before the daemon ran,
// and a process cannot reopen those: every descriptor is in append mode, so after the
// truncate each writes at the new end. Lines another descriptor writes between the copy
// and the truncate are lost; the logger's own are not (it rotates between its writes).
// No rotation library is a dependency here (pino-roll and rotating-file-stream rename
// and reopen, which would leave stderr writing into a rotated file).
import { copyFile, rename, rm, truncate } from 'node:fs/promises';
import { parseSize } from './size.js';

export interface LogRotation {
  /** Rotate when the file is at least this big. */
  maxBytes: number;
  /** Rotated files kept (FILE.1 … FILE.keep). */
  keep: number;
}

export const DEFAULT_LOG_ROTATION: LogRotation = { maxBytes: 10 * 1024 * 1024, keep: 3 };

/** The daemon's bound: CHALKFS_LOG_MAX_SIZE (a size such as 10MiB; at least 4KiB), 3 rotated files kept. */
export function logRotationFromEnv(env: NodeJS.ProcessEnv = process.env): LogRotation {
  const text = env.CHALKFS_LOG_MAX_SIZE;
  if (!text) return DEFAULT_LOG_ROTATION;
  return { ...DEFAULT_LOG_ROTATION, maxBytes: Math.max(4096, parseSize(text, 'CHALKFS_LOG_MAX_SIZE')) };
}

/** The rotated files of `path`, oldest first, then `path` itself. */
export function logGenerations(path: string, keep: number): string[] {
  return [...Array.from({ length: keep }, (_, i) => `${path}.${keep - i}`), path];
}

/** Shifts FILE.n up by one, copies FILE to FILE.1 and empties FILE. */
export async function rotateLog(path: string, keep: number): Promise<void> {
  await rm(`${path}.${keep}`, { force: true });
  for (let n = keep - 1; n >= 1; n--) {
    await rename(`${path}.${n}`, `${path}.${n + 1}`).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  if (keep >= 1) await copyFile(path, `${path}.1`);
  await truncate(path, 0);
}
