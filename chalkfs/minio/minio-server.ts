// Running one MinIO server process (the binary chosen by minio-binary.ts): started on a free loopback
// port, ready once it answers its health check, stopped with SIGTERM then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { ChalkError } from '../util/chalk-error.js';
import { packageJson } from '../util/paths.js';
import { chooseMinioBinary } from './minio-binary.js';

export interface MinioCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface MinioOptions {
  dataDir: string;
  credentials: MinioCredentials;
  /** 0 or undefined: a free port on the loopback interface. */
  port?: number;
  /** Write the server's output here instead of discarding it. */
  logFile?: string;
  /** Keep running after this process exits (the embedded server). */
  detached?: boolean;
  readyTimeoutMs?: number;
}

export interface RunningMinio {
  endpoint: string;
  port: number;
  pid: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The MinIO binary the embedded store runs, at the version package.json pins. */
export function findMinioBinary(env: NodeJS.ProcessEnv = process.env): string {
  return chooseMinioBinary(packageJson().config.minioVersion, env);
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function waitForMinio(endpoint: string, timeoutMs: number, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new ChalkError('io', `MinIO at ${endpoint} exited before it was ready`);
    try {
      const res = await fetch(`${endpoint}/minio/health/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
      lastError = new Error(`HTTP ${res.status}`);
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new ChalkError('timeout', `MinIO at ${endpoint} was not ready within ${timeoutMs} ms`, { cause: lastError });
}

/** Starts a MinIO server on 127.0.0.1 and resolves once it answers its readiness probe. */
export async function startMinio(options: MinioOptions): Promise<RunningMinio> {
  const binary = findMinioBinary();
  mkdirSync(options.dataDir, { recursive: true });
  const port = options.port || (await freeLoopbackPort());
  const consolePort = await freeLoopbackPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const logFd = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(
    binary,
    ['server', options.dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'],
    {
      detached: options.detached ?? false,
      stdio: ['ignore', logFd, logFd],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        MINIO_ROOT_USER: options.credentials.accessKeyId,
        MINIO_ROOT_PASSWORD: options.credentials.secretAccessKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CI_CD: '1',
      },
    },
  );
  if (typeof logFd === 'number') closeSync(logFd);
  if (options.detached) child.unref();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async (): Promise<void> => {
    if (exited || child.exitCode !== null) return;
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(timer);
  };
  try {
    await waitForMinio(endpoint, options.readyTimeoutMs ?? 30_000, () => !exited);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, port, pid: child.pid!, process: child, stop };
}
