// `chalkfs status`: every mount this host's CHALKFS_HOME records, with what its daemon
// answers on the control socket (version, dirty bytes, lease, cache hit ratio, store p99,
// follower lag). A record whose daemon is gone is shown as dead (its FUSE mount, if any,
// answers ENOTCONN until `chalkfs unmount` clears it); a daemon alive but not answering
// is shown as unresponsive.
import type { Command } from 'commander';
import { formatSize } from '../../util/size.js';
import { controlRequest } from '../../daemon/control-socket.js';
import { allMountRecords, type MountRecord } from '../../daemon/mount-records.js';
import type { LaggingFile } from '../../vfs/volume-view.js';
import type { LeaseState, MetricsSummary } from '../../util/metrics.js';
import { home, printJson, table } from '../cli-context.js';

/** What status prints per mount: the record, `state`, and the daemon's answer when it runs. */
export type MountStatus = MountRecord &
  Partial<MetricsSummary> & {
    state: 'running' | 'dead' | 'unresponsive';
    error?: string;
    seq?: number;
    dirtyBytes?: number;
    leaseState?: LeaseState;
    adoptionWaiting?: number;
    cache?: { memoryBytes: number; diskBytes: number; memoryCapacityBytes: number; diskCapacityBytes: number };
    problem?: string;
    volumeState?: string;
    lagging?: LaggingFile[];
  };

export async function mountStatuses(): Promise<MountStatus[]> {
  return Promise.all(
    allMountRecords(home).map(async ({ record, alive }): Promise<MountStatus> => {
      if (!alive) return { ...record, state: 'dead', error: `daemon pid ${record.pid} is not running; \`chalkfs unmount ${record.mountpoint}\` clears the mount` };
      try {
        const live = await controlRequest<Omit<MountStatus, 'state'>>(record.controlSocket, 'GET', '/status', 5_000);
        return { ...record, ...live, state: 'running' };
      } catch (err) {
        return { ...record, state: 'unresponsive', error: (err as Error).message };
      }
    }),
  );
}

const percent = (ratio: number | undefined) => (ratio === undefined ? '-' : `${(ratio * 100).toFixed(1)}%`);
const millis = (seconds: number | undefined) => (seconds === undefined ? '-' : `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 0)}ms`);

/** The table `chalkfs status` prints, and the notes under it. */
export function renderStatus(mounts: readonly MountStatus[]): string {
  if (mounts.length === 0) return 'no chalkfs mounts on this host\n';
  const rows = [['VOLUME', 'MOUNTPOINT', 'STATE', 'MODE', 'VERSION', 'PID', 'DIRTY', 'LEASE', 'CACHE HIT', 'STORE P99', 'LAG', 'CACHE (MEM/DISK)', 'METRICS']];
  for (const m of mounts) {
    const running = m.state === 'running';
    rows.push([
      m.volume,
      m.mountpoint,
      m.state,
      m.mode,
      running ? String(m.seq ?? '?') : '-',
      String(m.pid),
      running ? formatSize(m.dirtyBytes ?? 0) : '-',
      running ? (m.leaseState ?? '?') : '-',
      running ? percent(m.cacheHitRatio) : '-',
      running ? millis(m.storeP99Seconds) : '-',
      running && m.mode === 'read-only' ? (m.followerLagSeconds === undefined ? '-' : `${m.followerLagSeconds.toFixed(1)}s`) : '-',
      running && m.cache ? `${formatSize(m.cache.memoryBytes)}/${formatSize(m.cache.diskBytes)}` : '-',
      running ? m.metricsUrl : '-',
    ]);
  }
  let text = table(rows);
  for (const m of mounts) {
    if (m.error) text += `${m.mountpoint}: ${m.error}\n`;
    if (m.volumeState === 'deleted') text += `${m.mountpoint}: volume ${m.volume} was deleted from the store; unmount it\n`;
    if (m.problem) text += `${m.mountpoint}: ${m.problem}\n`;
    if (m.adoptionWaiting !== undefined && m.seq !== undefined) text += `${m.mountpoint}: version ${m.adoptionWaiting} found, not adopted yet (serving ${m.seq})\n`;
    for (const f of m.lagging ?? []) {
      const pids = [...new Set(f.blockers.map((b) => b.pid))].join(', ') || 'unknown';
      text += `${m.mountpoint}: ${f.path} kept at version ${f.seq} since ${new Date(f.sinceMs).toISOString()}: a read transaction holds it (pid ${pids})\n`;
    }
  }
  return text;
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('mounts on this host: state (running, dead, unresponsive), version, mode, dirty bytes, lease, cache hit ratio, store p99, follower lag')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nLAG: on a follower, seconds from the writer committing the version served to this mount adopting it.\nCACHE HIT: block reads answered by the memory or disk cache. STORE P99: 99th percentile of store requests.')
    .action(async (opts: { json?: boolean }) => {
      const mounts = await mountStatuses();
      if (opts.json) return printJson(mounts);
      process.stdout.write(renderStatus(mounts));
    });
}
