/*
 * Shared pieces of the Docker integration tests: a running engine (started with
 * scripts/provision-docker.sh if none runs; a failure there fails the test loudly), a
 * chalkfs volume plugin per test under a unique driver name, a unique bucket in the
 * test MinIO, and checks that nothing was left behind.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, inject } from 'vitest';
import { servePlugin, type PluginServer } from '../../chalkfs/plugin/plugin-server.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { cliEntry } from '../../chalkfs/util/paths.js';
import { ensureDockerEngine } from '../../orchestrator/docker-provisioning.js';
import { DockerEngine } from '../../orchestrator/docker-engine.js';
import { ORCHESTRATOR_LABEL } from '../../orchestrator/container.js';
import { Volume } from '../../orchestrator/volume.js';
import { mountPointsUnder, readMountTable } from '../../chalkfs/host/mount-table.js';

const execFileAsync = promisify(execFile);

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The plugin runs the compiled chalkfs CLI; without a build every test would fail obscurely. */
export function requireChalkfsBuild(): void {
  if (!existsSync(cliEntry())) throw new Error(`${cliEntry()} is missing: run \`npm run build\` before the integration tests`);
}

/** Starts dockerd if needed; throws (never skips) if no engine can be had. */
export async function requireDockerEngine(): Promise<DockerEngine> {
  requireChalkfsBuild();
  await ensureDockerEngine();
  const engine = DockerEngine.default();
  await engine.ping();
  return engine;
}

/** Environment for chalkfs CLI processes: the test MinIO, a fresh bucket and home. */
export function chalkfsTestEnv(home: string, bucket: string): NodeJS.ProcessEnv {
  const minio = inject('minio');
  return {
    ...process.env,
    CHALKFS_S3_ENDPOINT: minio.endpoint,
    AWS_ACCESS_KEY_ID: minio.accessKeyId,
    AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
    AWS_REGION: 'us-east-1',
    CHALKFS_BUCKET: bucket,
    CHALKFS_HOME: home,
  };
}

export interface TestPluginHost {
  /** Docker volume driver name (the socket's file name). */
  driver: string;
  socketPath: string;
  home: string;
  stateDir: string;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  /** The current server (a new one after restart()). */
  readonly server: PluginServer;
  /** Runs the chalkfs CLI as this host would. */
  chalkfs(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Stops the server; mounts in use stay, as when a real plugin process exits. */
  stop(): Promise<void>;
  /** A plugin restart: stop, then serve again from the same state dir. */
  restart(): Promise<void>;
  /** Stops the server, clears any mount left under its state dir, removes its files. */
  dispose(): Promise<void>;
}

/**
 * The volume driver name every test host serves, one host at a time. A fixed name, not
 * one per test: dockerd remembers every socket plugin it has talked to until it
 * restarts, and probes each of them (retrying a stopped one for about 15 s) whenever it
 * looks for a volume it has no record of. Two test runs at once take turns.
 */
export const TEST_DRIVER = 'chalkfs-test';

async function serveWhenFree(serve: () => Promise<PluginServer>): Promise<PluginServer> {
  for (;;) {
    try {
      return await serve();
    } catch (err) {
      if (!isChalkError(err, 'exists')) throw err;
      await new Promise((r) => setTimeout(r, 200)); // another test run holds the socket
    }
  }
}

/**
 * A chalkfs plugin "host": own CHALKFS_HOME, plugin state and block cache; the bucket
 * is shared by the hosts of one test. A second host started after the first one stopped
 * serves the same driver (the second host of the seed scenario).
 */
export async function startPluginHost(options: { bucket: string; label?: string }): Promise<TestPluginHost> {
  const driver = TEST_DRIVER;
  const root = await mkdtemp(join(tmpdir(), `chalkfs-${options.label ?? 'host'}-`));
  const home = join(root, 'home');
  const stateDir = join(root, 'plugin');
  const cacheDir = join(root, 'cache');
  const env = chalkfsTestEnv(home, options.bucket);
  const socketPath = `/run/docker/plugins/${driver}.sock`;
  const serve = () => servePlugin({ socketPath, stateDir, cacheDir, env, logger: silentLogger() });
  let server: PluginServer | undefined;
  try {
    server = await serveWhenFree(serve);
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  const chalkfs = (...args: string[]) => execFileAsync(process.execPath, [cliEntry(), ...args], { env, encoding: 'utf8' });
  const stop = async (): Promise<void> => {
    const current = server;
    server = undefined;
    await current?.close();
  };
  return {
    driver,
    socketPath,
    home,
    stateDir,
    cacheDir,
    env,
    get server(): PluginServer {
      if (!server) throw new Error(`plugin ${driver} is stopped`);
      return server;
    },
    chalkfs,
    stop,
    async restart() {
      await stop();
      server = await serveWhenFree(serve);
    },
    async dispose() {
      if (server) {
        // Docker keeps a record of every volume a driver served; drop this driver's
        // (which also deletes their data from the test bucket) while it still answers.
        const engine = DockerEngine.default();
        for (const v of await engine.listVolumes({ driver }).catch(() => [])) {
          await new Volume({ name: v.name, driver, engine }).delete().catch(() => undefined);
        }
      }
      await stop();
      for (const mountpoint of await mountsUnder(join(stateDir, 'mounts'))) {
        await chalkfs('unmount', mountpoint).catch(() => execFileAsync('umount', ['-l', mountpoint]).catch(() => undefined));
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * For a test file of plugin hosts without a Docker engine: returns `host()`, which
 * starts one with its own bucket; every host is disposed after its test.
 */
export function pluginHostPerTest(label: string): () => Promise<TestPluginHost> {
  const hosts: TestPluginHost[] = [];
  beforeAll(() => requireChalkfsBuild());
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.dispose();
  });
  return async () => {
    const h = await startPluginHost({ bucket: uniqueName('chalkfs-plugin-t'), label });
    hosts.push(h);
    return h;
  };
}

/** Mount points at `dir` or below it, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  return mountPointsUnder(dir, await readMountTable());
}

/** Containers the orchestrator created that still exist (should be none after a test). */
export async function orchestratorContainers(engine: DockerEngine): Promise<string[]> {
  return (await engine.listContainers({ labels: { [ORCHESTRATOR_LABEL]: '1' } })).map((c) => c.name);
}
