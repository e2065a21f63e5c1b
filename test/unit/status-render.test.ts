// What `chalkfs status` prints per mount (cli/commands/status.ts): the figures of a
// running daemon, and a dead daemon shown as dead with how to clear it.
import { describe, expect, it } from 'vitest';
import { renderStatus, type MountStatus } from '../../chalkfs/cli/commands/status.js';

const record = {
  volume: 'db',
  mountpoint: '/mnt/db',
  pid: 4242,
  mode: 'read-only' as const,
  controlSocket: '/x.sock',
  metricsUrl: 'http://127.0.0.1:9570/metrics',
  metricsTarget: '127.0.0.1:9570',
  logFile: '/x.log',
  cacheDir: '/cache',
  host: 'h',
  startedAt: '2026-01-01T00:00:00.000Z',
};

describe('renderStatus', () => {
  it("shows a running follower's version, lease, hit ratio, store p99 and lag", () => {
    const running: MountStatus = { ...record, state: 'running', seq: 7, dirtyBytes: 0, leaseState: 'none', cacheHitRatio: 0.875, storeP99Seconds: 0.0123, followerLagSeconds: 0.42, cache: { memoryBytes: 1024, diskBytes: 2048, memoryCapacityBytes: 1, diskCapacityBytes: 1 } };
    const [header, row] = renderStatus([running]).split('\n');
    const columns = header!.split(/\s{2,}/);
    const cells = row!.split(/\s{2,}/);
    const cell = (name: string) => cells[columns.indexOf(name)];
    expect(cell('STATE')).toBe('running');
    expect(cell('VERSION')).toBe('7');
    expect(cell('LEASE')).toBe('none');
    expect(cell('CACHE HIT')).toBe('87.5%');
    expect(cell('STORE P99')).toBe('12ms');
    expect(cell('LAG')).toBe('0.4s');
  });

  it('shows a dead daemon as dead, without figures, and says how to clear it', () => {
    const text = renderStatus([{ ...record, state: 'dead', error: 'daemon pid 4242 is not running; `chalkfs unmount /mnt/db` clears the mount' }]);
    const [header, row] = text.split('\n');
    const cells = row!.split(/\s{2,}/);
    const columns = header!.split(/\s{2,}/);
    expect(cells[columns.indexOf('STATE')]).toBe('dead');
    expect(cells[columns.indexOf('VERSION')]).toBe('-');
    expect(text).toContain('/mnt/db: daemon pid 4242 is not running; `chalkfs unmount /mnt/db` clears the mount');
  });

  it('says when there are no mounts', () => {
    expect(renderStatus([])).toBe('no chalkfs mounts on this host\n');
  });
});
