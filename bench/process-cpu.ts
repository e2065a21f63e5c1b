/*
 * CPU time a process has used (user + system, from /proc/<pid>/stat), and the process that
 * serves a FUSE mount: the bench divides a daemon's CPU over a workload by the bytes it
 * moved (issue 16: on two cores shared with MinIO, CPU is throughput).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc's utime and stime (getconf CLK_TCK; 100 on Linux). */
function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** Fields of /proc/<pid>/stat from the state on (the command name, field 2, may hold spaces); undefined when it is gone. */
function statFields(pid: number | 'self'): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU of `pid` so far, in milliseconds; undefined when it is gone. */
export function processCpuMs(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields && ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
}

/**
 * User + system CPU of this process's children that have ended and been waited for (their
 * own children's included), in milliseconds: the CPU of a client command (cp, cat) the
 * bench ran, read as the difference around it.
 */
export function endedChildrenCpuMs(): number {
  const fields = statFields('self');
  return fields ? ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks() : 0;
}

/**
 * The processes whose command line names `mountDir` as one argument: the daemon of a FUSE
 * mount (chalkfs's `mount VOLUME DIR --foreground`, s3fs's and rclone's own argv). A
 * command that only names a file below the mount (cp, cat) does not match.
 */
export function mountDaemonPids(mountDir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv.includes(mountDir)) pids.push(Number(name));
  }
  return pids;
}

/** Measures the CPU `pids` use while `work` runs; per MB (10^6 bytes) of `bytes`. */
export interface CpuUse {
  cpuMs: number;
  wallMs: number;
  msPerMB: number;
  /** Share of one core: cpuMs / wallMs. */
  cores: number;
}

export async function measureCpu<T>(pids: () => number[], bytes: number, work: () => Promise<T>): Promise<{ result: T; cpu: CpuUse | undefined }> {
  const ids = pids();
  const before = ids.map((p) => processCpuMs(p) ?? 0);
  const start = performance.now();
  const result = await work();
  const wallMs = performance.now() - start;
  if (ids.length === 0) return { result, cpu: undefined };
  const cpuMs = ids.reduce((sum, p, i) => sum + Math.max(0, (processCpuMs(p) ?? before[i]!) - before[i]!), 0);
  return { result, cpu: { cpuMs, wallMs, msPerMB: cpuMs / (bytes / 1e6), cores: cpuMs / wallMs } };
}
