/*
 * What the multi-host benches (bench:scale, bench:lag) share: a work directory, their own
 * MinIO and bucket, "hosts" (a CHALKFS_HOME each, so each has its own mount records and
 * cache), the CLI run as a user runs it, mounts that are unmounted at the end, and
 * cleanups run last-in first-out on success, failure and SIGINT alike, so no mount or
 * MinIO is left behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startMinio, type RunningMinio } from '../chalkfs/minio/minio-server.js';
import { S3ObjectStore, defaultS3Timeouts } from '../chalkfs/store/s3-object-store.js';
import { cliEntry } from '../chalkfs/util/paths.js';
import { forceUnmount, runCommand } from './system-commands.js';

export interface BenchMount {
  dir: string;
  /** The mount daemon's pid, as `chalkfs mount` prints it. */
  pid: number;
  env: NodeJS.ProcessEnv;
}

export class BenchSession {
  private readonly cleanups: Array<() => Promise<void>> = [];
  private cleaning: Promise<void> | undefined;

  private constructor(
    readonly workDir: string,
    readonly minio: RunningMinio,
    readonly credentials: { accessKeyId: string; secretAccessKey: string },
    readonly bucket: string,
    /** A client of the bucket for the bench's own requests. */
    readonly store: S3ObjectStore,
  ) {}

  /** A work directory under `parent` (a real disk), MinIO in it, and `bucket`. */
  static async start(parent: string, name: string, bucket: string): Promise<BenchSession> {
    const cleanups: Array<() => Promise<void>> = [];
    const workDir = mkdtempSync(join(parent, `chalkfs-${name}-`));
    cleanups.push(async () => rmSync(workDir, { recursive: true, force: true }));
    const credentials = { accessKeyId: 'bench', secretAccessKey: randomBytes(18).toString('base64url') };
    const minio = await startMinio({ dataDir: join(workDir, 'minio'), credentials, logFile: join(workDir, 'minio.log') }).catch((err: unknown) => {
      rmSync(workDir, { recursive: true, force: true });
      throw err;
    });
    cleanups.push(() => minio.stop());
    const store = new S3ObjectStore({ endpoint: minio.endpoint, region: 'us-east-1', bucket, ...credentials, ...defaultS3Timeouts });
    cleanups.push(async () => store.destroy());
    const session = new BenchSession(workDir, minio, credentials, bucket, store);
    session.cleanups.push(...cleanups);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void session.cleanup().finally(() => process.exit(130)));
    await store.ensureBucket();
    return session;
  }

  /** Runs at cleanup, after everything registered later. */
  onCleanup(step: () => Promise<void>): void {
    this.cleanups.push(step);
  }

  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      while (this.cleanups.length) await this.cleanups.pop()!().catch((err) => console.error(`cleanup: ${(err as Error).message}`));
    })();
    return this.cleaning;
  }

  /** The environment of host `name`: its own CHALKFS_HOME, the store at `endpoint` (default: MinIO itself). */
  hostEnv(name: string, endpoint = this.minio.endpoint): NodeJS.ProcessEnv {
    const home = join(this.workDir, 'hosts', name);
    mkdirSync(home, { recursive: true });
    return { ...process.env, CHALKFS_S3_ENDPOINT: endpoint, AWS_ACCESS_KEY_ID: this.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: this.credentials.secretAccessKey, AWS_REGION: 'us-east-1', CHALKFS_BUCKET: this.bucket, CHALKFS_HOME: home };
  }

  cli(env: NodeJS.ProcessEnv, args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
    return runCommand(process.execPath, [cliEntry(), ...args], { env, timeoutMs });
  }

  /** `chalkfs mount volume dir ...extra` on the host of `env`, unmounted at cleanup. */
  async mount(env: NodeJS.ProcessEnv, volume: string, dir: string, extra: string[]): Promise<BenchMount> {
    mkdirSync(dir, { recursive: true });
    this.cleanups.push(() => forceUnmount(dir));
    const { stdout } = await this.cli(env, ['mount', volume, dir, ...extra]);
    const pid = Number(/pid (\d+)/.exec(stdout)?.[1]);
    this.cleanups.push(async () => void (await this.cli(env, ['unmount', dir]).catch(() => undefined)));
    return { dir, pid, env };
  }
}
