// The bench's system helpers: running commands, waiting for and clearing mounts, dropping
// the kernel caches.
import { spawn, type SpawnOptions } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { isMountPoint } from '../chalkfs/host/mount-table.js';

export interface CommandOutput {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; rejects with its stderr on a non-zero exit or a timeout. */
export function runCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd };
    const child = spawn(command, args, spawnOptions);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timeoutMs = options.timeoutMs ?? 120_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ stdout, stderr });
      const why = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs} ms?)` : ''}` : `exit ${code}`;
      const tail = (stderr.trim() || stdout.trim()).split('\n').slice(-4).join(' | ');
      reject(new Error(`${command} ${args.join(' ')}: ${why}${tail ? `: ${tail}` : ''}`));
    });
  });
}

/** True when `dir` is a mount point right now (chalkfs's own mount table). */
export { isMountPoint as isMounted };

export async function waitForMount(dir: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isMountPoint(dir)) {
    if (Date.now() > deadline) throw new Error(`${what}: ${dir} was not mounted within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Lazy unmount: never fails and never hangs on a dead mount (ENOTCONN). */
export async function forceUnmount(dir: string): Promise<void> {
  if (!isMountPoint(dir)) return;
  await runCommand('fusermount3', ['-uz', dir], { timeoutMs: 10_000 }).catch(() => undefined);
  if (isMountPoint(dir)) await runCommand('umount', ['-l', dir], { timeoutMs: 10_000 }).catch(() => undefined);
}

/** Writes back dirty pages and empties the kernel's page, dentry and inode caches (root only). */
export async function dropKernelCaches(): Promise<void> {
  await runCommand('sync', []);
  writeFileSync('/proc/sys/vm/drop_caches', '3\n');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
