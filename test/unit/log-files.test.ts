// Logs for people and bounded on disk: util/log-format.ts (one readable line per JSON
// line), util/log-rotation.ts and LogDestination's rotation (the file stays under its
// bound, in place, so every other descriptor appending to it keeps working),
// util/log-files.ts (rotated generations in order; following across a rotation) and the
// files `chalkfs logs` picks (cli/commands/logs.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { formatLogLine } from '../../chalkfs/util/log-format.js';
import { logGenerations, rotateLog } from '../../chalkfs/util/log-rotation.js';
import { LogDestination } from '../../chalkfs/util/log-destination.js';
import { followLog, readLogLines } from '../../chalkfs/util/log-files.js';
import { logFilesFor } from '../../chalkfs/cli/commands/logs.js';
import { mountLogFile } from '../../chalkfs/daemon/mount-records.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chalkfs-logs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('formatLogLine', () => {
  it('puts time, level, name and message first, then the fields', () => {
    const line = JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), pid: 1, hostname: 'h', name: 'chalkfs:db', msg: 'falling back', mountpoint: '/mnt/db', seq: 3, reason: 'two words' });
    expect(formatLogLine(line)).toBe('03:04:05.006  WARN   chalkfs:db  falling back  mountpoint=/mnt/db seq=3 reason="two words"\n');
  });

  it("shows an error's type and message, and its stack indented below", () => {
    const line = JSON.stringify({ level: 50, time: 0, msg: 'mount failed', err: { type: 'ChalkError', message: 'lease held', stack: 'ChalkError: lease held\n    at x' } });
    expect(formatLogLine(line)).toBe('00:00:00.000  ERROR  mount failed  err="ChalkError: lease held"\n    ChalkError: lease held\n        at x\n');
  });

  it('passes a line that is not a JSON object through (a crash trace on stderr)', () => {
    expect(formatLogLine('Error: boom')).toBe('Error: boom\n');
    expect(formatLogLine('42')).toBe('42\n');
  });
});

describe('log rotation', () => {
  it('shifts generations, keeps `keep` of them, and empties the file in place', async () => {
    const path = join(dir, 'm.log');
    for (const n of [1, 2, 3, 4]) {
      writeFileSync(path, `gen ${n}\n`);
      await rotateLog(path, 2);
    }
    expect(readFileSync(path, 'utf8')).toBe('');
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('gen 4\n');
    expect(readFileSync(`${path}.2`, 'utf8')).toBe('gen 3\n');
    expect(existsSync(`${path}.3`)).toBe(false);
    expect(logGenerations(path, 2)).toEqual([`${path}.2`, `${path}.1`, path]);
  });

  it('keeps a logging file under its bound, and another append-mode descriptor writes into the current file after a rotation', async () => {
    const path = join(dir, 'daemon.log');
    const stderrLike = openSync(path, 'a');
    const destination = new LogDestination(path, { rotation: { maxBytes: 4096, keep: 2 } });
    const logger = pino({ base: undefined }, destination);
    for (let i = 0; i < 400; i++) {
      logger.info({ i }, 'a line of about sixty bytes, give or take a few');
      if (i % 50 === 0) await new Promise<void>((r) => destination.flush(() => r()));
    }
    await new Promise<void>((r) => destination.flush(() => r()));
    // One write's worth over the bound at most: rotation happens between writes.
    expect(statSync(path).size).toBeLessThan(4096 + 64 * 60);
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    const lines = await readLogLines(path, 2);
    // The newest line is kept, in order; the oldest ones were rotated away.
    expect(JSON.parse(lines.at(-1)!).i).toBe(399);
    expect(lines.length).toBeLessThan(400);
    writeSync(stderrLike, 'stderr after rotation\n');
    closeSync(stderrLike);
    expect(readFileSync(path, 'utf8').endsWith('stderr after rotation\n')).toBe(true);
    expect(readFileSync(path, 'utf8').startsWith('\0')).toBe(false);
    destination.end();
  });
});

describe('followLog', () => {
  it('sees lines appended after it started, whole lines only, and starts over after a rotation', async () => {
    const path = join(dir, 'f.log');
    writeFileSync(path, 'old\n');
    const seen: string[] = [];
    const stop = new AbortController();
    const following = followLog(path, statSync(path).size, (l) => seen.push(l), stop.signal, 10);
    const until = async (n: number) => {
      while (seen.length < n) await new Promise((r) => setTimeout(r, 10));
    };
    appendFileSync(path, 'one\ntw');
    await until(1);
    appendFileSync(path, 'o\n');
    await until(2);
    await rotateLog(path, 1);
    appendFileSync(path, 'three\n');
    await until(3);
    stop.abort();
    await following;
    expect(seen).toEqual(['one', 'two', 'three']);
  });
});

describe('logFilesFor', () => {
  it('finds a mount point\'s log whatever its volume, and every log of a volume', () => {
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const a = mountLogFile(dir, 'db', '/mnt/a');
    const b = mountLogFile(dir, 'db', '/mnt/b');
    const other = mountLogFile(dir, 'db-2', '/mnt/c');
    for (const f of [a, b, other]) writeFileSync(f, '');
    expect(logFilesFor(logs, '/mnt/a')).toEqual([a]);
    expect(logFilesFor(logs, 'db').sort()).toEqual([a, b].sort());
    expect(logFilesFor(logs, 'db-2')).toEqual([other]);
  });

  it('says when there is no log', () => {
    let caught: unknown;
    try {
      logFilesFor(join(dir, 'logs'), 'nothing');
    } catch (err) {
      caught = err;
    }
    expect(isChalkError(caught, 'not-found')).toBe(true);
  });
});
