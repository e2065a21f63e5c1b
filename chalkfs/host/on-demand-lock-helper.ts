// The mount's database lock helper, started by its first use. A follower needs it only
// when an open database switches versions, a writer only for databases without a journal
// on disk; most mounts never do. Started at mount, it was a thread and ~50 ms of every
// mount's start (a new isolate loading the worker and the native addon).
import { ChalkError } from '../util/chalk-error.js';
import type { DatabaseLockHelper, HeldLocksKind, HoldOutcome, HoldWait } from './database-lock-helper.js';

/** What the mount uses of a DatabaseLockHelper. */
export type LockHelper = Pick<DatabaseLockHelper, 'isHelper' | 'hold' | 'exclusiveHeld' | 'stop'>;

export class OnDemandLockHelper implements LockHelper {
  private started: Promise<LockHelper> | undefined;
  /** Set once the start succeeded: isHelper is asked on every open and cannot wait. */
  private running: LockHelper | undefined;
  private stopped = false;

  constructor(private readonly start: () => Promise<LockHelper>) {}

  isHelper(pid: number): boolean {
    return this.running?.isHelper(pid) ?? false;
  }

  async hold(path: string, locks: HeldLocksKind, wait: HoldWait): Promise<HoldOutcome> {
    return (await this.helper()).hold(path, locks, wait);
  }

  async exclusiveHeld(path: string): Promise<boolean> {
    return (await this.helper()).exclusiveHeld(path);
  }

  /** Stops the helper if it was started (waiting for a start under way); later uses fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    const started = this.started;
    if (started === undefined) return;
    const helper = await started.catch(() => undefined);
    await helper?.stop();
  }

  private helper(): Promise<LockHelper> {
    if (this.stopped) return Promise.reject(new ChalkError('io', 'the lock helper is stopped'));
    this.started ??= this.start().then(
      (helper) => (this.running = helper),
      (err: unknown) => {
        // The next use tries again: a failed start is that use's failure, not the mount's.
        this.started = undefined;
        throw new ChalkError('io', 'the database lock helper did not start', { cause: err });
      },
    );
    return this.started;
  }
}
