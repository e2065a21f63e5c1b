// The bounded wait of host/lock-acquisition.ts on a temporary file, with real OFD locks held
// by another open of it and virtual time: the order steps are tried in, the pauses between
// rounds, the steps' hooks, and what is left held.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLocks, type LockStep } from '../../chalkfs/host/lock-acquisition.js';
import { findBlocker, tryLock, unlock } from '../../chalkfs/host/ofd-locks.js';
import { OpenFiles, virtualClock } from '../support/sqlite-lock-fixtures.js';

let dir: string;
let path: string;
const files = new OpenFiles();
const byte = (start: number) => ({ start, lengthBytes: 1 });
const steps = (fd: number, gate: boolean, events: string[]): LockStep[] =>
  [0, 1, 2].map((n) => ({ name: `B${n}`, fd, type: 'write', range: byte(n), gate, onHeld: () => events.push(`held B${n}`) }));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chalkfs-lock-wait-'));
  path = join(dir, 'f');
  writeFileSync(path, '');
});

afterEach(() => {
  files.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('acquireLocks', () => {
  it('doubles its pause up to maxRetryMs, gives up at the timeout and keeps nothing', async () => {
    const other = files.open(path);
    expect(tryLock(other, 'read', byte(1))).toBe(true);
    const sleeps: number[] = [];
    const clock = virtualClock();
    const sleep = clock.sleep;
    clock.sleep = async (ms) => {
      sleeps.push(ms);
      await sleep(ms);
    };
    const fd = files.open(path);
    const events: string[] = [];
    const result = await acquireLocks(steps(fd, true, events), { timeoutMs: 100, retryMs: 5, maxRetryMs: 20, clock });
    expect(sleeps).toEqual([5, 10, 20, 20, 20, 20, 5]);
    expect(result).toMatchObject({ acquired: false, rounds: 8, waitedMs: 100 });
    if (result.acquired) return;
    expect(result.blockers).toEqual([
      { lock: 'B1', holder: { type: 'read', start: 1, lengthBytes: 1, pid: -1 } },
      { lock: 'B2', holder: null },
    ]);
    expect(events).toEqual(['held B0']);
    expect(findBlocker(other, 'write', { start: 0, lengthBytes: 3 })).toBeNull();
  });

  it('tries nothing past a gate it could not take, and everything past a step that is no gate', async () => {
    const other = files.open(path);
    expect(tryLock(other, 'read', byte(1))).toBe(true);
    const fd = files.open(path);
    const gated: string[] = [];
    const ungated: string[] = [];
    const clock = virtualClock((n) => {
      if (n === 2) unlock(other, byte(1));
    });
    const first = await acquireLocks(steps(fd, true, gated), { timeoutMs: 1000, retryMs: 1, clock });
    expect(gated).toEqual(['held B0', 'held B1', 'held B2']);
    expect(first.rounds).toBe(3);
    if (first.acquired) first.held.release();
    expect(tryLock(other, 'read', byte(1))).toBe(true);
    const second = await acquireLocks(steps(fd, false, ungated), { timeoutMs: 1000, retryMs: 1, clock: virtualClock((n) => {
      if (n === 1) unlock(other, byte(1));
    }) });
    expect(ungated).toEqual(['held B0', 'held B2', 'held B1']);
    expect(second.rounds).toBe(2);
    if (second.acquired) {
      expect(findBlocker(other, 'read', { start: 0, lengthBytes: 3 })).not.toBeNull();
      second.held[Symbol.dispose]();
    }
    expect(findBlocker(other, 'write', { start: 0, lengthBytes: 3 })).toBeNull();
  });

  it('runs beforeLetGo while the locks are still held, and refuses a wait it cannot honour', async () => {
    const fd = files.open(path);
    const probe = files.open(path);
    const heldWhenLettingGo: boolean[] = [];
    const beforeLetGo = () => heldWhenLettingGo.push(findBlocker(probe, 'read', byte(2)) !== null);
    const result = await acquireLocks(steps(fd, true, []), { timeoutMs: 0, retryMs: 1 }, beforeLetGo);
    expect(result.acquired).toBe(true);
    if (result.acquired) result.held.release();
    expect(heldWhenLettingGo).toEqual([true]);
    await expect(acquireLocks([], { timeoutMs: 10, retryMs: 0 })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(acquireLocks([], { timeoutMs: 10, retryMs: 5, maxRetryMs: 2 })).rejects.toMatchObject({ kind: 'invalid' });
  });
});
