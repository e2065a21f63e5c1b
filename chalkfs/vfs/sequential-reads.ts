/**
 * Tells a sequential reader (a SQLite full scan, a copy) from a random one, per open
 * handle, so that only the first gets blocks prefetched. The kernel's readahead sends a
 * sequential reader's reads concurrently and slightly out of order (anywhere inside its
 * readahead window), so reads count as a run when they land within `windowBytes` of the
 * furthest byte read so far; a run is sequential once it has read `thresholdBytes`. A
 * point query reads a handful of pages, some of them close together (SQLite's header
 * page and the B-tree root): well under the threshold, so it prefetches nothing.
 */
export class SequentialReads {
  private frontier = -1;
  private runBytes = 0;

  constructor(
    private readonly windowBytes: number,
    private readonly thresholdBytes: number,
  ) {}

  /** Records a read of `count` bytes at `offset`; true when the handle reads sequentially. */
  observe(offset: number, count: number): boolean {
    const near = this.frontier >= 0 && offset >= this.frontier - this.windowBytes && offset <= this.frontier + this.windowBytes;
    if (near) {
      this.runBytes += count;
      this.frontier = Math.max(this.frontier, offset + count);
    } else {
      this.runBytes = count;
      this.frontier = offset + count;
    }
    return count > 0 && this.runBytes >= this.thresholdBytes;
  }

  /** Where the run has read up to (the next byte a sequential reader asks for). */
  get nextOffset(): number {
    return this.frontier;
  }
}
