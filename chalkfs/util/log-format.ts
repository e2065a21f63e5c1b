// Log lines for people: a pino JSON line turned into
// `12:04:05.120 WARN  chalkfs:db  falling back to a read-only mount  reason=… err=LeaseHeld: …`.
// Used by `--foreground` on stderr and by `chalkfs logs`. pino-pretty does this too, but
// it is not a dependency here, and this is the one format chalkfs needs (no colours, no
// options): one line per entry, the error's stack indented under it. A line that is not
// JSON (a crash trace on the daemon's stderr) is passed through as it is.

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's own fields, shown in the line's head rather than as key=value. */
const HEAD_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

/** One stored line (without its newline) as a readable line (with it). */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return `${line}\n`;
    entry = parsed as Record<string, unknown>;
  } catch {
    return `${line}\n`;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '--:--:--.---';
  const level = (LEVEL_NAMES[entry.level as number] ?? String(entry.level ?? '?')).padEnd(5);
  const head = [time, level, typeof entry.name === 'string' ? entry.name : '', typeof entry.msg === 'string' ? entry.msg : ''].filter(Boolean).join('  ');
  const fields: string[] = [];
  let stack: string | undefined;
  for (const [key, value] of Object.entries(entry)) {
    if (HEAD_FIELDS.has(key)) continue;
    if ((key === 'err' || key === 'error') && typeof value === 'object' && value !== null) {
      const err = value as { type?: string; message?: string; stack?: string };
      fields.push(`${key}=${JSON.stringify(`${err.type ?? 'Error'}: ${err.message ?? ''}`)}`);
      stack = err.stack;
      continue;
    }
    fields.push(`${key}=${typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)}`);
  }
  const indented = stack ? `\n${stack.split('\n').map((l) => `    ${l}`).join('\n')}` : '';
  return `${head}${fields.length ? `  ${fields.join(' ')}` : ''}${indented}\n`;
}
