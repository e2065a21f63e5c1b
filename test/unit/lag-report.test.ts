// The follower-lag bench's arithmetic: a row counts as seen from the first read whose
// max(id) reached it, even when several commits land between two reads.
import { describe, expect, it } from 'vitest';
import { lagsOf, renderLagTable, summarize } from '../../bench/lag/lag-report.js';

describe('follower lag', () => {
  const commits = new Map([
    [2, 1000],
    [3, 1100],
    [4, 1200],
    [5, 1300],
  ]);

  it('charges every row up to a read\'s max(id) to that read', () => {
    expect(lagsOf(commits, [{ id: 3, at: 1150 }, { id: 5, at: 1400 }])).toEqual({ lags: [150, 50, 200, 100], unseen: 0 });
  });

  it('counts rows no read saw, and ignores the seed row the writer did not time', () => {
    expect(lagsOf(commits, [{ id: 1, at: 900 }, { id: 3, at: 1150 }])).toEqual({ lags: [150, 50], unseen: 2 });
  });

  it('summarizes percentiles and states the ratio to the goal', () => {
    const s = summarize('chalkfs', 'delete', commits, [{ id: 5, at: 1500 }]);
    expect(s).toMatchObject({ commits: 4, unseen: 0, p50Ms: 300, p99Ms: 500, maxMs: 500 });
    const table = renderLagTable([s, { ...s, journalMode: 'wal', error: 'refused' }], { refreshMs: 250, storeGetP50Ms: 2, storePutP50Ms: 5, goalMs: 260 });
    expect(table).toContain('| chalkfs | delete | 4 | 0 | 300 | 500 | 500 | 1.15× |');
    expect(table).toContain('n/a: refused');
    expect(table).toContain('= 260 ms');
  });
});
