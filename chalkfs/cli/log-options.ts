// --log-level and --log-format, for the mount daemon and the foreground servers (plugin,
// csi): checked in one place. The servers default to JSON lines, what a service
// manager's journal keeps and log shippers read; `pretty` is for a person at a terminal.
import type { Command } from 'commander';
import { ChalkError } from '../util/chalk-error.js';
import { createLogger, LOG_FORMATS, LOG_LEVELS, type LogFormat, type Logger } from '../util/logger.js';

export interface LogOptions {
  logLevel?: string;
  logFormat: string;
}

/** The level (default CHALKFS_LOG_LEVEL, else info) and format, or a usage error naming the bad one. */
export function checkLogOptions(opts: LogOptions): { level: string; format: LogFormat } {
  const level = opts.logLevel ?? (process.env.CHALKFS_LOG_LEVEL || 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ChalkError('config', `invalid --log-level (or CHALKFS_LOG_LEVEL) "${level}": use one of ${LOG_LEVELS.join(', ')}`);
  }
  if (!(LOG_FORMATS as readonly string[]).includes(opts.logFormat)) {
    throw new ChalkError('config', `invalid --log-format "${opts.logFormat}": use one of ${LOG_FORMATS.join(', ')}`);
  }
  return { level, format: opts.logFormat as LogFormat };
}

/** Adds the two options to a server command (its log goes to stderr). */
export function withServerLogOptions(command: Command): Command {
  return command
    .option('--log-level <level>', `${LOG_LEVELS.join(', ')} (default: CHALKFS_LOG_LEVEL or info)`)
    .option('--log-format <format>', `how stderr shows the log: ${LOG_FORMATS.join(' or ')}`, 'json');
}

/** The server's logger on stderr. */
export function serverLogger(opts: LogOptions, name: string): Logger {
  const { level, format } = checkLogOptions(opts);
  return createLogger({ level, format, name, destination: 2 });
}
