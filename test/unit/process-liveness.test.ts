// host/process-liveness.ts: which answers of kill(pid, 0) mean a process exists.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../chalkfs/host/process-liveness.js';

const refusal = (code: string) => () => {
  throw Object.assign(new Error(`kill: ${code}`), { code });
};

describe('processAlive', () => {
  it('is true for this process', () => {
    expect(processAlive(process.pid)).toBe(true);
  });

  it('is false for a process that has exited and been reaped', () => {
    const child = spawnSync(process.execPath, ['-e', '']);
    expect(child.pid).toBeGreaterThan(0);
    // The pid may be reused by the time this runs; that is vanishingly rare in a test.
    expect(processAlive(child.pid!)).toBe(false);
  });

  it('counts EPERM as alive: the process exists, it is only not ours to signal', () => {
    // This suite runs as root, so the kernel never answers EPERM here: inject the answer.
    expect(processAlive(1234, refusal('EPERM'))).toBe(true);
  });

  it('counts ESRCH, and any other refusal, as gone', () => {
    expect(processAlive(1234, refusal('ESRCH'))).toBe(false);
    expect(processAlive(1234, refusal('EINVAL'))).toBe(false);
  });

  it('asks the kernel about exactly the pid it was given, with signal 0', () => {
    const asked: number[] = [];
    expect(processAlive(4321, (pid) => void asked.push(pid))).toBe(true);
    expect(asked).toEqual([4321]);
  });

  it('never treats a non-positive or fractional pid as a process (0 and -1 address groups)', () => {
    const probe = () => {
      throw new Error('must not be asked');
    };
    for (const pid of [0, -1, -4321, 1.5, Number.NaN]) expect(processAlive(pid, probe)).toBe(false);
    expect(processAlive(0)).toBe(false);
  });
});
