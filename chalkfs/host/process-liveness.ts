// Whether a process exists on this host: the one rule every part of chalkfs (lease
// pid checks, mount records, the embedded MinIO, the orchestrator's reaper) and the
// tests use. kill(pid, 0) sends nothing; it only asks the kernel whether the pid exists.
// EPERM means it exists but belongs to another user: alive. Only ESRCH (or any other
// refusal) counts as gone. A pid that is not a positive integer names no single process
// (0 and negative pids address process groups), so it is never alive.
//
// A zombie (exited, not yet reaped by its parent) still answers kill(pid, 0), but runs
// nothing and holds nothing: it counts as gone. A daemon started by an earlier CLI call
// is reaped by pid 1, and where pid 1 reaps late (1.3-1.8 s in this project's CI
// container) or never (a shell or `sleep` as a container's pid 1), `chalkfs unmount`
// waited that long, up to its 15 s limit, for a process that had already exited.
import { readFileSync } from 'node:fs';

/** Sends signal 0 to `pid`; throws the kernel's refusal as an errno exception. */
export type SignalZero = (pid: number) => void;

/** The one-letter state /proc gives a process (R, S, D, Z, ...), or undefined when unknown. */
export type ProcessState = (pid: number) => string | undefined;

const signalZero: SignalZero = (pid) => {
  process.kill(pid, 0);
};

/** The state field of a /proc/<pid>/stat line: it follows the command name, which may hold spaces and parentheses. */
export function stateFromStat(stat: string): string | undefined {
  const end = stat.lastIndexOf(')');
  return end < 0 ? undefined : stat.slice(end + 2).split(' ', 1)[0] || undefined;
}

const procState: ProcessState = (pid) => {
  try {
    return stateFromStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
};

export function processAlive(pid: number, probe: SignalZero = signalZero, stateOf: ProcessState = procState): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    probe(pid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const state = stateOf(pid);
  return state !== 'Z' && state !== 'X';
}
