/*
 * Background work a mount repeats until it is closed: a writer's periodic commit, a
 * follower's look for a newer version. One run at a time (the next is scheduled when
 * the last has finished), on an unref'd timer so it never keeps the process alive.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** `run` must not throw: it handles its own failures. */
  constructor(
    private readonly run: () => Promise<void>,
    private readonly delayMs: () => number,
  ) {}

  start(): void {
    this.timer = setTimeout(() => void this.tick(), this.delayMs());
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    await this.run();
    if (!this.stopped) this.start();
  }
}
