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
// waited that long, up to its 15 s limit, for a process that had already exited. But
// the main thread of a killed multi-threaded process turns zombie before its other
// threads have exited, and until the last one has, the process still holds its files
// (a FUSE daemon: its /dev/fuse, so its mount still answers): a zombie main thread with
// more than one thread left counts as alive.
import { readFileSync } from 'node:fs';

/** Sends signal 0 to `pid`; throws the kernel's refusal as an errno exception. */
export type SignalZero = (pid: number) => void;

/** What /proc/<pid>/stat says of a process: its main thread's state (R, S, D, Z, ...) and its thread count. */
export interface ProcStat {
  state: string;
  threads: number;
}

/** What /proc says of `pid`, or undefined when it cannot tell. */
export type ProcessState = (pid: number) => ProcStat | undefined;

const signalZero: SignalZero = (pid) => {
  process.kill(pid, 0);
};

/** Parses a /proc/<pid>/stat line: the fields follow the command name, which may hold spaces and parentheses. */
export function parseProcStat(stat: string): ProcStat | undefined {
  const end = stat.lastIndexOf(')');
  if (end < 0) return undefined;
  // After the name: state (field 3), ... num_threads (field 20).
  const fields = stat.slice(end + 2).split(' ');
  const threads = Number(fields[17]);
  return fields[0] && Number.isSafeInteger(threads) ? { state: fields[0], threads } : undefined;
}

const procState: ProcessState = (pid) => {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
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
  const stat = stateOf(pid);
  return stat === undefined || !((stat.state === 'Z' || stat.state === 'X') && stat.threads <= 1);
}
