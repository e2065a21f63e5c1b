// Docker's volume plugin protocol (legacy, socket-discovered plugins): JSON POSTs over
// HTTP on a unix socket. dockerd finds the plugin by its socket name: chalkfs.sock in
// /run/docker/plugins serves the volume driver "chalkfs". Errors go back as HTTP 500
// with {"Err": message}, which dockerd reports as "VolumeDriver.<Op>: message".
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { rm } from 'node:fs/promises';
import { ChalkError } from '../util/chalk-error.js';
import { createLogger, type Logger } from '../util/logger.js';
import { ChalkfsCli } from '../cli-driver/chalkfs-cli.js';
import { claimSocket } from '../host/socket-claim.js';
import { VolumeDriver } from './volume-driver.js';
import type { PluginMetrics } from './plugin-metrics.js';

export interface PluginOptions {
  socketPath: string;
  stateDir: string;
  /** Environment of the chalkfs CLI children: store settings, CHALKFS_HOME. */
  env?: NodeJS.ProcessEnv;
  /** Block cache directory for the mounts this plugin makes. */
  cacheDir?: string;
  logger?: Logger;
  /** Counts requests; the caller serves its registry (`chalkfs plugin --metrics-addr`). */
  metrics?: PluginMetrics;
}

export interface PluginServer {
  socketPath: string;
  /** Reference count per volume mounted on this host. */
  activeMounts(): Record<string, number>;
  /** Stops serving. Mounts in use stay mounted: containers still use them. */
  close(): Promise<void>;
}

export const DEFAULT_PLUGIN_SOCKET = '/run/docker/plugins/chalkfs.sock';
const CONTENT_TYPE = 'application/vnd.docker.plugins.v1.2+json';

interface PluginRequest {
  Name?: string;
  ID?: string;
  Opts?: Record<string, string> | null;
}

export async function servePlugin(options: PluginOptions): Promise<PluginServer> {
  const logger = options.logger ?? createLogger({ name: 'chalkfs-plugin' });
  const driver = await VolumeDriver.open({
    stateDir: options.stateDir,
    cli: new ChalkfsCli(options.env ?? process.env),
    logger,
    cacheDir: options.cacheDir,
  });

  const routes: Record<string, (req: PluginRequest) => Promise<object>> = {
    '/Plugin.Activate': async () => ({ Implements: ['VolumeDriver'] }),
    '/VolumeDriver.Capabilities': async () => ({ Capabilities: { Scope: 'global' } }),
    '/VolumeDriver.Create': async (r) => {
      await driver.create(required(r, 'Name'), r.Opts);
      return {};
    },
    '/VolumeDriver.Remove': async (r) => {
      await driver.remove(required(r, 'Name'));
      return {};
    },
    '/VolumeDriver.Mount': async (r) => ({ Mountpoint: await driver.mount(required(r, 'Name'), required(r, 'ID')) }),
    '/VolumeDriver.Unmount': async (r) => {
      await driver.unmount(required(r, 'Name'), required(r, 'ID'));
      return {};
    },
    '/VolumeDriver.Path': async (r) => ({ Mountpoint: driver.path(required(r, 'Name')) }),
    '/VolumeDriver.Get': async (r) => ({ Volume: await driver.get(required(r, 'Name')) }),
    '/VolumeDriver.List': async () => ({ Volumes: await driver.list() }),
  };

  if (options.metrics) options.metrics.activeMountsSource = () => driver.activeMounts();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const route = req.method === 'POST' ? routes[req.url ?? ''] : undefined;
    // Only the protocol's own names: a scanner's URLs must not make new series.
    const end = route ? options.metrics?.requests.startTimer({ op: (req.url ?? '').slice(1) }) : undefined;
    let status = 200;
    let body: object;
    try {
      if (!route) throw new ChalkError('unsupported', `${req.method} ${req.url} is not part of the volume plugin protocol`);
      const request = await readJson(req);
      body = await route(request);
      logger.debug({ op: req.url, name: request.Name, id: request.ID }, 'plugin request');
    } catch (err) {
      status = err instanceof ChalkError && err.kind === 'unsupported' ? 404 : 500;
      const message = err instanceof Error ? err.message : String(err);
      logger.warn({ op: req.url, err }, 'plugin request failed');
      body = { Err: message };
    }
    end?.({ result: status === 200 ? 'ok' : 'error' });
    res.writeHead(status, { 'Content-Type': CONTENT_TYPE });
    res.end(JSON.stringify(body));
  };

  await claimSocket(options.socketPath, 'volume plugin');
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  logger.info({ socket: options.socketPath, stateDir: options.stateDir }, 'volume plugin listening');

  let closing: Promise<void> | undefined;
  return {
    socketPath: options.socketPath,
    activeMounts: () => driver.activeMounts(),
    close() {
      closing ??= (async () => {
        // Stop accepting, let requests in progress (a mount) finish and answer, then drop
        // the kept-alive connections dockerd holds open.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await driver.idle();
        server.closeAllConnections();
        await closed;
        await rm(options.socketPath, { force: true });
        logger.info({ socket: options.socketPath }, 'volume plugin stopped');
      })();
      return closing;
    },
  };
}

function required(req: PluginRequest, field: 'Name' | 'ID'): string {
  const value = req[field];
  if (typeof value !== 'string' || value === '') throw new ChalkError('invalid', `request has no ${field}`);
  return value;
}

async function readJson(req: IncomingMessage): Promise<PluginRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as PluginRequest;
  } catch (err) {
    throw new ChalkError('invalid', 'request body is not JSON', { cause: err });
  }
}
