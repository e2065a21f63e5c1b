// The daemon's Prometheus endpoint: GET /metrics on a free loopback port (the port is
// in the mount record, so `chalkfs status` shows where to scrape).
import { createServer, type Server } from 'node:http';
import type { Metrics } from '../util/metrics.js';
import { listen } from './http-listen.js';

export interface MetricsServer {
  url: string;
  server: Server;
}

export async function serveMetrics(metrics: Metrics): Promise<MetricsServer> {
  const server = await listen(createServer(async (req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    res.end(await metrics.registry.metrics());
  }), { port: 0, host: '127.0.0.1' });
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/metrics` };
}
