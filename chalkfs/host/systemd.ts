// Whether this host runs systemd, and systemctl. systemd is "running" when it is the
// init system: /run/systemd/system exists (the test sd_booted(3) documents). Containers,
// WSL without systemd and CI sandboxes have another PID 1, and then systemctl cannot
// enable anything.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { ChalkError } from '../util/chalk-error.js';

export function systemdRunning(): boolean {
  return existsSync('/run/systemd/system');
}

/** The command name of PID 1 (`ps -p 1`), to say what runs instead of systemd. */
export function initProcessName(): string {
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** Runs `systemctl ARGS`; a failure is an `io` ChalkError with systemctl's own last line. */
export function systemctl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('systemctl', args, { encoding: 'utf8', timeout: 120_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const line = stderr.trim().split('\n').filter(Boolean).at(-1) ?? err.message;
      reject(new ChalkError('io', `systemctl ${args.join(' ')}: ${line}`, { cause: err }));
    });
  });
}
