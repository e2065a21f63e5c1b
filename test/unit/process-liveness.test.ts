// host/process-liveness.ts: which answers of kill(pid, 0) mean a process exists.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcStat, processAlive } from '../../chalkfs/host/process-liveness.js';

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

  it('is false for a zombie: exited, not yet reaped by its parent (it still answers signal 0)', async () => {
    // The shell starts `sleep 0` and becomes `sleep 5`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number.parseInt(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))), 10);
      const stat = () => readFileSync(`/proc/${pid}/stat`, 'latin1');
      for (let i = 0; i < 100 && !/\) Z /.test(stat()); i++) await new Promise((r) => setTimeout(r, 20));
      expect(stat()).toMatch(/\) Z /);
      expect(() => process.kill(pid, 0)).not.toThrow();
      expect(processAlive(pid)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('reads the state and thread count after the command name, which may hold spaces and parentheses', () => {
    const fields = (state: string, threads: number) => `${state} 1 4321 4321 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 ${threads} 0 123 4096 10`;
    expect(parseProcStat(`4321 (a (b) c)) ${fields('Z', 1)}`)).toEqual({ state: 'Z', threads: 1 });
    expect(parseProcStat(`4321 (node) ${fields('S', 11)}`)).toEqual({ state: 'S', threads: 11 });
    expect(parseProcStat('garbage')).toBeUndefined();
    expect(parseProcStat(readFileSync('/proc/self/stat', 'latin1'))).toMatchObject({ state: 'R' });
  });

  it('counts a zombie as gone only once its other threads have exited (until then it holds its files)', () => {
    expect(processAlive(1234, () => undefined, () => ({ state: 'Z', threads: 1 }))).toBe(false);
    expect(processAlive(1234, () => undefined, () => ({ state: 'X', threads: 1 }))).toBe(false);
    // A killed multi-threaded process: its main thread is a zombie while the others exit.
    expect(processAlive(1234, () => undefined, () => ({ state: 'Z', threads: 3 }))).toBe(true);
    expect(processAlive(1234, () => undefined, () => ({ state: 'S', threads: 1 }))).toBe(true);
    // No /proc entry to read (another OS, hidepid): signal 0's answer stands.
    expect(processAlive(1234, () => undefined, () => undefined)).toBe(true);
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
