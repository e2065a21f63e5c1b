// The MinIO server chalkfs manages itself when no S3 endpoint is configured. Its data,
// generated credentials (mode 0600) and pid/port live under CHALKFS_HOME/minio, so every
// chalkfs command on this host finds the same server; it runs detached from the command
// that started it. Starting and stopping happen under a lock file (minio/lock), so two
// first commands at once start one server; state.json is written whole (temp + rename)
// and a damaged one reads as "not running".
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureWritableDir } from '../util/writable-dir.js';
import { startMinio, waitForMinio, type MinioCredentials } from './minio-server.js';
import { withFileLock } from './start-lock.js';
import { processAlive } from '../host/process-liveness.js';

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

  private get lockPath(): string {
    return join(this.dir, 'lock');
  }

  credentials(): MinioCredentials {
    const path = join(this.dir, 'credentials.json');
    if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as MinioCredentials;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const created: MinioCredentials = {
      accessKeyId: `chalkfs-${randomBytes(6).toString('hex')}`,
      secretAccessKey: randomBytes(24).toString('base64url'),
    };
    // Written whole under a temporary name, then linked into place: of two first
    // commands, one link wins and both use its credentials.
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify(created), { mode: 0o600 });
    try {
      linkSync(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
    return JSON.parse(readFileSync(path, 'utf8')) as MinioCredentials;
  }

  status(): EmbeddedMinioStatus {
    const state = this.readState();
    if (!state) return { running: false, dataDir: this.dataDir };
    return { running: processAlive(state.pid), state, dataDir: this.dataDir };
  }

  /** The recorded server, or undefined when there is none or the record is damaged. */
  private readState(): EmbeddedMinioState | undefined {
    let text: string;
    try {
      text = readFileSync(this.statePath, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const state = JSON.parse(text) as Partial<EmbeddedMinioState>;
      if (Number.isInteger(state.pid) && Number.isInteger(state.port) && typeof state.endpoint === 'string') return state as EmbeddedMinioState;
    } catch {
      // damaged: not running
    }
    return undefined;
  }

  private locked<T>(what: string, fn: () => Promise<T>): Promise<T> {
    ensureWritableDir(this.dir, `CHALKFS_HOME ${dirname(this.dir)} (embedded MinIO)`);
    // Starting MinIO takes up to its 30 s readiness wait; a waiter outlasts that.
    return withFileLock(this.lockPath, { timeoutMs: 60_000, isAlive: processAlive, what }, fn);
  }

  /** Returns the running server's endpoint, starting the server first if needed. */
  async ensureRunning(): Promise<EmbeddedMinioState> {
    const running = await this.runningState();
    if (running) return running;
    return this.locked('starting the embedded MinIO', async () => {
      // Another command may have started it while this one waited for the lock.
      const started = await this.runningState();
      if (started) return started;
      const server = await startMinio({
        dataDir: this.dataDir,
        credentials: this.credentials(),
        detached: true,
        logFile: join(this.dir, 'minio.log'),
      });
      const state: EmbeddedMinioState = { pid: server.pid, port: server.port, endpoint: server.endpoint, startedAt: new Date().toISOString() };
      const tmp = `${this.statePath}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(state, null, 2));
      renameSync(tmp, this.statePath);
      return state;
    });
  }

  private async runningState(): Promise<EmbeddedMinioState | undefined> {
    const current = this.status();
    if (!current.running || !current.state) return undefined;
    await waitForMinio(current.state.endpoint, 30_000, () => processAlive(current.state!.pid));
    return current.state;
  }

  async stop(): Promise<boolean> {
    return this.locked('stopping the embedded MinIO', async () => {
      const current = this.status();
      if (!current.state) {
        rmSync(this.statePath, { force: true });
        return false;
      }
      const { pid } = current.state;
      if (processAlive(pid)) {
        process.kill(pid, 'SIGTERM');
        const deadline = Date.now() + 10_000;
        while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        if (processAlive(pid)) process.kill(pid, 'SIGKILL');
      }
      rmSync(this.statePath, { force: true });
      return current.running;
    });
  }
}


