/*
 * What a run records about where it ran: CPU, memory, kernel, OS, the versions of SQLite,
 * MinIO and the peers, load averages, and the git revision measured. Results of two runs are
 * only comparable when these match, so each run's JSON carries them.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  kernel: string;
  os: string;
  node: string;
  sqlite: string;
  versions: Record<string, string>;
  /** 1/5/15-minute load averages at the start and the end of the run: other work on the machine shows up here. */
  loadAverage: { start: number[]; end: number[] };
}

export interface GitInfo {
  revision: string;
  dirty: boolean;
}

function firstLine(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).split('\n')[0]!.trim();
  } catch (err) {
    return `unavailable (${(err as Error).message.split('\n')[0]})`;
  }
}

export function describeMachine(sqliteVersion: string, minioBinary: string, loadAtStart: number[]): MachineInfo {
  const osRelease = readFileSync('/etc/os-release', 'utf8');
  const rcloneEnv = { ...process.env };
  delete rcloneEnv.AWS_CA_BUNDLE;
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    kernel: release(),
    os: /PRETTY_NAME="([^"]+)"/.exec(osRelease)?.[1] ?? 'unknown',
    node: process.version,
    loadAverage: { start: loadAtStart, end: loadavg() },
    sqlite: sqliteVersion,
    versions: {
      s3fs: firstLine('s3fs', ['--version']),
      rclone: firstLine('rclone', ['version'], rcloneEnv),
      minio: firstLine(minioBinary, ['--version']),
      fuse: firstLine('fusermount3', ['-V']),
    },
  };
}

export function gitInfo(cwd: string): GitInfo {
  const revision = firstLine('git', ['-C', cwd, 'rev-parse', 'HEAD']);
  let dirty = false;
  try {
    dirty = execFileSync('git', ['-C', cwd, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim().length > 0;
  } catch {
    dirty = false;
  }
  return { revision, dirty };
}
