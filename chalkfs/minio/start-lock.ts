// A lock file between processes on one host, for starting and stopping the embedded MinIO.
import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { ChalkError } from '../util/chalk-error.js';

/**
 * A lock between processes on one host: a file created with O_EXCL that names its holder
 * (pid and a random token). A lock whose holder process is gone is stale and taken over;
 * so is an unreadable one older than `unreadableStaleMs` (a holder that died between
 * creating and writing it). Takeover renames the stale file away first, so of two
 * processes that both saw it stale only one removes it.
 */
export async function withFileLock<T>(path: string, options: { timeoutMs: number; isAlive: (pid: number) => boolean; what: string }, fn: () => Promise<T>): Promise<T> {
  const token = `${process.pid} ${randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (tryCreate(path, token)) break;
    clearIfStale(path, options.isAlive);
    if (Date.now() > deadline) throw new ChalkError('timeout', `${options.what}: could not take the lock ${path} within ${options.timeoutMs} ms (held by ${describeHolder(path)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    return await fn();
  } finally {
    // Remove it only if it is still ours.
    if (readHolder(path) === token) rmSync(path, { force: true });
  }
}

const unreadableStaleMs = 10_000;

function tryCreate(path: string, token: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new ChalkError('io', `could not create the lock file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    writeSync(fd, token);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function describeHolder(path: string): string {
  const holder = readHolder(path);
  return holder ? `pid ${holder.split(' ')[0]}` : 'an unknown process';
}

function clearIfStale(path: string, isAlive: (pid: number) => boolean): void {
  const holder = readHolder(path);
  if (holder === undefined) return; // just released: try again
  const pid = Number(holder.split(' ')[0]);
  let stale: boolean;
  if (Number.isInteger(pid) && pid > 0) stale = !isAlive(pid);
  else {
    try {
      stale = Date.now() - statSync(path).mtimeMs > unreadableStaleMs;
    } catch {
      return;
    }
  }
  if (!stale) return;
  const aside = `${path}.stale-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else took it over first
  }
  // A fresh holder may have replaced the stale file between the read and the rename:
  // then its lock goes back (link fails only if yet another process created one since,
  // a three-way race this does not cover).
  if (readHolder(aside) !== holder) {
    try {
      linkSync(aside, path);
    } catch {
      // see above
    }
  }
  rmSync(aside, { force: true });
}
