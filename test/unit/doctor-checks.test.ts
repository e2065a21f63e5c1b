// The pure parts of `chalkfs doctor`: the clock offset from whole-second Date headers
// (store/server-clock.ts), its verdict against the lease's margin (cli/commands/doctor.ts),
// fuse.conf parsing and PATH lookup (host/fuse-prerequisites.ts).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clockOffset, leastSkewMs, mostSkewMs, type DateSample } from '../../chalkfs/store/server-clock.js';
import { clockVerdict } from '../../chalkfs/cli/commands/doctor.js';
import { allowsOtherUsers, findOnPath } from '../../chalkfs/host/fuse-prerequisites.js';

/** What a store whose clock is `offsetMs` ahead of ours answers to a request sent at `sentMs` taking `rttMs`. */
function sample(offsetMs: number, sentMs: number, rttMs = 4): DateSample {
  const serverMs = sentMs + rttMs / 2 + offsetMs;
  return { sentMs, receivedMs: sentMs + rttMs, serverDateMs: Math.floor(serverMs / 1000) * 1000 };
}

describe('clockOffset', () => {
  it('one Date header bounds the offset to a little over a second, containing the truth', () => {
    const o = clockOffset([sample(300, 1_000_000_250)]);
    expect(o.lowMs).toBeLessThanOrEqual(300);
    expect(o.highMs).toBeGreaterThanOrEqual(300);
    expect(o.highMs - o.lowMs).toBe(1004);
  });

  it.each([-2500, -700, 0, 120, 999, 1500])('samples at different fractions of a second narrow it to about 1/n s around the truth (%i ms)', (offsetMs) => {
    const samples = Array.from({ length: 8 }, (_, i) => sample(offsetMs, 1_000_000_000 + i * 137));
    const o = clockOffset(samples);
    expect(o.lowMs).toBeLessThanOrEqual(offsetMs);
    expect(o.highMs).toBeGreaterThanOrEqual(offsetMs);
    expect(o.highMs - o.lowMs).toBeLessThanOrEqual(1000 / 8 + 4 + 20);
  });

  it('least and most skew: zero when the bounds straddle zero', () => {
    expect(leastSkewMs({ lowMs: -30, highMs: 90, samples: 1 })).toBe(0);
    expect(mostSkewMs({ lowMs: -30, highMs: 90, samples: 1 })).toBe(90);
    expect(leastSkewMs({ lowMs: -1900, highMs: -1700, samples: 1 })).toBe(1700);
  });
});

describe('clockVerdict (lease margin 1000 ms)', () => {
  it('ok within half the margin, warn when it may exceed half, FAIL only when certainly beyond the margin', () => {
    expect(clockVerdict({ lowMs: -50, highMs: 80, samples: 8 }).status).toBe('ok');
    expect(clockVerdict({ lowMs: 450, highMs: 600, samples: 8 }).status).toBe('warn');
    expect(clockVerdict({ lowMs: 950, highMs: 1100, samples: 8 }).status).toBe('warn');
    const fail = clockVerdict({ lowMs: -1700, highMs: -1550, samples: 8 });
    expect(fail.status).toBe('FAIL');
    expect(fail.detail).toMatch(/^this host's clock is 1625 ms ahead of the store's \(±75 ms, 8 Date headers\): more than the lease's 1000 ms margin; run NTP/);
  });
});

describe('fuse.conf', () => {
  it('user_allow_other counts only as a line of its own, not commented out', () => {
    expect(allowsOtherUsers('# mount_max = 1000\nuser_allow_other\n')).toBe(true);
    expect(allowsOtherUsers('  user_allow_other  # for chalkfs\n')).toBe(true);
    expect(allowsOtherUsers('#user_allow_other\n')).toBe(false);
    expect(allowsOtherUsers('user_allow_other_not\n')).toBe(false);
    expect(allowsOtherUsers('')).toBe(false);
  });
});

describe('findOnPath', () => {
  it('finds an executable file, skipping a non-executable one earlier on PATH and directories', () => {
    const root = mkdtempSync(join(tmpdir(), 'chalkfs-path-'));
    try {
      const dirA = mkdtempSync(join(root, 'x'));
      const dirB = mkdtempSync(join(root, 'y'));
      writeFileSync(join(dirA, 'tool'), '#!/bin/sh\n');
      chmodSync(join(dirA, 'tool'), 0o644);
      writeFileSync(join(dirB, 'tool'), '#!/bin/sh\n');
      chmodSync(join(dirB, 'tool'), 0o755);
      // X_OK needs an execute bit even for root, so this holds as root too.
      expect(findOnPath('tool', `${dirA}:${dirB}`)).toBe(join(dirB, 'tool'));
      expect(findOnPath('tool', `${dirA}`)).toBeUndefined();
      expect(findOnPath(dirA.split('/').pop()!, root)).toBeUndefined(); // a directory is not a command
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
