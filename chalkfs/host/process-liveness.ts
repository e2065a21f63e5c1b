// Whether a process exists on this host: the one rule every part of chalkfs (lease
// pid checks, mount records, the embedded MinIO, the orchestrator's reaper) and the
// tests use. kill(pid, 0) sends nothing; it only asks the kernel whether the pid exists.
// EPERM means it exists but belongs to another user: alive. Only ESRCH (or any other
// refusal) counts as gone. A pid that is not a positive integer names no single process
// (0 and negative pids address process groups), so it is never alive.

/** Sends signal 0 to `pid`; throws the kernel's refusal as an errno exception. */
export type SignalZero = (pid: number) => void;

const signalZero: SignalZero = (pid) => {
  process.kill(pid, 0);
};

export function processAlive(pid: number, probe: SignalZero = signalZero): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    probe(pid);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
