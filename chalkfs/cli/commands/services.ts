// The long-running services chalkfs starts: the Docker volume plugin, the CSI driver and
// the embedded MinIO.
import { Command } from 'commander';
import { join, resolve } from 'node:path';
import { ChalkError } from '../../util/chalk-error.js';
import { EmbeddedMinio } from '../../minio/embedded-minio.js';
import { openStore, resolveStoreSettings, storeEnv, configuredEndpoint } from '../../store/store-config.js';
import { servePlugin, DEFAULT_PLUGIN_SOCKET } from '../../plugin/plugin-server.js';
import { ENVIRONMENT_PATH, SERVICE_NAME as UNIT_NAME, renderEnvironmentFile, renderUnit, serviceEnvironment } from '../../plugin/service-unit.js';
import { installService, uninstallService } from '../../plugin/service-install.js';
import { cliEntry } from '../../util/paths.js';
import { serverLogger, withServerLogOptions, type LogOptions } from '../log-options.js';
import { parseListenAddress, serveMetrics } from '../../daemon/metrics-server.js';
import { removePluginTarget, writePluginTarget } from '../../daemon/mount-records.js';
import { home, printJson } from '../cli-context.js';

export function registerServiceCommands(program: Command): void {
  // ---- plugin ----------------------------------------------------------------------------

  const plugin = withServerLogOptions(program
    .command('plugin')
    .description('serve the Docker volume plugin protocol, so `docker run --volume-driver chalkfs -v NAME:/data ...` works (in the foreground; install-service runs it under systemd)')
    .option('--socket <path>', 'unix socket dockerd discovers the plugin by', DEFAULT_PLUGIN_SOCKET)
    .option('--cache-dir <dir>', 'block cache directory for the mounts it makes (default CHALKFS_HOME/cache)')
    .option('--metrics-addr <host:port>', "serve the plugin's Prometheus metrics here, also listed for file_sd in CHALKFS_HOME/metrics-targets/plugin.json (default: none)"))
    .action(async (opts: { socket: string; cacheDir?: string; metricsAddr?: string } & LogOptions) => {
      const logger = serverLogger(opts, 'chalkfs-plugin');
      const metricsAddress = opts.metricsAddr === undefined ? undefined : parseListenAddress(opts.metricsAddr);
      // Resolve the store once, so every mount this plugin makes uses the same one.
      const settings = await resolveStoreSettings();
      // The plugin creates volumes, so it may create their bucket; it says which one it uses.
      const store = await openStore(settings, { createBucket: true });
      process.stderr.write(`chalkfs volume plugin: ${store.bucketCreated ? 'created bucket' : 'using bucket'} ${settings.bucket} (${store.description})\n`);
      store.destroy();
      // prom-client loads here (~50 ms), not for every command.
      const metrics = metricsAddress ? new (await import('../../plugin/plugin-metrics.js')).PluginMetrics() : undefined;
      const metricsServer = metrics && metricsAddress ? await serveMetrics(metrics.registry, metricsAddress) : undefined;
      const server = await servePlugin({
        socketPath: opts.socket,
        stateDir: join(home, 'plugin'),
        cacheDir: opts.cacheDir ? resolve(opts.cacheDir) : undefined,
        env: { ...process.env, ...storeEnv(settings), CHALKFS_HOME: home },
        metrics,
        logger,
      });
      if (metricsServer) writePluginTarget(home, metricsServer.target);
      process.stderr.write(`chalkfs volume plugin serving on ${server.socketPath}${metricsServer ? `, metrics on ${metricsServer.url}` : ''}\n`);
      await new Promise<void>((done) => {
        for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => done());
      });
      await server.close();
      if (metricsServer) {
        removePluginTarget(home);
        metricsServer.server.close();
      }
    });

  plugin
    .command('install-service')
    .description(`write the systemd unit ${UNIT_NAME} (before docker.service, restarted on failure) with the store settings of this shell in ${ENVIRONMENT_PATH} (mode 0600), and enable it`)
    .option('--root <dir>', 'write under DIR instead of / and do not run systemctl (packaging, tests)', '/')
    .option('--dry-run', 'print the unit and the names of the variables it would keep; change nothing')
    .option('--json', 'print what was written (or, with --dry-run, would be) as JSON')
    .action(async (opts: { root: string; dryRun?: boolean; json?: boolean; socket: string; cacheDir?: string }, command: Command) => {
      // --socket, --cache-dir and --metrics-addr belong to `plugin`: the service serves as `chalkfs plugin` would.
      const { socket, cacheDir, metricsAddr } = command.optsWithGlobals<{ socket: string; cacheDir?: string; metricsAddr?: string }>();
      if (metricsAddr !== undefined) parseListenAddress(metricsAddr);
      const unit = renderUnit({ nodePath: process.execPath, cliEntry: cliEntry(), socketPath: resolve(socket), cacheDir: cacheDir ? resolve(cacheDir) : undefined, metricsAddr, environmentFile: ENVIRONMENT_PATH });
      const vars = serviceEnvironment(process.env, home);
      const kept = `${ENVIRONMENT_PATH} (mode 0600) keeps ${Object.keys(vars).join(', ')}`;
      if (opts.dryRun && opts.json) return printJson({ dryRun: true, unit, environmentPath: ENVIRONMENT_PATH, variables: Object.keys(vars) });
      if (opts.dryRun) return void process.stdout.write(`${unit}# ${kept}\n`);
      const outcome = await installService(resolve(opts.root), { unit, environment: renderEnvironmentFile(vars) });
      if (opts.json) return printJson({ ...outcome, variables: Object.keys(vars) });
      process.stdout.write(`wrote ${outcome.unitPath} and ${outcome.environmentPath} (mode 0600: ${Object.keys(vars).join(', ')})\n${outcome.systemd}\n`);
    });

  plugin
    .command('uninstall-service')
    .description(`stop and disable ${UNIT_NAME} and remove its files (mounts containers still use stay)`)
    .option('--root <dir>', 'remove under DIR instead of / and do not run systemctl', '/')
    .option('--json', 'print what was removed as JSON')
    .action(async (opts: { root: string; json?: boolean }) => {
      const outcome = await uninstallService(resolve(opts.root));
      if (opts.json) return printJson(outcome);
      process.stdout.write(`removed ${outcome.unitPath} and ${outcome.environmentPath}\n${outcome.systemd}\n`);
    });

  // ---- csi -------------------------------------------------------------------------------

  withServerLogOptions(program
    .command('csi')
    .description('serve the Kubernetes CSI driver (Identity, and Controller and/or Node) on a gRPC unix socket (docs/KUBERNETES.md)')
    .requiredOption('--endpoint <endpoint>', 'unix:///path/csi.sock')
    .requiredOption('--node-id <id>', 'this node\'s name (NodeGetInfo)')
    .option('--controller', 'serve the Controller service (create, delete, list volumes)')
    .option('--node', 'serve the Node service (stage, publish: the mounts of this node)')
    .option('--state-dir <dir>', 'where the node service records its mounts (default CHALKFS_HOME/csi)')
    .option('--cache-dir <dir>', 'block cache directory for the mounts it makes (default CHALKFS_HOME/cache)'))
    .action(async (opts: { endpoint: string; nodeId: string; controller?: boolean; node?: boolean; stateDir?: string; cacheDir?: string } & LogOptions) => {
      const logger = serverLogger(opts, 'chalkfs-csi');
      const settings = await resolveStoreSettings();
      // The controller creates volumes, so it may create their bucket.
      const store = await openStore(settings, { createBucket: Boolean(opts.controller) });
      process.stderr.write(`chalkfs csi: ${store.bucketCreated ? 'created bucket' : 'using bucket'} ${settings.bucket} (${store.description})\n`);
      store.destroy();
      // Loaded here, not at the top: gRPC and the CSI protobufs cost every other command's
      // start-up about 0.2 s (of `chalkfs --version`'s 0.55 s).
      const { serveCsi } = await import('../../csi/csi-driver.js');
      const server = await serveCsi({
        endpoint: opts.endpoint,
        nodeId: opts.nodeId,
        controller: Boolean(opts.controller),
        node: Boolean(opts.node),
        stateDir: resolve(opts.stateDir ?? join(home, 'csi')),
        cacheDir: opts.cacheDir ? resolve(opts.cacheDir) : undefined,
        env: { ...process.env, ...storeEnv(settings), CHALKFS_HOME: home },
        logger,
      });
      process.stderr.write(`chalkfs csi serving on ${server.socketPath}\n`);
      await new Promise<void>((done) => {
        for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => done());
      });
      await server.close();
    });

  // ---- minio -----------------------------------------------------------------------------

  const minio = program.command('minio').description('the embedded MinIO server chalkfs uses when no S3 endpoint is configured');
  const embedded = () => {
    const endpoint = configuredEndpoint(process.env);
    if (endpoint) throw new ChalkError('config', `an S3 endpoint is configured (${endpoint}), so the embedded MinIO is not used`);
    return new EmbeddedMinio(home);
  };
  minio.command('start').description('start it (no-op when running)').option('--json', 'print JSON').action(async (opts: { json?: boolean }) => {
    const state = await embedded().ensureRunning();
    if (opts.json) return printJson({ running: true, endpoint: state.endpoint, pid: state.pid });
    process.stdout.write(`minio running at ${state.endpoint} (pid ${state.pid})\n`);
  });
  minio.command('stop').description('stop it').option('--json', 'print JSON').action(async (opts: { json?: boolean }) => {
    const wasRunning = await embedded().stop();
    if (opts.json) return printJson({ wasRunning });
    process.stdout.write(wasRunning ? 'minio stopped\n' : 'minio was not running\n');
  });
  minio.command('status').description('is it running, and where').option('--json', 'print JSON').action((opts: { json?: boolean }) => {
    const status = embedded().status();
    if (opts.json) return printJson(status);
    process.stdout.write(status.running && status.state ? `minio running at ${status.state.endpoint} (pid ${status.state.pid}), data in ${status.dataDir}\n` : `minio not running (data in ${status.dataDir})\n`);
  });

}
