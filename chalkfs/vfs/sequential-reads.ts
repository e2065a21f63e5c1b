/*
 * Tells a sequential reader (a SQLite full scan, a copy) from a random one, per open
 * handle, so that only the first gets blocks prefetched. The kernel's readahead sends a
 * sequential reader's reads concurrently and slightly out of order (anywhere inside its
 * readahead window), so reads count as one run when they land within `windowBytes` of the
 * furthest byte that run has read; a run is sequential once it has read `thresholdBytes`.
 * A point query reads a handful of pages, some of them close together (SQLite's header
 * page and the B-tree root): well under the threshold, so it prefetches nothing.
 *
 * Several runs are followed at once (up to `maxRuns`, the least recently extended one
 * replaced first): a read-only handle may be shared by every process of the host that
 * opens the file (fuse/lowlevel-mount.ts), and two scans of one file must not break each other's run.
 */
export class SequentialReads {
  private runs: { frontier: number; bytes: number }[] = [];
  private last: { frontier: number; bytes: number } | undefined;

  constructor(
    private readonly windowBytes: number,
    private readonly thresholdBytes: number,
    private readonly maxRuns = 4,
  ) {}

  /** Records a read of `count` bytes at `offset`; true when it continues a sequential run. */
  observe(offset: number, count: number): boolean {
    let run = this.runs.find((r) => offset >= r.frontier - this.windowBytes && offset <= r.frontier + this.windowBytes);
    if (run) {
      run.bytes += count;
      run.frontier = Math.max(run.frontier, offset + count);
      this.runs = [run, ...this.runs.filter((r) => r !== run)];
    } else {
      run = { frontier: offset + count, bytes: count };
      this.runs = [run, ...this.runs].slice(0, this.maxRuns);
    }
    this.last = run;
    return count > 0 && run.bytes >= this.thresholdBytes;
  }

  /** Where the run the last read belonged to has read up to (the next byte it will ask for). */
  get nextOffset(): number {
    return this.last?.frontier ?? -1;
  }
}
