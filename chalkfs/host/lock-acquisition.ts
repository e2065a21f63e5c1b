// Takes an ordered set of byte-range locks with a bounded wait: each round tries every lock
// not yet held, once, without blocking (host/ofd-locks.ts), keeps what it got, and waits
// with a doubling backoff before the next round; past the deadline it lets go of all it
// got and says who holds what it still lacked. The lock protocols (which ranges, in which
// order) are in host/sqlite-locks.ts; this module only waits.
import { setTimeout as sleep } from 'node:timers/promises';
import { ChalkError } from '../util/chalk-error.js';
import { findBlocker, tryLock, unlock, type ByteRange, type LockHolder, type LockType } from './ofd-locks.js';

export interface LockStep {
  /** The protocol's name for it, for reports: 'PENDING', 'WAL_READ_LOCK(2)'. */
  readonly name: string;
  readonly fd: number;
  readonly type: LockType;
  readonly range: ByteRange;
  /** The protocol orders it: the steps after it are tried only once it is held. */
  readonly gate: boolean;
  /** Runs once, as soon as the step is held (while every step before it is held too). */
  readonly onHeld?: () => void;
}

export interface WaitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface LockWait {
  /** How long to keep trying before giving up and letting go. */
  readonly timeoutMs: number;
  /** The first pause between rounds; it doubles up to `maxRetryMs`. */
  readonly retryMs: number;
  /** The longest pause between rounds (default 8 × retryMs). */
  readonly maxRetryMs?: number;
  readonly clock?: WaitClock;
}

/** Locks that are held until `release()` (or disposal); releasing twice is harmless. */
export interface HeldLocks extends Disposable {
  release(): void;
}

/** A lock that could not be had by the deadline, and who held it then (null when it was let go in between). */
export interface Blocker {
  readonly lock: string;
  readonly holder: LockHolder | null;
}

export type Acquisition =
  | { readonly acquired: true; readonly held: HeldLocks; readonly rounds: number; readonly waitedMs: number }
  | { readonly acquired: false; readonly blockers: readonly Blocker[]; readonly rounds: number; readonly waitedMs: number };

const systemClock: WaitClock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };

function checkWait(wait: LockWait): void {
  const { timeoutMs, retryMs, maxRetryMs = retryMs * 8 } = wait;
  if (!(timeoutMs >= 0 && retryMs > 0 && maxRetryMs >= retryMs)) {
    throw new ChalkError('invalid', `lock wait needs timeoutMs >= 0 and 0 < retryMs <= maxRetryMs (got ${timeoutMs}, ${retryMs}, ${maxRetryMs})`);
  }
}

/**
 * Takes `steps` (see the top of this file). `beforeLetGo` runs whenever the locks are about to
 * be let go (released, given up, or after a failure), while every lock had is still held.
 */
export async function acquireLocks(steps: readonly LockStep[], wait: LockWait, beforeLetGo?: () => void): Promise<Acquisition> {
  checkWait(wait);
  const clock = wait.clock ?? systemClock;
  const maxRetryMs = wait.maxRetryMs ?? wait.retryMs * 8;
  const held = new Set<number>();
  const letGo = (): void => {
    try {
      beforeLetGo?.();
    } finally {
      unlockAll();
    }
  };
  const unlockAll = (): void => {
    for (let i = steps.length - 1; i >= 0; i--) {
      if (held.delete(i)) unlock(steps[i]!.fd, steps[i]!.range);
    }
  };
  const startedMs = clock.now();
  let pauseMs = wait.retryMs;
  for (let rounds = 1; ; rounds++) {
    try {
      tryRound(steps, held);
    } catch (err) {
      letGo();
      throw err;
    }
    const waitedMs = clock.now() - startedMs;
    if (held.size === steps.length) {
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        letGo();
      };
      return { acquired: true, held: { release, [Symbol.dispose]: release }, rounds, waitedMs };
    }
    if (waitedMs >= wait.timeoutMs) {
      try {
        const blockers = steps.filter((_, i) => !held.has(i)).map((s) => ({ lock: s.name, holder: findBlocker(s.fd, s.type, s.range) }));
        return { acquired: false, blockers, rounds, waitedMs };
      } finally {
        letGo();
      }
    }
    await clock.sleep(Math.min(pauseMs, wait.timeoutMs - waitedMs));
    pauseMs = Math.min(pauseMs * 2, maxRetryMs);
  }
}

function tryRound(steps: readonly LockStep[], held: Set<number>): void {
  for (const [i, step] of steps.entries()) {
    if (held.has(i)) continue;
    if (tryLock(step.fd, step.type, step.range)) {
      held.add(i);
      step.onHeld?.();
    } else if (step.gate) {
      return;
    }
  }
}
