// Reading log files for `chalkfs logs`: a file's rotated generations in order, the last
// N lines, and following a file as it grows (and is emptied by rotation, log-rotation.ts).
import { open, readFile, stat } from 'node:fs/promises';
import { logGenerations } from './log-rotation.js';

/** Lines of `path`'s kept generations (oldest first), without empty trailing lines. */
export async function readLogLines(path: string, keep: number): Promise<string[]> {
  const lines: string[] = [];
  for (const file of logGenerations(path, keep)) {
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    lines.push(...text.split('\n').filter((l) => l !== ''));
  }
  return lines;
}

/**
 * Calls `onLine` with each whole line appended to `path` from byte `from` on, polling
 * every `intervalMs`, until `signal` aborts. A file that shrank was rotated (emptied in
 * place): reading starts again from its beginning.
 */
export async function followLog(path: string, from: number, onLine: (line: string) => void, signal: AbortSignal, intervalMs = 200): Promise<void> {
  let offset = from;
  let partial = '';
  while (!signal.aborted) {
    const size = await stat(path).then((s) => s.size, () => 0);
    if (size < offset) {
      offset = 0;
      partial = '';
    }
    if (size > offset) {
      const handle = await open(path, 'r');
      try {
        const buf = Buffer.alloc(size - offset);
        const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
        offset += bytesRead;
        const lines = (partial + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line !== '') onLine(line);
      } finally {
        await handle.close();
      }
    }
    await new Promise<void>((r) => {
      const timer = setTimeout(r, intervalMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), r()), { once: true });
    });
  }
}
