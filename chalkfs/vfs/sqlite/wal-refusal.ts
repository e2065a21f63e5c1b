/*
 * Read-only and pinned mounts serve a WAL-mode SQLite database that has its `-wal` beside
 * it (with an empty read-only `-shm` of their own, sqlite/wal-shared-memory.ts), and
 * refuse to open one whose header says WAL but whose version holds no `-wal` (the writer
 * closed it: SQLite would need to create one, which a read-only mount cannot). That open
 * fails and the log and status name the cause (docs/CONSISTENCY.md, "WAL mode"), instead
 * of SQLite's generic "unable to open database file".
 */
import type { Logger } from 'pino';
import { ChalkError } from '../../util/chalk-error.js';
import type { FileInode } from '../../meta/format.js';
import { classify, headerSaysWal, mayBeDatabase } from './sqlite-files.js';

export const walRefusalMessage = 'WAL-mode database without its -wal file served read-only across hosts is not supported yet: keep a connection open on the writer, or use journal_mode=DELETE/TRUNCATE/PERSIST';

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
    if (probe.exists(`${path}-wal`)) return undefined; // served, with its -shm
    if (!mayBeDatabase(inode.sizeBytes)) return undefined;
    let wal = this.verdicts.get(inode);
    if (wal === undefined) {
      const block = probe.peekFirstBlock();
      if (block === undefined) return probe.loadFirstBlock().then((loaded) => void this.verdicts.set(inode, loaded !== null && headerSaysWal(loaded)));
      wal = block !== null && headerSaysWal(block);
      this.verdicts.set(inode, wal);
    }
    return wal ? this.refuse(path, 'its header says WAL mode and no -wal file is beside it') : undefined;
  }

  /**
   * A SQLite reader of a WAL-mode database whose `-wal` or `-shm` is missing tries to
   * create it, which a read-only mount cannot allow: SQLite then reports only "unable to
   * open database file". Says why in the log, once per file, when one is created
   * (docs/CONSISTENCY.md, "WAL mode"); the create itself is refused by the caller.
   */
  explainWriteOpen(path: string): void {
    const kind = classify(path).kind;
    if ((kind !== 'shm' && kind !== 'wal') || this.writeOpensExplained.has(path)) return;
    this.writeOpensExplained.add(path);
    this.logger.error(
      { path, volume: this.volume },
      'a WAL-mode SQLite database without its -wal file cannot be read from a read-only mount: keep a connection open on the writer, or have it use PRAGMA journal_mode=DELETE (or TRUNCATE/PERSIST)',
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
