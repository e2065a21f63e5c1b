/*
 * Integration-test fixture for the chalkfs CLI: a unique bucket in a MinIO server (the
 * run's global one by default), one or more "hosts" (each its own CHALKFS_HOME, block
 * cache directory and mount points, all against the same bucket), the CLI run as a child
 * process, and cleanup that unmounts everything and removes every temporary directory,
 * also when a test fails. Use it with `await using fx = await ChalkfsFixture.create()`.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { S3ObjectStore, defaultS3Timeouts } from '../../chalkfs/store/s3-object-store.js';
import { cliEntry } from '../../chalkfs/util/paths.js';
import { processAlive } from '../../chalkfs/host/process-liveness.js';
import { isMountPoint } from '../../chalkfs/host/mount-table.js';

const execFileAsync = promisify(execFile);

export interface StoreEndpoint {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Extra or overriding environment variables (a value of undefined removes one). */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

export interface MountOptions {
  readOnly?: boolean;
  /** Block cache directory; default: a fresh one per mount, under the host. */
  cacheDir?: string;
  /** Mount point; default: a fresh empty directory. */
  dir?: string;
  extraArgs?: string[];
  env?: Record<string, string | undefined>;
}

export interface Mount {
  volume: string;
  dir: string;
  cacheDir: string;
  pid: number;
  logFile: string;
  host: ChalkfsHost;
  /** `chalkfs unmount DIR`; throws if it fails. Idempotent. */
  unmount(): Promise<void>;
  /** The daemon's log so far. */
  log(): Promise<string>;
}

const quiet = { NODE_NO_WARNINGS: '1' };
/** Variables of the outer environment that would point the CLI at another store. */
const scrubbed = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_REGION', 'CHALKFS_LOG_LEVEL', 'CHALKFS_STORE_TIMEOUT_MS', 'CHALKFS_STORE_ATTEMPT_TIMEOUT_MS', 'CHALKFS_STORE_MAX_ATTEMPTS', 'CHALKFS_HOST_ID'];

export function uniqueBucket(prefix = 'fs'): string {
  return `t-${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`.toLowerCase().slice(0, 63);
}

/** Whether `dir` is a mount point right now (chalkfs's mount table). */
export { isMountPoint as isMountpoint };

/** Runs a command; never throws for a non-zero exit. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `\n[killed by ${signal} after ${timeoutMs} ms]` : ''),
      });
    });
  });
}

/** One machine's view: its own CHALKFS_HOME, default cache directory and mount points. */
export class ChalkfsHost {
  readonly home: string;
  readonly cacheDir: string;
  private count = 0;

  constructor(
    readonly fixture: ChalkfsFixture,
    readonly name: string,
    readonly root: string,
    /** Poses as another machine with this host identity (chalkfs/host/host-identity.ts); default: this machine's. */
    readonly hostId?: string,
    /** The CLI this host runs (program, then leading arguments); default: this tree's build under Node. */
    readonly command: readonly string[] = [process.execPath, cliEntry()],
  ) {
    this.home = join(root, 'home');
    this.cacheDir = join(root, 'cache');
  }

  /** The CLI's environment on this host. */
  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of scrubbed) delete env[name];
    Object.assign(env, quiet, {
      CHALKFS_S3_ENDPOINT: this.fixture.store.endpoint,
      AWS_ACCESS_KEY_ID: this.fixture.store.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.fixture.store.secretAccessKey,
      AWS_REGION: 'us-east-1',
      CHALKFS_BUCKET: this.fixture.bucket,
      CHALKFS_HOME: this.home,
    });
    if (this.hostId !== undefined) env.CHALKFS_HOST_ID = this.hostId;
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  cli(args: string[], options: CliOptions = {}): Promise<CliResult> {
    const [program, ...leading] = this.command;
    return run(program!, [...leading, ...args], this.env(options.env), options.timeoutMs);
  }

  /** Like cli, but throws with the output when the exit status is not 0. */
  async cliOk(args: string[], options: CliOptions = {}): Promise<CliResult> {
    const result = await this.cli(args, options);
    if (result.code !== 0) throw new Error(`chalkfs ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    return result;
  }

  async createVolume(name: string, extraArgs: string[] = []): Promise<void> {
    await this.cliOk(['volume', 'create', name, ...extraArgs]);
  }

  /** A fresh, empty directory under this host's root. */
  async tempDir(label: string): Promise<string> {
    const dir = join(this.root, `${label}-${++this.count}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async mount(volume: string, options: MountOptions = {}): Promise<Mount> {
    const dir = options.dir ?? (await this.tempDir('mnt'));
    const cacheDir = options.cacheDir ?? (await this.tempDir('cache'));
    const args = ['mount', volume, dir, '--cache-dir', cacheDir, ...(options.readOnly ? ['--read-only'] : []), ...(options.extraArgs ?? [])];
    const result = await this.cli(args, { env: options.env });
    if (result.code !== 0) {
      // A half-started daemon must not outlive the test.
      if (isMountPoint(dir)) await this.fixture.forceUnmount(dir);
      throw new Error(`chalkfs ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    }
    const match = /pid (\d+), log (.+)\)\s*$/.exec(result.stdout.trim());
    if (!match) throw new Error(`unexpected output from chalkfs mount: ${result.stdout}`);
    const pid = Number(match[1]);
    const logFile = match[2]!;
    let unmounted: Promise<void> | undefined;
    const mount: Mount = {
      volume,
      dir,
      cacheDir,
      pid,
      logFile,
      host: this,
      unmount: () => {
        unmounted ??= (async () => {
          const r = await this.cli(['unmount', dir], { timeoutMs: 60_000 });
          if (r.code !== 0) throw new Error(`chalkfs unmount ${dir} exited ${r.code}: ${r.stderr}`);
          if (isMountPoint(dir)) throw new Error(`${dir} is still mounted after chalkfs unmount`);
        })();
        return unmounted;
      },
      log: () => readFile(logFile, 'utf8').catch(() => ''),
    };
    this.fixture.track(mount);
    return mount;
  }

  /** Every log file under this host's CHALKFS_HOME/logs, concatenated. */
  async logs(): Promise<string> {
    const dir = join(this.home, 'logs');
    if (!existsSync(dir)) return '';
    const parts = await Promise.all(readdirSync(dir).map((n) => readFile(join(dir, n), 'utf8').catch(() => '')));
    return parts.join('\n');
  }
}

export interface FixtureOptions {
  /** Default: the run's global MinIO (`inject('minio')`). */
  store?: StoreEndpoint;
  bucket?: string;
}

export class ChalkfsFixture implements AsyncDisposable {
  private readonly mounts: Mount[] = [];
  private readonly hosts: ChalkfsHost[] = [];
  private readonly cleanups: (() => Promise<void>)[] = [];
  private s3: S3ObjectStore | undefined;
  /** The first host; `fx.cli(...)` etc. run there. */
  readonly host: ChalkfsHost;

  private constructor(
    readonly root: string,
    readonly store: StoreEndpoint,
    readonly bucket: string,
  ) {
    this.host = this.addHost('host-a');
  }

  static async create(options: FixtureOptions = {}): Promise<ChalkfsFixture> {
    if (!existsSync(cliEntry())) throw new Error(`${cliEntry()} is missing: run \`npm run build\` before the integration tests`);
    if (!existsSync('/dev/fuse')) throw new Error('/dev/fuse is missing: FUSE integration tests need it');
    const root = await mkdtemp(join(tmpdir(), 'chalkfs-fx-'));
    return new ChalkfsFixture(root, options.store ?? inject('minio'), options.bucket ?? uniqueBucket());
  }

  /**
   * Another "machine": own CHALKFS_HOME, cache and mount points, same bucket. Hosts share
   * this machine's hostname, pids and host identity unless given `hostId` (then they pose
   * as hosts that merely share the hostname: cloned VMs, containers). `command` runs
   * another chalkfs CLI there (an installed one) instead of this tree's build.
   */
  addHost(name = `host-${this.hosts.length + 1}`, options: { hostId?: string; command?: readonly string[] } = {}): ChalkfsHost {
    const host = new ChalkfsHost(this, name, join(this.root, name), options.hostId, options.command);
    this.hosts.push(host);
    return host;
  }

  cli(args: string[], options?: CliOptions): Promise<CliResult> {
    return this.host.cli(args, options);
  }

  cliOk(args: string[], options?: CliOptions): Promise<CliResult> {
    return this.host.cliOk(args, options);
  }

  createVolume(name: string, extraArgs?: string[]): Promise<void> {
    return this.host.createVolume(name, extraArgs);
  }

  mount(volume: string, options?: MountOptions): Promise<Mount> {
    return this.host.mount(volume, options);
  }

  tempDir(label: string): Promise<string> {
    return this.host.tempDir(label);
  }

  /** Direct access to the bucket (through chalkfs's own S3 adapter), e.g. to corrupt objects. */
  bucketStore(): S3ObjectStore {
    this.s3 ??= new S3ObjectStore({ ...this.store, region: 'us-east-1', bucket: this.bucket, ...defaultS3Timeouts });
    return this.s3;
  }

  /** Keys in the bucket under a prefix ([] when the bucket does not exist). */
  async listKeys(prefix = ''): Promise<string[]> {
    try {
      return (await this.bucketStore().list(prefix)).map((o) => o.key);
    } catch (err) {
      if ((err as { kind?: string }).kind === 'not-found') return [];
      throw err;
    }
  }

  /** Runs `fn` at cleanup, after every mount is taken down (e.g. stopping a private MinIO), last registered first. */
  defer(fn: () => Promise<void>): void {
    this.cleanups.push(fn);
  }

  track(mount: Mount): void {
    this.mounts.push(mount);
  }

  async forceUnmount(dir: string): Promise<void> {
    await execFileAsync('fusermount3', ['-uz', dir]).catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const errors: unknown[] = [];
    for (const mount of [...this.mounts].reverse()) {
      try {
        await mount.unmount();
      } catch (err) {
        errors.push(err);
      }
      if (processAlive(mount.pid)) {
        try {
          process.kill(mount.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (isMountPoint(mount.dir)) await this.forceUnmount(mount.dir);
    }
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    }
    this.s3?.destroy();
    // Never delete through a mount that is somehow still there.
    const stillMounted = this.mounts.filter((m) => isMountPoint(m.dir));
    if (stillMounted.length === 0) await rm(this.root, { recursive: true, force: true });
    else errors.push(new Error(`still mounted after cleanup: ${stillMounted.map((m) => m.dir).join(', ')}`));
    // Cleanup problems are reported only through logs: a failing test's own error matters more.
    if (errors.length > 0) console.warn(`chalkfs fixture cleanup: ${errors.map((e) => (e as Error).message).join('; ')}`);
  }
}
