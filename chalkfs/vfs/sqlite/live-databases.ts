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
 * WAL databases switch as a pair, the database and its `-wal` together (a checkpoint
 * changes one, a commit the other), under the lock their readers hold on the `-shm` the
 * follower serves (sqlite/wal-shared-memory.ts): each reader rebuilds its private
 * wal-index when it finds the WAL changed. Every `-wal` still open here under the
 * database's `-wal` name switches too, whatever its inode: when the writer's last
 * connection checkpointed the WAL whole and deleted it, to an empty file (SQLite then
 * reads the database alone), and when the writer opened the database again, which made a
 * new `-wal` (another inode), to that one's content (SQLite sees other salts and rebuilds
 * its index). So connections held open and new ones read the same pair, and the next
 * switches move them all together.
 *
 * Only SQLite databases: their readers take SQLite's locks, so the switch falls between
 * read transactions. Other files keep close-to-open (reader-volume.ts).
 */
import type { Logger } from 'pino';
import type { FileInode } from '../../meta/format.js';
import type { Metrics } from '../../util/metrics.js';
import type { DatabaseGate, LaggingFile } from '../volume-view.js';
import { classify, headerSaysRollback, headerSaysWal, mayBeDatabase } from './sqlite-files.js';

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
  /** The content generation `ino` is served at (vfs/file-generations.ts). */
  generationOf(ino: number): number;
  /** Every handle of `ino` now serves the version served (false: nothing to switch any more). */
  switchToServed(ino: number): boolean;
  /** The inode number of `path` in the version served, if it is a file. */
  servedFile(path: string): number | undefined;
  /**
   * The `-wal` files that switch with database `path`: the version's, and those still open
   * here under its name that the version deleted or replaced (they switch to the content
   * of the version's, or to an empty file when it has none).
   */
  walFiles(path: string): number[];
}

type DatabaseKind = 'rollback' | 'wal' | 'other';

export class LiveDatabases {
  private gate: DatabaseGate | undefined;
  private readonly switching = new Set<number>();
  private readonly lagging = new Map<number, LaggingFile>();
  /** Per lagging file: when to try again, and the pause after that. */
  private readonly retries = new Map<number, { atMs: number; pauseMs: number }>();
  /** Per inode object (one per file per version): what kind of database its header says. */
  private readonly verdicts = new WeakMap<FileInode, DatabaseKind>();

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
    // A WAL pair is switched, and lags, under its database's number and path.
    const files = behind.flatMap((found) => {
      const file = this.databaseOf(found);
      return file === undefined ? [] : [{ file, found }];
    });
    const inos = new Set(files.map(({ file }) => file.ino));
    for (const ino of this.lagging.keys()) if (!inos.has(ino)) this.forgetLag(ino);
    const nowMs = Date.now();
    for (const { file, found } of files) {
      if (this.switching.has(file.ino) || (this.retries.get(file.ino)?.atMs ?? 0) > nowMs) continue;
      this.switching.add(file.ino);
      void this.switchFile(this.gate, file, found).finally(() => this.switching.delete(file.ino));
    }
    this.metrics?.laggingDatabases.set(this.lagging.size);
  }

  /** The database a file behind belongs to: itself, or for a `-wal` its database (undefined: a `-shm` or journal, or none served). */
  private databaseOf(file: BehindFile): BehindFile | undefined {
    const { kind, database } = classify(file.path);
    if (kind === 'db') return file;
    if (kind !== 'wal') return undefined;
    const ino = this.volume.servedFile(database);
    return ino === undefined ? undefined : { ino, path: database, inode: file.inode };
  }

  private async switchFile(gate: DatabaseGate, file: BehindFile, found: BehindFile): Promise<void> {
    const startedMs = performance.now();
    try {
      const kind = found === file ? await this.databaseKind(file) : 'wal';
      if (kind === 'other') return;
      const wal = kind === 'wal' || this.volume.servedFile(`${file.path}-wal`) !== undefined;
      const got = await (wal ? gate.holdWalReaders(file.path) : gate.holdReaders({ ino: file.ino, generation: this.volume.generationOf(file.ino) }));
      const heldMs = performance.now();
      if (!got.held) {
        this.metrics?.databaseSwitches.inc({ outcome: 'held-back' });
        this.lagBehind(file, [...got.blockers]);
        this.logger.info({ path: file.path, blockers: got.blockers }, 'a read transaction holds an open database at its older version; trying again later');
        return;
      }
      try {
        // Under the locks no read transaction is in flight: the pages the kernel holds
        // must go before any can start again. A WAL pair's two files switch together.
        const inos = wal ? [file.ino, ...this.volume.walFiles(file.path)] : [file.ino];
        const switched = inos.filter((ino) => this.volume.switchToServed(ino));
        for (const ino of switched) await gate.dropPages({ ino, generation: this.volume.generationOf(ino) });
      } finally {
        got.release();
      }
      this.forgetLag(file.ino);
      this.metrics?.databaseSwitches.inc({ outcome: 'switched' });
      this.logger.debug({ path: file.path, wal, seq: this.volume.versionSeq, lockMs: Math.round(heldMs - startedMs), switchMs: Math.round(performance.now() - heldMs) }, 'switched an open database to the version served');
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

  private async databaseKind(file: BehindFile): Promise<DatabaseKind> {
    const known = this.verdicts.get(file.inode);
    if (known !== undefined) return known;
    const first = mayBeDatabase(file.inode.sizeBytes) ? await this.volume.firstBlock(file.ino, file.inode) : null;
    const verdict = first === null ? 'other' : headerSaysRollback(first) ? 'rollback' : headerSaysWal(first) ? 'wal' : 'other';
    this.verdicts.set(file.inode, verdict);
    return verdict;
  }
}
