// What every chalkfs process exports beside its own figures: chalkfs_build_info (which
// chalkfs and which Node answer this endpoint) and prom-client's default process metrics
// (CPU, resident memory, open descriptors, event-loop lag, heap, GC), all on `registry`.
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';
import { packageJson } from './paths.js';

export function registerProcessMetrics(registry: Registry): void {
  const buildInfo = new Gauge({
    name: 'chalkfs_build_info',
    help: 'Always 1; its labels say which chalkfs version and Node.js runtime serve this endpoint',
    labelNames: ['version', 'node_version'] as const,
    registers: [registry],
  });
  buildInfo.set({ version: packageJson().version, node_version: process.version }, 1);
  collectDefaultMetrics({ register: registry });
}
