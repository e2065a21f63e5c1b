/*
 * SQLite databases that processes hold open on a follower follow the versions it adopts
 * (issue 15; docs/CONSISTENCY.md, "Readers on other hosts"). When a version changes a
 * rollback-journal database that is open, its handles first keep serving the version they
 * read (a pin, handle-table.ts), and the file lags the mount. Then, off the adoption path,
 * the daemon holds the file's read transactions back with SQLite's own EXCLUSIVE lock
 * (DatabaseGate: a helper thread of the FUSE layer), switches every open handle to the
 * version the mount serves, has the kernel drop the file's pages and attributes, and lets
 * go. SQLite sees its file change counter moved at its next read transaction and drops its
 * cache, as after a local writer's commit. A read transaction that does not end makes the
 * wait give up: the file keeps lagging (named, with its blockers, in `chalkfs status`) and
 * the switch is tried again at the next refresh. No other file waits for it.
 *
 * Only rollback-journal databases: their readers take SQLite's locks, so the switch falls
 * between read transactions. Other files keep close-to-open (reader-volume.ts).
 */
import type { Logger } from 'pino';
import type { FileInode } from '../../meta/format.js';
import type { Metrics } from '../../util/metrics.js';
import type { DatabaseGate, LaggingFile } from '../volume-view.js';
import { headerSaysRollback, mayBeDatabase } from './sqlite-files.js';

/** After a give-up, the next try of that file waits `firstMs`, doubling up to `maxMs`: a held-back switch holds new readers back for its whole wait. */
const retryPause = { firstMs: 250, maxMs: 4_000 } as const;

/** An open file served at an older version than the mount's. */
export interface BehindFile {
  ino: number;
  path: string;
  /** What its handles serve now. */
  inode: FileInode;
}

/** What the follower (ReaderVolume) offers. */
export interface LiveVolume {
  readonly versionSeq: number;
  /** Open files whose handles serve another content than the version served. */
  filesBehind(): BehindFile[];
  firstBlock(ino: number, inode: FileInode): Promise<Buffer | null>;
  /** Every handle of `ino` now serves the version served (false: nothing to switch any more). */
  switchToServed(ino: number): boolean;
}

export class LiveDatabases {
  private gate: DatabaseGate | undefined;
  private readonly switching = new Set<number>();
  private readonly lagging = new Map<number, LaggingFile>();
  /** Per lagging file: when to try again, and the pause after that. */
  private readonly retries = new Map<number, { atMs: number; pauseMs: number }>();
  /** Per inode object (one per file per version): is it a rollback-journal database? */
  private readonly verdicts = new WeakMap<FileInode, boolean>();

  constructor(
    private readonly volume: LiveVolume,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {}

  setGate(gate: DatabaseGate): void {
    this.gate = gate;
  }

  /** The databases whose last switch their readers held back. */
  laggingFiles(): LaggingFile[] {
    return [...this.lagging.values()];
  }

  /** Starts a switch for every open database behind the version served; never waits for one. */
  follow(): void {
    if (this.gate === undefined) return;
    const behind = this.volume.filesBehind();
    const inos = new Set(behind.map((f) => f.ino));
    for (const ino of this.lagging.keys()) if (!inos.has(ino)) this.forgetLag(ino);
    const nowMs = Date.now();
    for (const file of behind) {
      if (this.switching.has(file.ino) || (this.retries.get(file.ino)?.atMs ?? 0) > nowMs) continue;
      this.switching.add(file.ino);
      void this.switchFile(this.gate, file).finally(() => this.switching.delete(file.ino));
    }
    this.metrics?.laggingDatabases.set(this.lagging.size);
  }

  private async switchFile(gate: DatabaseGate, file: BehindFile): Promise<void> {
    try {
      if (!(await this.isRollbackDatabase(file))) return;
      const got = await gate.holdReaders(file.ino);
      if (!got.held) {
        this.metrics?.databaseSwitches.inc({ outcome: 'held-back' });
        this.lagBehind(file, [...got.blockers]);
        this.logger.info({ path: file.path, blockers: got.blockers }, 'a read transaction holds an open database at its older version; trying again later');
        return;
      }
      try {
        // Under EXCLUSIVE no read transaction is in flight: the pages the kernel holds
        // must go before any can start again.
        if (this.volume.switchToServed(file.ino)) await gate.dropPages(file.ino);
      } finally {
        got.release();
      }
      this.forgetLag(file.ino);
      this.metrics?.databaseSwitches.inc({ outcome: 'switched' });
    } catch (err) {
      this.metrics?.databaseSwitches.inc({ outcome: 'failed' });
      this.lagBehind(file, []);
      this.logger.warn({ err, path: file.path }, 'switching an open database to the version served failed; trying again later');
    }
  }

  /** The file keeps lagging: remembered for status, and tried again after a doubling pause. */
  private lagBehind(file: BehindFile, blockers: { lock: string; pid: number }[]): void {
    const before = this.lagging.get(file.ino);
    this.lagging.set(file.ino, { path: file.path, seq: before?.seq ?? this.volume.versionSeq, sinceMs: before?.sinceMs ?? Date.now(), blockers });
    const pauseMs = this.retries.get(file.ino)?.pauseMs ?? retryPause.firstMs;
    this.retries.set(file.ino, { atMs: Date.now() + pauseMs, pauseMs: Math.min(2 * pauseMs, retryPause.maxMs) });
  }

  private forgetLag(ino: number): void {
    this.lagging.delete(ino);
    this.retries.delete(ino);
  }

  private async isRollbackDatabase(file: BehindFile): Promise<boolean> {
    const known = this.verdicts.get(file.inode);
    if (known !== undefined) return known;
    const first = mayBeDatabase(file.inode.sizeBytes) ? await this.volume.firstBlock(file.ino, file.inode) : null;
    const verdict = first !== null && headerSaysRollback(first);
    this.verdicts.set(file.inode, verdict);
    return verdict;
  }
}
