/*
 * When a read-only mount next looks for a newer version: every `activeMs` while the
 * volume is changing (a change seen within the last `idleAfterMs`), then backing off
 * by doubling to `idleMs` while nothing changes. An idle reader then costs one small
 * request per `idleMs` (docs/CONSISTENCY.md, "Readers on other hosts"); a busy one
 * follows the writer as closely as before.
 */
const maxTimerMs = 2 ** 31 - 1;

/** `--refresh-ms`: how often a follower looks while the volume changes. */
export const defaultRefreshIntervalMs = 250;
/**
 * `--idle-refresh-ms`: how often it looks while the volume does not. 1.25 s keeps an idle
 * read-only mount within 60 requests a minute with its presence renewal (two a minute)
 * included: 48 looks + 2 (docs/SCALING.md, issue 17).
 */
export const defaultIdleRefreshIntervalMs = 1250;

export class RefreshSchedule {
  private lastChangeMs: number;
  private delayMs: number;

  constructor(
    private readonly activeMs: number,
    private readonly idleMs: number,
    private readonly idleAfterMs: number,
    private readonly clock: () => number,
  ) {
    this.lastChangeMs = clock();
    this.delayMs = activeMs;
  }

  /** A poll found something new (a version, adoptable or not). */
  sawChange(): void {
    this.lastChangeMs = this.clock();
    this.delayMs = this.activeMs;
  }

  /** True once no change was seen for `idleAfterMs`: the schedule is backing off. */
  get idle(): boolean {
    return this.clock() - this.lastChangeMs >= this.idleAfterMs;
  }

  /** How long to wait before the next poll (at most what setTimeout can wait). */
  nextDelayMs(): number {
    if (!this.idle) return Math.min(maxTimerMs, this.activeMs);
    this.delayMs = Math.min(maxTimerMs, Math.max(this.idleMs, this.activeMs), this.delayMs * 2);
    return this.delayMs;
  }
}
