/*
 * A writer's block uploads, at most `concurrency` PUTs in flight. A block a write has just
 * filled starts uploading at once (`start`), while the file is still being written, so a
 * bulk copy keeps the store busy instead of holding everything until a commit; a commit
 * then only waits for what is still in flight (`ensure`). Durability is the commit's, as
 * before: nothing here writes a version, and a commit returns only once every block its
 * version names is in the store. A block uploaded early that no version ends up naming
 * (the file was overwritten, or the daemon died) is garbage like a failed commit's blocks
 * (docs/FORMAT.md, "Snapshots and garbage": gc leaves blocks younger than its grace alone).
 */
export type BlockPut = (hash: string, data: Buffer) => Promise<void>;

interface Upload {
  /** Settles once the PUT is done; an early upload that failed is retried by `ensure`. */
  readonly done: Promise<void>;
  failed: boolean;
}

export class BlockUploads {
  private readonly uploads = new Map<string, Upload>();
  private readonly waiting: Array<() => void> = [];
  private readonly settled = new WeakSet<Upload>();
  private running = 0;
  private roomWaiters: Array<() => void> = [];

  constructor(
    private readonly put: BlockPut,
    private readonly concurrency: number,
  ) {
    if (!(concurrency >= 1)) throw new RangeError(`upload concurrency must be at least 1 (got ${concurrency})`);
  }

  /** Uploads waiting for a slot or in flight. */
  get inFlight(): number {
    return this.running + this.waiting.length;
  }

  /** Starts uploading `data` under `hash` unless it already is (or was) uploaded; does not wait. */
  start(hash: string, data: Buffer): void {
    const known = this.uploads.get(hash);
    if (known && !known.failed) return;
    this.launch(hash, data);
  }

  /**
   * Resolves once the store holds `hash`: waits for its upload if one was started, and
   * uploads it (again, if an early attempt failed) otherwise. Rejects when that fails.
   */
  async ensure(hash: string, data: Buffer): Promise<void> {
    const known = this.uploads.get(hash);
    if (known && !known.failed) {
      try {
        await known.done;
        return;
      } catch {
        // An early upload failed: this commit tries once more, below, and reports its own error.
      }
    }
    await this.launch(hash, data).done;
  }

  /**
   * Resolves once at most `limit` uploads wait or run: a writer that fills blocks faster
   * than the store takes them waits here, so memory stays bounded by the store's speed.
   */
  roomFor(limit: number): Promise<void> {
    if (this.inFlight <= limit) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.inFlight <= limit) resolve();
        else this.roomWaiters.push(check);
      };
      this.roomWaiters.push(check);
    });
  }

  /**
   * Forgets finished uploads except those of `keep` (blocks filled but not yet sealed):
   * after a commit, its version records what the store holds, and the records of blocks
   * overwritten before any commit named them would otherwise pile up.
   */
  forgetFinished(keep: ReadonlySet<string>): void {
    for (const [hash, upload] of this.uploads) {
      if (this.settled.has(upload) && !keep.has(hash)) this.uploads.delete(hash);
    }
  }

  private launch(hash: string, data: Buffer): Upload {
    const upload: Upload = {
      failed: false,
      done: new Promise<void>((resolve, reject) => {
        const run = () => {
          this.running++;
          this.put(hash, data)
            .then(resolve, (err: unknown) => {
              upload.failed = true;
              reject(err);
            })
            .finally(() => {
              this.settled.add(upload);
              this.running--;
              this.waiting.shift()?.();
              for (const check of this.roomWaiters.splice(0)) check();
            });
        };
        if (this.running < this.concurrency) run();
        else this.waiting.push(run);
      }),
    };
    // Observed by ensure; an early upload nobody waits for must not be an unhandled rejection.
    upload.done.catch(() => undefined);
    this.uploads.set(hash, upload);
    return upload;
  }
}
