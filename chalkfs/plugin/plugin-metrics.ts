// The Docker volume plugin's Prometheus metrics: each protocol request timed by operation
// and result, the mounts it holds for containers (by volume), and the process metrics
// every chalkfs endpoint has. The mounts themselves are scraped from their own daemons.
import { Histogram, Registry, type Gauge } from 'prom-client';
import { gauge } from '../util/metrics.js';
import { registerProcessMetrics } from '../util/process-metrics.js';

export class PluginMetrics {
  readonly registry = new Registry();
  /** Where chalkfs_plugin_active_mounts reads the reference counts; set by the server. */
  activeMountsSource: (() => Record<string, number>) | undefined;

  readonly requests = new Histogram({
    name: 'chalkfs_plugin_request_seconds',
    help: 'Docker volume plugin requests, by protocol operation (Create, Mount, ...) and result (ok, error)',
    labelNames: ['op', 'result'] as const,
    buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 1, 2.5, 5, 15, 60],
    registers: [this.registry],
  });
  readonly activeMounts: Gauge<'volume'> = gauge(this.registry, 'chalkfs_plugin_active_mounts', 'Containers using each volume this plugin mounted (its reference count)', ['volume'], () => {
    const counts = this.activeMountsSource?.();
    if (!counts) return;
    this.activeMounts.reset();
    for (const [volume, count] of Object.entries(counts)) this.activeMounts.set({ volume }, count);
  });

  constructor() {
    this.registry.setDefaultLabels({ component: 'plugin' });
    registerProcessMetrics(this.registry);
  }
}
