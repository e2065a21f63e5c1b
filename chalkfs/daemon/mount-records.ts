// What a running mount daemon leaves under CHALKFS_HOME/mounts so other commands find
// it: one JSON record per mount point, written atomically, removed at unmount; a record
// whose daemon is gone is removed by the next reader.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { processAlive } from '../host/process-liveness.js';

export interface MountRecord {
  volume: string;
  mountpoint: string;
  pid: number;
  mode: 'read-write' | 'read-only' | 'pinned';
  pinnedSeq?: number;
  controlSocket: string;
  metricsUrl: string;
  logFile: string;
  cacheDir: string;
  host: string;
  startedAt: string;
}

const mountsDir = (home: string) => join(home, 'mounts');
const recordPath = (home: string, mountpoint: string) => join(mountsDir(home), `${createHash('sha1').update(resolve(mountpoint)).digest('hex').slice(0, 16)}.json`);

export function controlSocketPath(home: string, mountpoint: string): string {
  return join(home, 'run', `${createHash('sha1').update(resolve(mountpoint)).digest('hex').slice(0, 16)}.sock`);
}

export function writeMountRecord(home: string, record: MountRecord): void {
  mkdirSync(mountsDir(home), { recursive: true });
  const path = recordPath(home, record.mountpoint);
  writeFileSync(`${path}.tmp`, JSON.stringify(record, null, 2));
  renameSync(`${path}.tmp`, path);
}

export function removeMountRecord(home: string, mountpoint: string): void {
  rmSync(recordPath(home, mountpoint), { force: true });
}

export function readMountRecord(home: string, mountpoint: string): MountRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(home, mountpoint), 'utf8')) as MountRecord;
  } catch {
    return undefined;
  }
}

/** Records of daemons that are still alive; records of dead ones are removed. */
export function liveMountRecords(home: string): MountRecord[] {
  let names: string[];
  try {
    names = readdirSync(mountsDir(home));
  } catch {
    return [];
  }
  const live: MountRecord[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      const record = JSON.parse(readFileSync(join(mountsDir(home), name), 'utf8')) as MountRecord;
      if (processAlive(record.pid)) live.push(record);
      else rmSync(join(mountsDir(home), name), { force: true });
    } catch {
      // A record being written right now: skip it this time.
    }
  }
  return live;
}
