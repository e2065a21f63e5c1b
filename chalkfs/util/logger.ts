// Structured logs (pino). The daemon writes JSON lines to its log file; the level comes
// from --log-level or CHALKFS_LOG_LEVEL. Secrets never reach a log: the store adapter
// logs endpoints and keys of objects, never credentials, and `redact` is a second guard.
// Lines go through a LogDestination: a full or failing log disk drops (and counts) lines,
// it never blocks or kills the process.
import { pino, type Logger } from 'pino';
import { LogDestination } from './log-destination.js';

export type { Logger };

/** The levels --log-level and CHALKFS_LOG_LEVEL accept. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** A pino logger writing through a LogDestination (default: stderr). */
export function createLogger(options: { level?: string; destination?: number | string; name?: string } = {}): Logger {
  const level = options.level ?? process.env.CHALKFS_LOG_LEVEL ?? 'info';
  const destination = new LogDestination(options.destination ?? 2);
  // What is still queued at exit gets one synchronous try (pino's own exit hook is for sonic-boom only).
  process.once('exit', () => destination.flushSync());
  return pino(
    {
      name: options.name ?? 'chalkfs',
      level,
      redact: { paths: ['*.secretAccessKey', '*.accessKeyId', '*.sessionToken', '*.credentials', 'secretAccessKey', 'accessKeyId', 'sessionToken'], censor: '[redacted]' },
    },
    destination,
  );
}

/** A logger that drops everything, for unit tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
