// Runs the chalkfs CLI as a child process. The plugin does every volume operation this
// way, so it holds no store connection, cache or FUSE state of its own: mounts are
// separate daemons that outlive a plugin restart, and the CLI stays the one place that
// knows how to create, mount or delete a volume.
import { execFile } from 'node:child_process';
import { ChalkError } from '../util/chalk-error.js';
import { cliEntry } from '../util/paths.js';

export interface CliResult {
  stdout: string;
  stderr: string;
}

export class ChalkfsCli {
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly timeoutMs = 120_000,
    private readonly entry: string = cliEntry(),
  ) {}

  async run(args: string[]): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [this.entry, ...args],
        { env: this.env, timeout: this.timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (!err) return resolve({ stdout, stderr });
          // The CLI prints one line, "chalkfs: <message>", and exits 2 for bad input.
          const line = stderr.trim().split('\n').filter(Boolean).at(-1)?.replace(/^chalkfs:\s*/, '');
          // execFile puts the exit status in `code` (a number), or an errno string there.
          const e = err as Error & { code?: number | string; killed?: boolean };
          const why = e.killed ? `timed out after ${this.timeoutMs} ms` : (line ?? e.message);
          const kind = e.code === 2 ? 'config' : e.killed ? 'timeout' : 'io';
          reject(new ChalkError(kind, `chalkfs ${args.filter((a) => !a.startsWith('--')).slice(0, 2).join(' ')}: ${why}`, { cause: err }));
        },
      );
    });
  }

  async json<T>(args: string[]): Promise<T> {
    const { stdout } = await this.run([...args, '--json']);
    try {
      return JSON.parse(stdout) as T;
    } catch (err) {
      throw new ChalkError('io', `chalkfs ${args.join(' ')} --json printed no JSON: ${stdout.slice(0, 200)}`, { cause: err });
    }
  }
}

/** `--cache-dir DIR` when the driver's mounts use a block cache of their own, else nothing (the CLI's default). */
export function cacheDirArgs(cacheDir: string | undefined): string[] {
  return cacheDir ? ['--cache-dir', cacheDir] : [];
}

/**
 * `volume rm NAME` as the plugin and the CSI driver run it: with the block cache their
 * mounts used, so the volume's blocks are cleared from it and not only from the CLI's default.
 */
export function volumeRmArgs(name: string, cacheDir: string | undefined): string[] {
  return ['volume', 'rm', name, ...cacheDirArgs(cacheDir)];
}
