/*
 * Read-only and pinned mounts serve a WAL-mode SQLite database that has its `-wal` beside
 * it (with an empty read-only `-shm` of their own, sqlite/wal-shared-memory.ts), and one
 * whose header says WAL but whose version holds no `-wal` (the writer closed it) with an
 * empty read-only `-wal` of their own (sqlite/empty-wals.ts): `check` tells which. What
 * still cannot be served (the `-wal` name taken by something else) is refused at open,
 * and the log and status name the cause (docs/CONSISTENCY.md, "WAL mode"), instead of
 * SQLite's generic "unable to open database file".
 */
import type { Logger } from 'pino';
import { ChalkError } from '../../util/chalk-error.js';
import type { FileInode } from '../../meta/format.js';
import { classify, headerSaysWal, mayBeDatabase } from './sqlite-files.js';

export const walRefusalMessage = 'WAL-mode database whose -wal cannot be served read-only across hosts: its -wal name is taken by something other than a file; use journal_mode=DELETE/TRUNCATE/PERSIST';

export interface WalProbe {
  /** Whether `path` exists in the version served, other than as a directory. */
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
   * `needs-empty-wal` when `path` is a WAL-mode database without a `-wal` in the version
   * served; a promise when its header must be loaded first (check again once it
   * resolves), else undefined.
   */
  check(path: string, inode: FileInode, probe: WalProbe): 'needs-empty-wal' | Promise<void> | undefined {
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
    return wal ? 'needs-empty-wal' : undefined;
  }

  /** Whether `inode`'s header is known to say WAL: decided at an open, or from its first block in memory. */
  knownWal(inode: FileInode, peekFirstBlock: () => Buffer | null | undefined): boolean {
    const known = this.verdicts.get(inode);
    if (known !== undefined) return known;
    const block = mayBeDatabase(inode.sizeBytes) ? peekFirstBlock() : null;
    if (block === undefined) return false;
    const wal = block !== null && headerSaysWal(block);
    this.verdicts.set(inode, wal);
    return wal;
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
      'a WAL-mode SQLite database whose -wal or -shm is missing cannot be read from a read-only mount: SQLite tried to create it (the follower serves an empty -wal and a -shm beside a WAL database once the database is opened); have the writer use PRAGMA journal_mode=DELETE (or TRUNCATE/PERSIST) if this persists',
    );
  }

  /** Fails the open of `path`, naming why in the log (once) and status. */
  refuse(path: string, why: string): never {
    const message = `${path}: ${walRefusalMessage} (${why})`;
    this.problem = message;
    if (!this.logged.has(path)) {
      this.logged.add(path);
      this.logger.error({ path, volume: this.volume, why }, walRefusalMessage);
    }
    throw new ChalkError('unsupported', `volume ${this.volume}: ${message}`);
  }
}
