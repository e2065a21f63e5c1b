#!/usr/bin/env node
/*
 * `npm run demo`: the seed scenario end to end. A writer container creates a SQLite
 * database on a chalkfs volume and is removed; two reader containers started afterwards
 * open it read-only and print its rows. It provisions what is missing (dockerd, the
 * store, the image, the volume plugin) and undoes what it started.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { ChalkfsCli, DEFAULT_PLUGIN_SOCKET, chalkfsHome, createLogger, isChalkError, servePlugin, type PluginServer } from '../../chalkfs/index.js';
import { terminalProgress } from '../build-progress.js';
import { Container, type RunningContainer } from '../container.js';
import { ensureDockerEngine, stopDockerEngine } from '../docker-provisioning.js';
import { Image } from '../image.js';
import { OrchestratorError, isOrchestratorError } from '../orchestrator-error.js';
import { reapOrphanContainers } from '../reaper.js';
import { Volume } from '../volume.js';
import { ensureDemoStore, type DemoStore } from './demo-store.js';
import { DemoSteps, dirSizeBytes } from './demo-steps.js';
import { DB_PATH, expectedReaderOutput, readerScript, writerScript } from './seed-scripts.js';

interface DemoOptions {
  volume: string;
  python: string;
  socket: string;
  keepVolume: boolean;
  keepEngine: boolean;
  secondHost: boolean;
}

const program = new Command()
  .name('chalkfs-demo')
  .description('SQLite on a shared volume: one container writes a database on a chalkfs volume, two later containers read it')
  .option('--volume <name>', 'chalkfs volume to use', 'sqlite-persistence')
  .option('--python <version>', 'Python of the image (a Debian release provides it: 3.11 bookworm, 3.13 trixie)', '3.11')
  .option('--socket <path>', 'volume plugin socket; its file name is the Docker volume driver name', DEFAULT_PLUGIN_SOCKET)
  .option('--keep-volume', 'keep the volume (and its database) afterwards', false)
  .option('--keep-engine', 'leave running a dockerd this demo had to start', false)
  .option('--second-host', 'read through a second chalkfs plugin with its own CHALKFS_HOME and empty cache: the data must come from the store', false)
  .showHelpAfterError();

async function main(options: DemoOptions): Promise<void> {
  const steps = new DemoSteps();
  const out = process.stdout;
  const driver = basename(options.socket).replace(/\.sock$/, '');
  const home = chalkfsHome();
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      out.write(`\n${signal}: cleaning up\n`);
      void steps.cleanup().finally(() => process.exit(130));
    });
  }

  try {
    out.write(`chalkfs demo: SQLite on a shared volume (volume ${options.volume}, Python ${options.python}${options.secondHost ? ', second host' : ''})\n\n`);
    const image = Image.debianSlim(options.python); // an unknown version fails before anything starts

    const engine = await steps.step('docker engine', () => ensureDockerEngine(), (r) => (r.started ? 'dockerd started' : 'already running'));
    if (engine.started && !options.keepEngine) steps.onCleanup('docker engine', async () => void (await stopDockerEngine()));
    const reaped = await reapOrphanContainers();
    if (reaped.length > 0) out.write(`    removed containers left by an earlier run: ${reaped.join(', ')}\n`);

    const store = await steps.step('store', () => ensureDemoStore(), (s) => s.description);
    steps.onCleanup('store', () => store.stop());

    await steps.step(
      'image',
      () => image.ensure({ progress: terminalProgress() }),
      (r) => `${r.reference} (${r.built ? 'built' : 'cached'})`,
    );

    // One plugin serves the socket at a time; the second-host mode swaps it mid-run.
    let plugin: PluginHandle | undefined = await steps.step(
      'volume plugin',
      () => startPlugin({ socketPath: options.socket, home, store, label: 'host-a', allowExisting: !options.secondHost }),
      (p) => `${p.description} (driver ${driver})`,
    );
    steps.onCleanup('volume plugin', async () => plugin?.close());

    const volume = new Volume({ name: options.volume, driver });
    // Asked of the store (chalkfs CLI), not of Docker, which may never have seen it.
    const cli = new ChalkfsCli({ ...process.env, ...store.env, CHALKFS_HOME: home });
    const existed = await cli.run(['volume', 'info', options.volume]).then(
      () => true,
      (err: Error) => {
        if (/does not exist/.test(err.message)) return false;
        throw err;
      },
    );
    if (existed) out.write(`    volume ${options.volume} already exists: it is used as is and kept afterwards\n`);
    else if (!options.keepVolume) steps.onCleanup('volume', () => volume.delete());

    const started = (c: RunningContainer): RunningContainer => {
      steps.onCleanup(`container ${c.name}`, () => c.stop());
      return c;
    };

    // ---- Step 1: the writer ----------------------------------------------------------
    out.write('\n--- Step 1: write the database ---\n');
    const writer = started(
      await steps.step('writer: start', () => new Container({ image, name: 'sqlite-writer', volumeDriver: driver }).mountVolume(options.volume, '/data').run()),
    );
    const wrote = await steps.step('writer: exec', () => writer.exec('python3', '-c', writerScript(DB_PATH)), (r) => `exit ${r.exitCode}`);
    out.write(wrote.stdoutText);
    if (wrote.exitCode !== 0) throw new OrchestratorError('exec-failed', `the writer failed (exit ${wrote.exitCode}): ${wrote.stderrText.trim()}`);
    await steps.step('writer: stop and remove', () => writer.stop());

    // ---- Second host: swap the plugin for one with its own home and empty cache ------
    let hostB: { dir: string; cacheDir: string } | undefined;
    if (options.secondHost) {
      await steps.step('host A: release', async () => {
        await plugin!.waitReleased(options.volume);
        await plugin!.close();
        plugin = undefined;
      }, () => 'host A plugin stopped; its mount and cache are out of the picture');
      const dir = await mkdtemp('/var/tmp/chalkfs-demo-host-b-');
      hostB = { dir, cacheDir: join(dir, 'cache') };
      steps.onCleanup('host B state', () => rm(dir, { recursive: true, force: true }));
      const cacheBytes = await dirSizeBytes(hostB.cacheDir);
      plugin = await steps.step(
        'host B: volume plugin',
        () => startPlugin({ socketPath: options.socket, home: join(dir, 'home'), cacheDir: hostB!.cacheDir, store, label: 'host-b', allowExisting: false }),
        () => `CHALKFS_HOME ${join(dir, 'home')}, block cache ${hostB!.cacheDir} (${cacheBytes} bytes)`,
      );
    }

    // ---- Step 2: two readers, running at the same time ------------------------------
    out.write('\n--- Step 2: read from independent containers ---\n');
    const readers: Array<[string, RunningContainer]> = [];
    for (const suffix of ['a', 'b']) {
      const name = `sqlite-reader-${suffix}`;
      const c = started(
        await steps.step(`reader-${suffix}: start`, () =>
          new Container({ image, name, volumeDriver: driver }).mountVolume(options.volume, '/data', { readOnly: true }).run(),
        ),
      );
      readers.push([`reader-${suffix}`, c]);
    }
    let mismatches = 0;
    for (const [label, reader] of readers) {
      const r = await steps.step(`${label}: exec`, () => reader.exec('python3', '-c', readerScript(DB_PATH)), (x) => `exit ${x.exitCode}`);
      out.write(`--- ${label} ---\n${r.stdoutText}`);
      if (r.stderrText) out.write(r.stderrText);
      if (r.exitCode !== 0 || r.stdoutText !== expectedReaderOutput()) mismatches++;
    }
    if (hostB) out.write(`    host B block cache now holds ${await dirSizeBytes(hostB.cacheDir)} bytes, fetched from the store\n`);
    for (const [label, reader] of readers) await steps.step(`${label}: stop and remove`, () => reader.stop());
    if (mismatches > 0) throw new OrchestratorError('exec-failed', `${mismatches} reader(s) did not print the three rows`);

    out.write(`\nBoth readers saw all three rows${hostB ? ', through a second chalkfs daemon that had never seen the volume' : ''}.\n`);
    if (options.keepVolume || existed) out.write(`Volume ${options.volume} is kept (docker volume rm ${options.volume} deletes it).\n`);
  } catch (err) {
    if (!interrupted) out.write(`\ndemo failed: ${describe(err)}\n`);
    process.exitCode = 1;
  } finally {
    if (!interrupted) {
      await steps.cleanup();
      steps.printTimings();
    }
  }
}

interface PluginHandle {
  description: string;
  waitReleased(volume: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves the volume plugin in this process, for one "host": its own CHALKFS_HOME, plugin
 * state and (optionally) cache directory, the shared store. If a plugin already serves
 * the socket (`chalkfs plugin` running as a service), the demo uses it, unless it has to
 * swap plugins (second-host mode).
 */
async function startPlugin(options: {
  socketPath: string;
  home: string;
  cacheDir?: string;
  store: DemoStore;
  label: string;
  allowExisting: boolean;
}): Promise<PluginHandle> {
  mkdirSync(join(options.home, 'logs'), { recursive: true });
  const logFile = join(options.home, 'logs', `plugin-${options.label}.log`);
  let server: PluginServer;
  try {
    server = await servePlugin({
      socketPath: options.socketPath,
      stateDir: join(options.home, 'plugin'),
      cacheDir: options.cacheDir,
      env: { ...process.env, ...options.store.env, CHALKFS_HOME: options.home },
      logger: createLogger({ destination: logFile, name: `chalkfs-plugin:${options.label}` }),
    });
  } catch (err) {
    if (isChalkError(err, 'exists') && options.allowExisting) {
      return { description: `using the plugin already serving ${options.socketPath}`, waitReleased: async () => undefined, close: async () => undefined };
    }
    if (isChalkError(err, 'exists')) throw new OrchestratorError('invalid-argument', `${err.message}; stop it first (second-host mode swaps plugins)`, { cause: err });
    throw err;
  }
  return {
    description: `serving ${options.socketPath} (log ${logFile})`,
    async waitReleased(volume) {
      // Docker sends Unmount as the container is removed; wait for it to be processed.
      const deadline = Date.now() + 30_000;
      while (volume in server.activeMounts()) {
        if (Date.now() > deadline) throw new OrchestratorError('volume-driver-failed', `volume ${volume} still mounted on host A after its container was removed`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () => server.close(),
  };
}

function describe(err: unknown): string {
  if (isOrchestratorError(err)) return `${err.message} [${err.kind}]`;
  if (isChalkError(err)) return `${err.message} [${err.kind}]`;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

program.action(async (opts: DemoOptions) => main(opts));
await program.parseAsync(process.argv);
