/*
 * Progress of a long command (export, import, gc, volume rm) on a terminal: a cli-progress
 * bar on stderr, redrawn in place and cleared at the end, so stdout keeps only the result
 * (and a tar written to stdout stays a tar). Nothing at all when stderr is not a terminal
 * or the command prints JSON: logs and scripts get the result line alone.
 */
import cliProgress from 'cli-progress';
import { formatSize } from '../util/size.js';

export interface CommandProgress {
  /** `total` units of work to do (unknown: undefined, counted without a bar). */
  start(total: number | undefined): void;
  advance(units: number, detail?: string): void;
  stop(): void;
}

const silent: CommandProgress = { start() {}, advance() {}, stop() {} };

export interface ProgressChoice {
  /** The command prints JSON: no bar. */
  json?: boolean;
  /** What is counted: bytes are shown as sizes. */
  unit: 'bytes' | 'objects';
  stream?: NodeJS.WriteStream;
}

export function terminalProgress(title: string, choice: ProgressChoice): CommandProgress {
  const stream = choice.stream ?? process.stderr;
  if (choice.json || !stream.isTTY) return silent;
  const show = (n: number) => (choice.unit === 'bytes' ? formatSize(n) : String(n));
  let bar: cliProgress.SingleBar | undefined;
  let value = 0;
  return {
    start(total) {
      value = 0;
      const counted = total === undefined ? `{shown}` : `[{bar}] {percentage}% | {shown} of ${show(total)}`;
      bar = new cliProgress.SingleBar(
        { stream, format: `${title} ${counted} | {detail}`, hideCursor: true, clearOnComplete: true, barsize: 30, fps: 10 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total ?? 0, 0, { shown: show(0), detail: '' });
    },
    advance(units, detail) {
      value += units;
      bar?.update(value, { shown: show(value), ...(detail === undefined ? {} : { detail }) });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/**
 * Runs `work`, which reports `(done, total)`, with `progress` shown meanwhile: the bar
 * starts at the first report (its total may still grow) and is cleared at the end.
 */
export async function withProgress<T>(progress: CommandProgress, work: (onProgress: (done: number, total: number) => void) => Promise<T>): Promise<T> {
  let started = false;
  let shown = 0;
  let total = 0;
  try {
    return await work((done, newTotal) => {
      if (!started || newTotal !== total) {
        if (started) progress.stop();
        progress.start(newTotal);
        shown = 0;
        started = true;
        total = newTotal;
      }
      progress.advance(done - shown);
      shown = done;
    });
  } finally {
    progress.stop();
  }
}
