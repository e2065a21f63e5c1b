// Structured logs (pino). The daemon writes JSON lines to its log file; the level comes
// from --log-level or CHALKFS_LOG_LEVEL. Secrets never reach a log: the store adapter
// logs endpoints and keys of objects, never credentials, and `redact` is a second guard.
// Lines go through a LogDestination: a full or failing log disk drops (and counts) lines,
// it never blocks or kills the process.
import { pino, type Logger } from 'pino';
import { LogDestination } from './log-destination.js';
import { formatLogLine } from './log-format.js';
import { DEFAULT_LOG_ROTATION, type LogRotation } from './log-rotation.js';

export type { Logger };

/** The levels --log-level and CHALKFS_LOG_LEVEL accept. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** The log formats --log-format accepts: JSON lines, or lines for people (log-format.ts). */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * A pino logger writing through a LogDestination (default: stderr). A file is always JSON
 * lines (`chalkfs logs` formats them) and size-bounded by `rotation`.
 */
export function createLogger(options: { level?: string; destination?: number | string; name?: string; format?: LogFormat; rotation?: LogRotation } = {}): Logger {
  const level = options.level ?? process.env.CHALKFS_LOG_LEVEL ?? 'info';
  const target = options.destination ?? 2;
  const destination = new LogDestination(target, {
    format: options.format === 'pretty' && typeof target === 'number' ? formatLogLine : undefined,
    rotation: typeof target === 'string' ? (options.rotation ?? DEFAULT_LOG_ROTATION) : undefined,
  });
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
