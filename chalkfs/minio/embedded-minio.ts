import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ChalkError } from '../util/chalk-error.js';
import { startMinio, waitForMinio, type MinioCredentials } from './minio-server.js';

/**
 * The MinIO server chalkfs manages itself when no S3 endpoint is configured. Its data,
 * generated credentials (mode 0600) and pid/port live under CHALKFS_HOME/minio, so every
 * chalkfs command on this host finds the same server; it runs detached from the command
 * that started it.
 */
export interface EmbeddedMinioState {
  pid: number;
  port: number;
  endpoint: string;
  startedAt: string;
}

export interface EmbeddedMinioStatus {
  running: boolean;
  state?: EmbeddedMinioState;
  dataDir: string;
}

export class EmbeddedMinio {
  readonly dir: string;

  constructor(chalkfsHome: string) {
    this.dir = join(chalkfsHome, 'minio');
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  private get statePath(): string {
    return join(this.dir, 'state.json');
  }

  credentials(): MinioCredentials {
    const path = join(this.dir, 'credentials.json');
    if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as MinioCredentials;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const created: MinioCredentials = {
      accessKeyId: `chalkfs-${randomBytes(6).toString('hex')}`,
      secretAccessKey: randomBytes(24).toString('base64url'),
    };
    writeFileSync(path, JSON.stringify(created), { mode: 0o600, flag: 'wx' });
    return created;
  }

  status(): EmbeddedMinioStatus {
    if (!existsSync(this.statePath)) return { running: false, dataDir: this.dataDir };
    const state = JSON.parse(readFileSync(this.statePath, 'utf8')) as EmbeddedMinioState;
    return { running: processAlive(state.pid), state, dataDir: this.dataDir };
  }

  /** Returns the running server's endpoint, starting the server first if needed. */
  async ensureRunning(): Promise<EmbeddedMinioState> {
    const current = this.status();
    if (current.running && current.state) {
      await waitForMinio(current.state.endpoint, 30_000, () => processAlive(current.state!.pid));
      return current.state;
    }
    const server = await startMinio({
      dataDir: this.dataDir,
      credentials: this.credentials(),
      detached: true,
      logFile: join(this.dir, 'minio.log'),
    });
    const state: EmbeddedMinioState = { pid: server.pid, port: server.port, endpoint: server.endpoint, startedAt: new Date().toISOString() };
    writeFileSync(this.statePath, JSON.stringify(state, null, 2));
    return state;
  }

  async stop(): Promise<boolean> {
    const current = this.status();
    if (!current.state) return false;
    const { pid } = current.state;
    if (processAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(this.statePath, { force: true });
    return current.running;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') return true;
    return false;
  }
}

