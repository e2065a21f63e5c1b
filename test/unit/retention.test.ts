// history/retention.ts: which versions gc keeps and which blocks it may delete.
import { describe, expect, it } from 'vitest';
import { blocksToDelete, versionsToKeep } from '../../chalkfs/history/retention.js';

const hour = 3_600_000;

describe('versionsToKeep', () => {
  const now = 100 * hour;
  const versions = [1, 2, 3, 4, 5].map((seq) => ({ seq, createdAtMs: now - (6 - seq) * hour }));

  it('keeps versions inside the retention window and drops older ones', () => {
    expect([...versionsToKeep(versions, new Set(), 5, now, 2 * hour)].sort()).toEqual([4, 5]);
  });

  it('always keeps the newest version, the newest consistent one and snapshots', () => {
    expect([...versionsToKeep(versions, new Set([1]), 3, now, 0)].sort()).toEqual([1, 3, 5]);
  });
});

describe('blocksToDelete', () => {
  const now = 10 * hour;
  const blocks = [
    { hash: 'a', lastModifiedMs: now - 5 * hour },
    { hash: 'b', lastModifiedMs: now - 5 * hour },
    { hash: 'c', lastModifiedMs: now - 1000 },
  ];

  it('deletes only unreferenced blocks older than the grace period', () => {
    expect(blocksToDelete(blocks, new Set(['a']), now, hour)).toEqual(['b']);
  });

  it('never deletes a fresh block, which a commit in flight may be about to name', () => {
    expect(blocksToDelete(blocks, new Set(), now, hour)).not.toContain('c');
  });
});
