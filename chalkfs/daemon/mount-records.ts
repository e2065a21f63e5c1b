// What a running mount daemon leaves under CHALKFS_HOME so other commands and Prometheus
// find it: one JSON record per mount point in mounts/, and one Prometheus file_sd target
// file per mount in metrics-targets/ (a scrape config with
// `file_sd_configs: [{files: [CHALKFS_HOME/metrics-targets/*.json]}]` scrapes every mount
// of the host; docs/METRICS.md). Both are written atomically and removed at unmount. A
// daemon that died leaves its record: `chalkfs status` shows it as dead, `chalkfs unmount`
// clears it; commands that only want running mounts skip it.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { processAlive } from '../host/process-liveness.js';

export interface MountRecord {
  volume: string;
  mountpoint: string;
  pid: number;
  mode: 'read-write' | 'read-only' | 'pinned';
  pinnedSeq?: number;
  controlSocket: string;
  metricsUrl: string;
  /** host:port Prometheus scrapes (the file_sd target). */
  metricsTarget: string;
  logFile: string;
  cacheDir: string;
  host: string;
  startedAt: string;
}

const mountsDir = (home: string) => join(home, 'mounts');
/** Prometheus file_sd files, one per running mount. */
export const metricsTargetsDir = (home: string) => join(home, 'metrics-targets');
const mountKey = (mountpoint: string) => createHash('sha1').update(resolve(mountpoint)).digest('hex').slice(0, 16);
const recordPath = (home: string, mountpoint: string) => join(mountsDir(home), `${mountKey(mountpoint)}.json`);
const targetPath = (home: string, mountpoint: string) => join(metricsTargetsDir(home), `${mountKey(mountpoint)}.json`);

/** A mount's log file: CHALKFS_HOME/logs/VOLUME-HASH.log, HASH from the mount point. */
export function mountLogFile(home: string, volume: string, mountpoint: string): string {
  return join(home, 'logs', `${volume}-${mountLogSuffix(mountpoint)}.log`);
}

/** The part of a mount's log file name that names its mount point. */
export function mountLogSuffix(mountpoint: string): string {
  return createHash('sha1').update(resolve(mountpoint)).digest('hex').slice(0, 8);
}

export function controlSocketPath(home: string, mountpoint: string): string {
  return join(home, 'run', `${mountKey(mountpoint)}.sock`);
}

/** The Prometheus file_sd content for one mount: its target, and labels naming it. */
export function metricsTargetGroup(record: MountRecord): { targets: string[]; labels: Record<string, string> }[] {
  return [{ targets: [record.metricsTarget], labels: { mountpoint: record.mountpoint, chalkfs_host: record.host } }];
}

function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

export function writeMountRecord(home: string, record: MountRecord): void {
  writeAtomically(recordPath(home, record.mountpoint), JSON.stringify(record, null, 2));
  writeAtomically(targetPath(home, record.mountpoint), JSON.stringify(metricsTargetGroup(record), null, 2));
}

export function removeMountRecord(home: string, mountpoint: string): void {
  rmSync(recordPath(home, mountpoint), { force: true });
  rmSync(targetPath(home, mountpoint), { force: true });
}

export function readMountRecord(home: string, mountpoint: string): MountRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(home, mountpoint), 'utf8')) as MountRecord;
  } catch {
    return undefined;
  }
}

/** The Docker plugin's file_sd target (`chalkfs plugin --metrics-addr`). */
export function writePluginTarget(home: string, target: string): void {
  writeAtomically(join(metricsTargetsDir(home), 'plugin.json'), JSON.stringify([{ targets: [target], labels: { component: 'plugin' } }], null, 2));
}

export function removePluginTarget(home: string): void {
  rmSync(join(metricsTargetsDir(home), 'plugin.json'), { force: true });
}

/** Every record, with whether its daemon still runs. */
export function allMountRecords(home: string): { record: MountRecord; alive: boolean }[] {
  let names: string[];
  try {
    names = readdirSync(mountsDir(home));
  } catch {
    return [];
  }
  const all: { record: MountRecord; alive: boolean }[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      const record = JSON.parse(readFileSync(join(mountsDir(home), name), 'utf8')) as MountRecord;
      const alive = processAlive(record.pid);
      // A dead daemon is not scraped: Prometheus would only see it as down forever.
      if (!alive) rmSync(targetPath(home, record.mountpoint), { force: true });
      all.push({ record, alive });
    } catch {
      // A record being written right now: skip it this time.
    }
  }
  return all;
}

/** Records of daemons that are still alive. */
export function liveMountRecords(home: string): MountRecord[] {
  return allMountRecords(home).flatMap((m) => (m.alive ? [m.record] : []));
}
