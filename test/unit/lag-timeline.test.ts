// The follower-lag bench's timeline: each commit followed from COMMIT to the version that
// first held it, its adoption, the open database's switch and the reader's first sight.
import { describe, expect, it } from 'vitest';
import { commitSteps, renderSteps, type LogLine } from '../../bench/lag/lag-timeline.js';

const committed = (time: number, seq: number, reason: string, tookMs: number, consistent = true): LogLine => ({ time, msg: 'committed', seq, reason, tookMs, consistent });
const adopted = (time: number, seq: number): LogLine => ({ time, msg: 'adopted a new version', seq });
const found = (time: number, seq: number): LogLine => ({ time, msg: 'found a newer version', seq, lookMs: 4, fetchMs: 1 });
const switched = (time: number, seq: number, path = '/wal.db'): LogLine => ({ time, msg: 'switched an open database to the version served', seq, path, lockMs: 2 });

describe('lag timeline', () => {
  it('charges a commit to the first consistent periodic version started after its COMMIT returned', () => {
    const writer = [
      committed(1000, 5, 'periodic', 10), // started 990: before COMMIT
      committed(1101, 6, 'periodic', 3), // started 1098, inside COMMIT (1090-1100): maybe before its commit point
      committed(1204, 7, 'periodic', 10, false), // a transaction under way
      committed(1290, 8, 'periodic', 10), // started 1280: holds it
    ];
    const follower = [found(1400, 8), adopted(1400, 8), switched(1403, 8, '/other.db'), switched(1404, 8)];
    const steps = commitSteps('/wal.db', [{ id: 2, at: 1100, commitMs: 10 }], [{ id: 1, at: 1000 }, { id: 2, at: 1407 }], writer, follower);
    expect(steps).toEqual([{ reason: 'periodic', commitMs: 10, toDurable: 190, toAdopted: 110, lookMs: 4, fetchMs: 1, toSwitched: 4, lockMs: 2, toSeen: 3, total: 307 }]);
  });

  it('a version started inside COMMIT (a WAL commit frame, a journal deletion) holds it; commits with a missing step are left out', () => {
    const writer = [committed(1103, 8, 'wal-commit', 4)]; // started 1099, COMMIT ran 1098-1100
    const follower = [adopted(1200, 8), switched(1202, 8)];
    const commits = [{ id: 3, at: 1100, commitMs: 2 }, { id: 4, at: 1200, commitMs: 2 }];
    const steps = commitSteps('/wal.db', commits, [{ id: 3, at: 1205 }], writer, follower);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ reason: 'wal-commit', toDurable: 3, toAdopted: 97, toSeen: 3, total: 105 });
    expect(renderSteps(steps)).toContain('| total | 105.0 | 105.0 |');
    expect(renderSteps(steps)).toContain('written by: wal-commit 1');
  });
});
