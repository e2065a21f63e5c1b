import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs (pino). The daemon writes JSON lines to its log file; the level comes
 * from --log-level or CHALKFS_LOG_LEVEL. Secrets never reach a log: the store adapter
 * logs endpoints and keys of objects, never credentials, and `redact` is a second guard.
 */
export function createLogger(options: { level?: string; destination?: number | string; name?: string } = {}): Logger {
  const level = options.level ?? process.env.CHALKFS_LOG_LEVEL ?? 'info';
  const destination = pino.destination({ dest: options.destination ?? 2, sync: false });
  return pino(
    {
      name: options.name ?? 'chalkfs',
      level,
      redact: { paths: ['*.secretAccessKey', '*.accessKeyId', '*.credentials', 'secretAccessKey', 'accessKeyId'], censor: '[redacted]' },
    },
    destination,
  );
}

/** A logger that drops everything, for unit tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
