// A running mount's Prometheus metrics, read the way an operator would: the metrics URL
// from `chalkfs status --json`, then one series' value.
import type { Mount } from './chalkfs-fixture.js';

/** One metric's value from a mount's /metrics (0 when the series is absent). */
export async function metricValue(mount: Mount, series: RegExp): Promise<number> {
  const status = JSON.parse((await mount.host.cliOk(['status', '--json'])).stdout) as { mountpoint: string; metricsUrl: string }[];
  const record = status.find((m) => m.mountpoint === mount.dir);
  if (!record) throw new Error(`no status for ${mount.dir}`);
  const text = await (await fetch(record.metricsUrl)).text();
  const line = text.split('\n').find((l) => series.test(l.split(' ')[0]!));
  return line ? Number(line.split(' ')[1]) : 0;
}
