/*
 * Writes a volume's head object, a hint that tells mounts which version is newest
 * (docs/FORMAT.md), after a writer's commits and off their path: at most once a second
 * whatever the commit rate, always with the latest commit's numbers, and a failure only
 * logged (a stale hint costs a follower one listing, never correctness).
 */
import type { Logger } from 'pino';
import type { HeadHint } from '../meta/format.js';
import type { VolumeRepository } from '../meta/volume-repository.js';

/** What a commit tells the hint; the writer adds the time. */
type CommittedHead = Omit<HeadHint, 'updatedAt'>;

const minIntervalMs = 1000;

export class HeadHintWriter {
  private latest: CommittedHead | undefined;
  private running: Promise<void> | undefined;
  private lastWriteMs = 0;
  private wake: (() => void) | undefined;
  private flushing = false;

  constructor(
    private readonly repo: VolumeRepository,
    private readonly volume: string,
    private readonly logger: Logger,
    private readonly clock: () => number,
  ) {}

  /** A commit made `hint` the newest: it will be written soon. */
  update(hint: CommittedHead): void {
    this.latest = hint;
    this.running ??= this.writeWhileDirty();
  }

  /** Writes what is waiting now, without the rate limit (unmount). */
  async flush(): Promise<void> {
    this.flushing = true;
    this.wake?.();
    await this.running;
  }

  private async writeWhileDirty(): Promise<void> {
    while (this.latest) {
      const waitMs = this.lastWriteMs + minIntervalMs - this.clock();
      if (waitMs > 0 && !this.flushing) await this.sleep(waitMs);
      const hint = this.latest;
      this.latest = undefined;
      this.lastWriteMs = this.clock();
      try {
        await this.repo.writeHead(this.volume, { ...hint, updatedAt: new Date(this.clock()).toISOString() });
      } catch (err) {
        this.logger.warn({ err }, 'could not update the head hint');
      }
    }
    // Synchronously after the last check: an update from now on starts a new loop.
    this.running = undefined;
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((wake) => {
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        wake();
      };
    });
    this.wake = undefined;
  }
}
