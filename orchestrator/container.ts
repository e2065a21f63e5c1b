/*
 * Containers with chalkfs volumes mounted, in two stages: a Container is a definition
 * (image, name, volumes), and RunningContainer, what run() returns, is the only stage that
 * can exec or stop. Every container is labelled with its owner's host and pid, so
 * reaper.ts can remove what a crashed test or demo left behind.
 */
import { hostname } from 'node:os';
import type { BuildProgress } from './build-progress.js';
import { DockerEngine, type MountSpec } from './docker-engine.js';
import type { Image } from './image.js';
import { OrchestratorError } from './orchestrator-error.js';
import { assertVolumeName } from './volume-name.js';

/** Every container the orchestrator creates carries these, so a reaper can find leftovers. */
export const ORCHESTRATOR_LABEL = 'chalkfs.orchestrator';
export const OWNER_PID_LABEL = 'chalkfs.orchestrator.owner-pid';
export const OWNER_HOST_LABEL = 'chalkfs.orchestrator.owner-host';

/** Docker volume driver name of the chalkfs plugin (its socket is chalkfs.sock). */
export const DEFAULT_VOLUME_DRIVER = 'chalkfs';

export interface ContainerOptions {
  image: Image;
  name: string;
  engine?: DockerEngine;
  env?: Record<string, string>;
  /** Docker volume driver that serves mountVolume(); the chalkfs plugin by default. */
  volumeDriver?: string;
  /** Docker network mode; none by default, since nothing here needs a network. */
  network?: string;
  /** Where an image build (first use of an image) reports progress. */
  progress?: BuildProgress;
  /** Seconds between SIGTERM and SIGKILL when stopping. */
  stopGraceSeconds?: number;
  /**
   * The container's main process. By default an idle process that keeps the container
   * up for exec(); a command given here runs instead, and logs() shows its output.
   */
  command?: string[];
}

export interface MountOptions {
  readOnly?: boolean;
}

export interface ExecOptions {
  env?: Record<string, string>;
  workingDir?: string;
  user?: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  stdoutText: string;
  stderrText: string;
}

/**
 * PID 1 of every container: waits forever, but exits at once on SIGTERM (a plain
 * `sleep` as PID 1 ignores SIGTERM, so every stop would wait out the grace period).
 */
const IDLE_COMMAND = ['sh', '-c', "trap 'exit 0' TERM INT; sleep infinity & wait"];

/**
 * A container definition: image, name, volumes. `run()` creates and starts it and gives
 * back a RunningContainer, the only stage that can exec; mirroring the seed's
 * `Container(image=..., name=...).mount_volume(...).run()`.
 */
export class Container {
  private readonly mounts: MountSpec[] = [];

  constructor(private readonly options: ContainerOptions) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(options.name)) {
      throw new OrchestratorError('invalid-argument', `invalid container name ${JSON.stringify(options.name)}: use letters, digits, '_', '.', '-'`);
    }
  }

  /** Mounts chalkfs volume `name` at `path`; read-only mounts refuse writes with EROFS. */
  mountVolume(name: string, path: string, options: MountOptions = {}): this {
    assertVolumeName(name);
    this.assertTarget(path);
    this.mounts.push({
      type: 'volume',
      source: name,
      target: path,
      readOnly: options.readOnly ?? false,
      driver: this.options.volumeDriver ?? DEFAULT_VOLUME_DRIVER,
    });
    return this;
  }

  /** Mounts a host directory (a plain bind mount, no chalkfs involved). */
  bindMount(hostPath: string, path: string, options: MountOptions = {}): this {
    if (!hostPath.startsWith('/')) throw new OrchestratorError('invalid-argument', `bind mount source ${hostPath} must be an absolute path`);
    this.assertTarget(path);
    this.mounts.push({ type: 'bind', source: hostPath, target: path, readOnly: options.readOnly ?? false });
    return this;
  }

  async run(): Promise<RunningContainer> {
    const engine = this.options.engine ?? DockerEngine.default();
    const { reference } = await this.options.image.ensure({ engine, progress: this.options.progress });
    const id = await engine.createContainer({
      name: this.options.name,
      image: reference,
      cmd: this.options.command ?? IDLE_COMMAND,
      env: this.options.env,
      labels: {
        [ORCHESTRATOR_LABEL]: '1',
        [OWNER_PID_LABEL]: String(process.pid),
        [OWNER_HOST_LABEL]: hostname(),
      },
      mounts: this.mounts,
      networkMode: this.options.network ?? 'none',
    });
    try {
      await engine.startContainer(id);
    } catch (err) {
      // A container that never started (a volume that failed to mount) is not left behind.
      await engine.removeContainer(id).catch(() => undefined);
      throw err;
    }
    return new RunningContainer(engine, id, this.options.name, this.options.stopGraceSeconds ?? 10);
  }

  private assertTarget(path: string): void {
    if (!path.startsWith('/')) throw new OrchestratorError('invalid-argument', `mount path ${path} must be absolute`);
    if (this.mounts.some((m) => m.target === path)) throw new OrchestratorError('invalid-argument', `two mounts at ${path}`);
  }
}

export class RunningContainer implements AsyncDisposable {
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly engine: DockerEngine,
    readonly id: string,
    readonly name: string,
    private readonly stopGraceSeconds: number,
  ) {}

  /**
   * Runs a program in the container. A program that fails (or does not exist) is a
   * result with a non-zero exitCode and its stderr, not an exception; exceptions are for
   * the engine failing or the container being gone.
   */
  async exec(...cmd: string[]): Promise<ExecResult> {
    return this.execWith(cmd);
  }

  async execWith(cmd: string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (cmd.length === 0) throw new OrchestratorError('invalid-argument', 'exec needs a command');
    if (this.stopping) throw new OrchestratorError('container-not-running', `container ${this.name} was stopped`);
    const out = await this.engine.exec(this.id, cmd, options);
    return { ...out, stdoutText: out.stdout.toString('utf8'), stderrText: out.stderr.toString('utf8') };
  }

  /** Output of the container's main process (not of execs). */
  async logs(): Promise<{ stdout: string; stderr: string }> {
    const { stdout, stderr } = await this.engine.logs(this.id);
    return { stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') };
  }

  /** Stops and removes the container; its volumes are released. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await this.engine.stopContainer(this.id, this.stopGraceSeconds);
      } catch (err) {
        if (!(err instanceof OrchestratorError && err.kind === 'container-not-running')) throw err;
      }
      await this.engine.removeContainer(this.id);
    })().catch((err: unknown) => {
      // A failed stop (engine hiccup) may be retried.
      this.stopping = undefined;
      throw err;
    });
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
