// A Prometheus endpoint: GET /metrics on --metrics-addr (default a free loopback port).
// The mount daemon and the Docker plugin each serve one; the address a scraper should use
// goes into the mount record and a file_sd target file (mount-records.ts), so
// `chalkfs status` and Prometheus find every mount of the host.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { ChalkError } from '../util/chalk-error.js';
import { listen } from './http-listen.js';

export interface MetricsServer {
  url: string;
  /** host:port a scraper on this host reaches the endpoint at (Prometheus's target). */
  target: string;
  server: Server;
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** The default: loopback, a port the kernel picks (several mounts per host must not collide). */
export const DEFAULT_METRICS_ADDR = '127.0.0.1:0';

/** Parses HOST:PORT, [IPV6]:PORT or :PORT (all interfaces); a usage error otherwise. */
export function parseListenAddress(text: string, option = '--metrics-addr'): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new ChalkError('config', `invalid ${option} "${text}": expected HOST:PORT (for example 127.0.0.1:9570, 0.0.0.0:9570 or [::1]:9570; port 0 picks a free one)`);
  }
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

/** Where a scraper on this host connects: a wildcard bind is reached on loopback. */
export function scrapeTarget(address: ListenAddress): string {
  const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  return host.includes(':') ? `[${host}]:${address.port}` : `${host}:${address.port}`;
}

export async function serveMetrics(registry: Registry, where: ListenAddress = parseListenAddress(DEFAULT_METRICS_ADDR)): Promise<MetricsServer> {
  const server = await listen(createServer(async (req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    try {
      const text = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(text);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  }), where).catch((err: unknown) => {
    throw new ChalkError('config', `cannot serve metrics on ${scrapeTarget(where)}: ${(err as Error).message}`, { cause: err });
  });
  const address = server.address();
  const target = scrapeTarget({ host: where.host, port: typeof address === 'object' && address ? address.port : where.port });
  return { server, target, url: `http://${target}/metrics` };
}
