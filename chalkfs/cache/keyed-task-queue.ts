/*
 * A FIFO of keyed background tasks with bounded concurrency. A key is queued at most
 * once while it is queued or running, tasks start in the order they were added, and a
 * full queue refuses new keys instead of growing: callers use it for work that may be
 * skipped (readahead, cache fills). A task's rejection goes to `onError` and never stops
 * the queue.
 */
export class KeyedTaskQueue {
  private readonly queued = new Map<string, () => Promise<unknown>>();
  private readonly running = new Set<string>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxQueued = Number.POSITIVE_INFINITY,
    private readonly onError: (err: unknown, key: string) => void = () => undefined,
  ) {
    if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1 (got ${concurrency})`);
  }

  /** Queues `task` under `key`; false when the key is already queued or running, or the queue is full. */
  add(key: string, task: () => Promise<unknown>): boolean {
    if (this.has(key) || this.queued.size >= this.maxQueued) return false;
    this.queued.set(key, task);
    this.pump();
    return true;
  }

  has(key: string): boolean {
    return this.queued.has(key) || this.running.has(key);
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.queued.size + this.running.size;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Resolves once nothing is queued or running (tasks added meanwhile are waited for too). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running.size < this.concurrency) {
      const next = this.queued.entries().next();
      if (next.done) break;
      const [key, task] = next.value;
      this.queued.delete(key);
      this.running.add(key);
      // Started on a later microtask, so add() never runs a task synchronously inside its caller.
      void Promise.resolve()
        .then(task)
        .catch((err: unknown) => this.onError(err, key))
        .finally(() => {
          this.running.delete(key);
          this.pump();
          if (this.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
        });
    }
  }
}
