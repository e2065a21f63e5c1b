// `chalkfs logs MOUNTPOINT|VOLUME`: a mount daemon's log, formatted for people (or as the
// stored JSON lines with --json), from its rotated files on; -f keeps following it.
// A mount point names its own log; a volume names the logs of every mount point it was
// mounted at on this host (each line then prefixed with its mount point's log name).
import type { Command } from 'commander';
import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ChalkError } from '../../util/chalk-error.js';
import { formatLogLine } from '../../util/log-format.js';
import { followLog, readLogLines } from '../../util/log-files.js';
import { DEFAULT_LOG_ROTATION } from '../../util/log-rotation.js';
import { validateVolumeName } from '../../meta/volume-name.js';
import { mountLogSuffix } from '../../daemon/mount-records.js';
import { home } from '../cli-context.js';

/** The log files `target` names under `logDir`: by mount point if it is a directory or a path, else by volume name. */
export function logFilesFor(logDir: string, target: string): string[] {
  let names: string[];
  try {
    names = readdirSync(logDir);
  } catch {
    names = [];
  }
  const isPath = target.includes('/') || isDirectory(target);
  const pattern = isPath
    ? new RegExp(`-${mountLogSuffix(resolve(target))}\\.log$`)
    : new RegExp(`^${validateVolumeName(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{8}\\.log$`);
  const files = names.filter((n) => pattern.test(n)).sort().map((n) => join(logDir, n));
  if (files.length === 0) {
    throw new ChalkError('not-found', `no log for ${isPath ? `mount point ${resolve(target)}` : `volume ${target}`} in ${logDir}`);
  }
  return files;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description("a mount daemon's log (by mount point, or every mount of a volume on this host); rotated files first")
    .argument('<mount-or-volume>', 'a mount point, or a volume name')
    .option('-f, --follow', 'keep printing lines as they are written (Ctrl-C stops)')
    .option('-n, --tail <lines>', 'only the last LINES lines (default: all kept)')
    .option('--json', 'print the stored JSON lines as they are')
    .addHelpText('after', `\nLogs are in CHALKFS_HOME/logs (now ${join(home, 'logs')}), rotated at CHALKFS_LOG_MAX_SIZE (default 10MiB), ${DEFAULT_LOG_ROTATION.keep} rotated files kept.`)
    .action(async (target: string, opts: { follow?: boolean; tail?: string; json?: boolean }) => {
      const tail = opts.tail === undefined ? undefined : Number(opts.tail);
      if (tail !== undefined && (!Number.isSafeInteger(tail) || tail < 0)) throw new ChalkError('config', `invalid --tail "${opts.tail}": expected a whole number of lines`);
      const files = logFilesFor(join(home, 'logs'), target);
      const show = (file: string) => {
        const prefix = files.length > 1 ? `[${basename(file, '.log')}] ` : '';
        return (line: string) => void process.stdout.write(prefix + (opts.json ? `${line}\n` : formatLogLine(line)));
      };
      const sizes = new Map<string, number>();
      for (const file of files) {
        sizes.set(file, statSync(file).size);
        const lines = await readLogLines(file, DEFAULT_LOG_ROTATION.keep);
        (tail === undefined ? lines : tail === 0 ? [] : lines.slice(-tail)).forEach(show(file));
      }
      if (!opts.follow) return;
      const stop = new AbortController();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
      await Promise.all(files.map((file) => followLog(file, sizes.get(file) ?? 0, show(file), stop.signal)));
    });
}
