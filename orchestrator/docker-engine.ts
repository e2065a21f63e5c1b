/*
 * The adapter around dockerode: the only module that imports it. Everything it returns is
 * a plain type declared here, and every error leaving it is an OrchestratorError, so the
 * rest of the orchestrator never sees dockerode's types or Docker's HTTP status codes.
 */
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { OrchestratorError, type OrchestratorErrorKind } from './orchestrator-error.js';

export type MountSpec =
  | {
      type: 'volume';
      /** Volume name as Docker (and the chalkfs driver) knows it. */
      source: string;
      target: string;
      readOnly: boolean;
      driver: string;
      driverOptions?: Record<string, string>;
    }
  | { type: 'bind'; source: string; target: string; readOnly: boolean };

export interface ContainerSpec {
  name: string;
  image: string;
  cmd: string[];
  env?: Record<string, string>;
  labels: Record<string, string>;
  mounts: MountSpec[];
  /** Docker network mode; chalkfs containers default to `none`. */
  networkMode: string;
}

export interface ExecOutput {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface ContainerSummary {
  id: string;
  name: string;
  state: string;
  labels: Record<string, string>;
}

export interface VolumeSummary {
  name: string;
  driver: string;
  mountpoint: string;
  /** What the driver reports about the volume (Docker's `Status`): sizes, versions. */
  status: Record<string, unknown>;
}

export interface ImageImportOptions {
  repo: string;
  tag: string;
  /** Dockerfile instructions applied to the imported rootfs (ENV, CMD, LABEL). */
  changes: string[];
}

type Operation = 'ping' | 'image' | 'container-create' | 'container' | 'exec' | 'volume' | 'volume-remove';

export class DockerEngine {
  private readonly docker: Docker;
  /** Where the engine is expected, for error messages. */
  readonly address: string;

  constructor(options: { socketPath?: string } = {}) {
    const fromEnv = process.env.DOCKER_HOST;
    if (options.socketPath) {
      this.docker = new Docker({ socketPath: options.socketPath });
      this.address = options.socketPath;
    } else if (fromEnv) {
      // dockerode reads DOCKER_HOST itself (unix:// or tcp://).
      this.docker = new Docker();
      this.address = fromEnv;
    } else {
      this.docker = new Docker({ socketPath: '/var/run/docker.sock' });
      this.address = '/var/run/docker.sock';
    }
  }

  private static defaultEngine: DockerEngine | undefined;

  /** The engine named by DOCKER_HOST, or the local socket. */
  static default(): DockerEngine {
    DockerEngine.defaultEngine ??= new DockerEngine();
    return DockerEngine.defaultEngine;
  }

  async ping(): Promise<{ serverVersion: string }> {
    return this.call('ping', 'the Docker engine', async () => {
      const version = await this.docker.version();
      return { serverVersion: version.Version };
    });
  }

  async imageExists(tag: string): Promise<boolean> {
    try {
      await this.call('image', `image ${tag}`, () => this.docker.getImage(tag).inspect());
      return true;
    } catch (err) {
      if (err instanceof OrchestratorError && err.kind === 'image-missing') return false;
      throw err;
    }
  }

  /** Imports a rootfs tarball as an image (`docker import`). */
  async importImage(tar: Readable, options: ImageImportOptions): Promise<void> {
    const what = `image ${options.repo}:${options.tag}`;
    await this.call('image', what, async () => {
      const stream = (await this.docker.importImage(tar, {
        repo: options.repo,
        tag: options.tag,
        changes: options.changes,
      } as object)) as NodeJS.ReadableStream;
      // The engine streams JSON status lines; a failed import is reported in-band.
      const events = await new Promise<Array<{ error?: string; errorDetail?: { message?: string } }>>((resolve, reject) =>
        this.docker.modem.followProgress(stream, (err: Error | null, output: unknown[]) => (err ? reject(err) : resolve(output as never))),
      );
      const failed = events.find((e) => e.error || e.errorDetail);
      if (failed) throw new Error(failed.errorDetail?.message ?? failed.error);
    });
  }

  async removeImage(tag: string): Promise<void> {
    await this.call('image', `image ${tag}`, () => this.docker.getImage(tag).remove({ force: true }));
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    return this.call('container-create', `container ${spec.name}`, async () => {
      const container: Docker.Container = await this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Cmd: spec.cmd,
        Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
        Labels: spec.labels,
        HostConfig: {
          NetworkMode: spec.networkMode,
          Mounts: spec.mounts.map((m) =>
            m.type === 'volume'
              ? {
                  Type: 'volume' as const,
                  Source: m.source,
                  Target: m.target,
                  ReadOnly: m.readOnly,
                  // NoCopy: Docker must not copy the image's files at the target into
                  // the volume on first use; the volume's content is the user's data.
                  VolumeOptions: { NoCopy: true, Labels: {}, DriverConfig: { Name: m.driver, Options: m.driverOptions ?? {} } },
                }
              : { Type: 'bind' as const, Source: m.source, Target: m.target, ReadOnly: m.readOnly },
          ),
        },
      });
      return container.id;
    });
  }

  async startContainer(id: string): Promise<void> {
    await this.call('container', `container ${id}`, () => this.docker.getContainer(id).start());
  }

  /** Runs a command in a running container and collects its output and exit code. */
  async exec(id: string, cmd: string[], options: { env?: Record<string, string>; workingDir?: string; user?: string } = {}): Promise<ExecOutput> {
    const container = this.docker.getContainer(id);
    const exec = await this.call('container', `container ${id}`, () =>
      container.exec({
        Cmd: cmd,
        AttachStdout: true,
        AttachStderr: true,
        Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
        ...(options.workingDir ? { WorkingDir: options.workingDir } : {}),
        ...(options.user ? { User: options.user } : {}),
      }),
    );
    return this.call('exec', `exec ${cmd[0]} in container ${id}`, async () => {
      const stream = await exec.start({ hijack: true, stdin: false });
      const demux = new FrameDemuxer();
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (chunk: Buffer) => demux.push(chunk));
        stream.once('end', () => resolve());
        stream.once('close', () => resolve());
        stream.once('error', reject);
      });
      const { stdout, stderr } = demux.finish();
      // The stream can end a moment before the engine records the exit code.
      let info = await exec.inspect();
      for (let i = 0; info.Running && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 20));
        info = await exec.inspect();
      }
      if (info.ExitCode === null || info.ExitCode === undefined) {
        throw new OrchestratorError('exec-failed', `exec of ${cmd[0]} in container ${id} reported no exit code`);
      }
      // Pid 0: the program never started (not found, not executable). The engine then
      // sends runc's explanation as a stdout frame; it is an error message, not output.
      if (!info.Pid) return { exitCode: info.ExitCode, stdout: Buffer.alloc(0), stderr: Buffer.concat([stderr, stdout]) };
      return { exitCode: info.ExitCode, stdout, stderr };
    });
  }

  async logs(id: string): Promise<{ stdout: Buffer; stderr: Buffer }> {
    return this.call('container', `container ${id}`, async () => {
      const raw = await this.docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false });
      return demuxBuffer(raw);
    });
  }

  /** Stops (SIGTERM, then SIGKILL after `graceSeconds`); a stopped container is fine. */
  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    await this.call('container', `container ${id}`, async () => {
      try {
        await this.docker.getContainer(id).stop({ t: graceSeconds });
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 304) return; // already stopped
        throw err;
      }
    });
  }

  /** Removes a container; one that is already gone is fine. */
  async removeContainer(id: string): Promise<void> {
    try {
      await this.call('container', `container ${id}`, () => this.docker.getContainer(id).remove({ force: true, v: false }));
    } catch (err) {
      if (err instanceof OrchestratorError && err.kind === 'container-not-running') return;
      throw err;
    }
  }

  async listContainers(filter: { labels: Record<string, string> }): Promise<ContainerSummary[]> {
    return this.call('container', 'containers', async () => {
      const list = await this.docker.listContainers({
        all: true,
        filters: { label: Object.entries(filter.labels).map(([k, v]) => `${k}=${v}`) },
      });
      return list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), state: c.State, labels: c.Labels ?? {} }));
    });
  }

  async createVolume(name: string, driver: string, driverOptions: Record<string, string> = {}): Promise<VolumeSummary> {
    return this.call('volume', `volume ${name}`, async () => {
      const v = (await this.docker.createVolume({ Name: name, Driver: driver, DriverOpts: driverOptions })) as unknown as Docker.VolumeInspectInfo;
      return toVolumeSummary(v);
    });
  }

  async inspectVolume(name: string): Promise<VolumeSummary> {
    return this.call('volume', `volume ${name}`, async () => toVolumeSummary(await this.docker.getVolume(name).inspect()));
  }

  async removeVolume(name: string): Promise<void> {
    await this.call('volume-remove', `volume ${name}`, () => this.docker.getVolume(name).remove());
  }

  async listVolumes(filter: { driver: string }): Promise<VolumeSummary[]> {
    return this.call('volume', 'volumes', async () => {
      const res = await this.docker.listVolumes({ filters: { driver: [filter.driver] } });
      return (res.Volumes ?? []).map(toVolumeSummary);
    });
  }

  private async call<T>(operation: Operation, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.translate(err, operation, what);
    }
  }

  private translate(err: unknown, operation: Operation, what: string): OrchestratorError {
    if (err instanceof OrchestratorError) return err;
    const e = err as { code?: string; statusCode?: number; json?: { message?: string } | null; message?: string };
    if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES' || e.code === 'ECONNRESET' || e.code === 'EPIPE') {
      return new OrchestratorError(
        'engine-unreachable',
        `no Docker engine answers at ${this.address} (${e.code}); start one with scripts/provision-docker.sh`,
        { cause: err },
      );
    }
    const detail = (e.json && typeof e.json === 'object' && e.json.message) || e.message || String(err);
    const kind = classify(e.statusCode, detail, operation);
    return new OrchestratorError(kind, `${what}: ${detail.trim()}`, { cause: err });
  }
}

function classify(status: number | undefined, detail: string, operation: Operation): OrchestratorErrorKind {
  // A volume driver's own error reaches us wrapped in a 500 ("VolumeDriver.Mount: ...").
  if (/VolumeDriver\.\w+/.test(detail)) return 'volume-driver-failed';
  // A driver that is not running (no socket) is reported as a 404 on container create.
  if (/plugin .*not found|error looking up volume plugin/i.test(detail)) return 'volume-driver-failed';
  switch (status) {
    case 404:
      if (operation === 'image' || operation === 'container-create') return 'image-missing';
      if (operation === 'volume' || operation === 'volume-remove') return 'volume-unknown';
      return 'container-not-running';
    case 409:
      if (operation === 'container-create') return 'name-in-use';
      if (operation === 'volume-remove') return 'volume-in-use';
      if (operation === 'container' || operation === 'exec') return 'container-not-running';
      return 'engine-failed';
    default:
      return operation === 'exec' ? 'exec-failed' : 'engine-failed';
  }
}

function toVolumeSummary(v: Docker.VolumeInspectInfo): VolumeSummary {
  return { name: v.Name, driver: v.Driver, mountpoint: v.Mountpoint, status: { ...(v.Status ?? {}) } };
}

/**
 * Splits Docker's multiplexed stream (no TTY): frames of an 8-byte header (stream 1 or 2,
 * three zero bytes, big-endian size) and the payload. Bytes that are not framed can only
 * come from the engine itself (a hijacked stream that failed), so from the first bad
 * header on everything counts as an error message, on stderr.
 */
class FrameDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private readonly stdout: Buffer[] = [];
  private readonly stderr: Buffer[] = [];
  private raw = false;

  push(chunk: Buffer): void {
    if (this.raw) {
      this.stderr.push(chunk);
      return;
    }
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      const stream = this.pending[0];
      const isHeader = (stream === 1 || stream === 2) && this.pending[1] === 0 && this.pending[2] === 0 && this.pending[3] === 0;
      if (!isHeader) {
        this.raw = true;
        this.stderr.push(this.pending);
        this.pending = Buffer.alloc(0);
        return;
      }
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) return;
      (stream === 2 ? this.stderr : this.stdout).push(this.pending.subarray(8, 8 + size));
      this.pending = this.pending.subarray(8 + size);
    }
  }

  finish(): { stdout: Buffer; stderr: Buffer } {
    // A short unframed tail (under 8 bytes) is an engine message too.
    if (this.pending.length > 0) this.stderr.push(this.pending);
    this.pending = Buffer.alloc(0);
    return { stdout: Buffer.concat(this.stdout), stderr: Buffer.concat(this.stderr) };
  }
}

function demuxBuffer(raw: Buffer): { stdout: Buffer; stderr: Buffer } {
  const demux = new FrameDemuxer();
  demux.push(raw);
  return demux.finish();
}
