/*
 * How a long build (an image: about a minute) reports where it is. A terminal gets a
 * progress bar (cli-progress); a log file or CI gets one line per phase instead of
 * hundreds of redraws; tests can pass `silentProgress()` or collect the calls.
 */
import cliProgress from 'cli-progress';

/** How a long build reports where it is: a start, fractions with phase names, a summary. */
export interface BuildProgress {
  start(title: string): void;
  /** `fraction` of the whole build done (0..1) and the phase it is in. */
  update(fraction: number, phase: string): void;
  stop(summary: string): void;
}

export function silentProgress(): BuildProgress {
  return { start() {}, update() {}, stop() {} };
}

/** A bar on a TTY, phase lines otherwise. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): BuildProgress {
  return stream.isTTY ? barProgress(stream) : lineProgress(stream);
}

function barProgress(stream: NodeJS.WriteStream): BuildProgress {
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(title) {
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${title} [{bar}] {percentage}% | {duration}s | {phase}`,
          hideCursor: true,
          clearOnComplete: true,
          barsize: 30,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(1000, 0, { phase: 'starting' });
    },
    update(fraction, phase) {
      bar?.update(Math.round(Math.min(1, Math.max(0, fraction)) * 1000), { phase });
    },
    stop(summary) {
      bar?.stop();
      bar = undefined;
      stream.write(`${summary}\n`);
    },
  };
}

function lineProgress(stream: NodeJS.WritableStream): BuildProgress {
  let title = '';
  let lastPhase = '';
  return {
    start(t) {
      title = t;
      lastPhase = '';
      stream.write(`${title}: starting\n`);
    },
    update(fraction, phase) {
      if (phase === lastPhase) return;
      lastPhase = phase;
      stream.write(`${title}: ${Math.round(fraction * 100)}% ${phase}\n`);
    },
    stop(summary) {
      stream.write(`${summary}\n`);
    },
  };
}
