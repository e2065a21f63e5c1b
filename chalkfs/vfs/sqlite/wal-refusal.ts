/*
 * Read-only and pinned mounts refuse to open a WAL-mode SQLite database. Across hosts a
 * reader has no WAL index it could trust (the writer's `-shm` is its own host's shared
 * memory and is never stored), so SQLite would either fail generically or, given a stale
 * index, return wrong data that quick_check calls ok. Until WAL is served properly, the
 * open fails and the log and status name the cause (docs/CONSISTENCY.md, "WAL mode").
 */
import type { Logger } from 'pino';
import { ChalkError } from '../../util/chalk-error.js';
import type { FileInode } from '../../meta/format.js';
import { classify, headerSaysWal, mayBeDatabase } from './sqlite-files.js';

export const walRefusalMessage = 'WAL-mode database served read-only across hosts is not supported yet: use journal_mode=DELETE/TRUNCATE/PERSIST';

export interface WalProbe {
  /** Whether `path` exists in the version served. */
  exists(path: string): boolean;
  /** The file's first block if in memory (null for a hole), else undefined. */
  peekFirstBlock(): Buffer | null | undefined;
  loadFirstBlock(): Promise<Buffer | null>;
}

export class WalRefusal {
  /** Per inode object (one per file per version): does its header say WAL? */
  private readonly verdicts = new WeakMap<FileInode, boolean>();
  private readonly logged = new Set<string>();
  private readonly writeOpensExplained = new Set<string>();
  /** The last refusal, for `chalkfs status`. */
  problem: string | undefined;

  constructor(
    private readonly volume: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Throws `unsupported` when `path` is a WAL-mode database; returns a promise when its
   * header must be loaded first (check again once it resolves), else undefined.
   */
  check(path: string, inode: FileInode, probe: WalProbe): Promise<void> | undefined {
    if (classify(path).kind !== 'db') return undefined;
    if (probe.exists(`${path}-wal`)) return this.refuse(path, 'a -wal file is beside it');
    if (!mayBeDatabase(inode.sizeBytes)) return undefined;
    let wal = this.verdicts.get(inode);
    if (wal === undefined) {
      const block = probe.peekFirstBlock();
      if (block === undefined) return probe.loadFirstBlock().then((loaded) => void this.verdicts.set(inode, loaded !== null && headerSaysWal(loaded)));
      wal = block !== null && headerSaysWal(block);
      this.verdicts.set(inode, wal);
    }
    return wal ? this.refuse(path, 'its header says WAL mode') : undefined;
  }

  /**
   * A SQLite reader of a WAL-mode database needs a writable `-shm` next to it, which a
   * read-only mount cannot give: SQLite then reports only "unable to open database
   * file". Says why in the log, once per file, when a `-shm` or `-wal` is opened for
   * writing (docs/CONSISTENCY.md, "WAL mode"); the open itself is refused by the caller.
   */
  explainWriteOpen(path: string): void {
    const kind = classify(path).kind;
    if ((kind !== 'shm' && kind !== 'wal') || this.writeOpensExplained.has(path)) return;
    this.writeOpensExplained.add(path);
    this.logger.error(
      { path, volume: this.volume },
      'a WAL-mode SQLite database cannot be read from a read-only mount (no shared -shm across hosts): have the writer use PRAGMA journal_mode=DELETE (or TRUNCATE/PERSIST)',
    );
  }

  private refuse(path: string, why: string): never {
    const message = `${path}: ${walRefusalMessage} (${why})`;
    this.problem = message;
    if (!this.logged.has(path)) {
      this.logged.add(path);
      this.logger.error({ path, volume: this.volume, why }, walRefusalMessage);
    }
    throw new ChalkError('unsupported', `volume ${this.volume}: ${message}`);
  }
}
