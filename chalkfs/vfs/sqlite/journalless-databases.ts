/*
 * SQLite databases a writer changes with no journal on disk (journal_mode=MEMORY or OFF):
 * no file says a transaction is under way, so a version sealed while one writes the
 * database would be marked consistent and hold a torn database (seen: "database disk image
 * is malformed" on every version sealed during a long transaction). What does say so is
 * SQLite's own lock: a rollback-mode writer writes the database file only while it holds
 * EXCLUSIVE, and keeps it until the transaction ends (os_unix.c, pager.c).
 *
 * So before a commit seals, each such database changed since the last check is probed
 * (DatabaseLockProbe: the FUSE layer asks the kernel, off the thread that serves FUSE),
 * and the version is consistent only if none was held EXCLUSIVE and none was written
 * while the probes ran (a write arriving meanwhile may belong to a transaction that took
 * EXCLUSIVE after its probe). A version sealed while one was held leaves the database
 * `unsettled`: later commits probe it again, with nothing else changed, until a version
 * can be marked consistent (WriterVolume's periodic commit).
 *
 * A database counts as journal-less once a write reaches it, with a SQLite header, while
 * neither `X-journal` nor `X-wal` exists beside it: in DELETE, TRUNCATE and PERSIST mode
 * the journal exists whenever the database is written, and in WAL mode the -wal does, so
 * those keep the journal rules alone (sqlite-journals.ts; their commit points happen while
 * SQLite still holds EXCLUSIVE, which a probe would take for a transaction under way).
 */
import type { Namespace } from '../../meta/namespace.js';
import type { DatabaseLockProbe } from '../volume-view.js';
import { hasDatabaseHeader } from './sqlite-files.js';

/** What the probes of one commit found, before it seals. */
export interface LockCheck {
  /** Per database probed: its write count when the probe started, and whether EXCLUSIVE was held. */
  readonly probed: ReadonlyMap<number, { writesBefore: number; held: boolean }>;
}

export class JournallessDatabases {
  /** Journal-less databases by inode number, with the path they were written under. */
  private readonly paths = new Map<number, string>();
  /** Writes seen per journal-less database (compared before and after a probe). */
  private readonly writes = new Map<number, number>();
  /** Journal-less databases written since the last version that could be marked consistent for them. */
  private readonly unsettled = new Set<number>();
  private probe: DatabaseLockProbe | undefined;

  /** Databases whose last probe failed: its failure is told once, until a probe answers again. */
  private readonly failing = new Set<number>();

  /** `log.found`: once per database first seen written with no journal; `log.probeFailed`: once per run of failed probes. */
  constructor(private readonly log: { found(path: string): void; probeFailed(path: string, err: unknown): void } = { found: () => {}, probeFailed: () => {} }) {}

  /** Without a probe (no FUSE layer: an import's single commit), nothing is probed and nothing changes. */
  setProbe(probe: DatabaseLockProbe): void {
    this.probe = probe;
  }

  /** Whether a version still waits to be marked consistent for a database once its writer lets go. */
  get waiting(): boolean {
    return this.probe !== undefined && this.unsettled.size > 0;
  }

  /** A write to file `ino` (opened for writing under `path`) just landed; `firstBlock` is its block 0 if in memory. */
  noteWrite(ns: Namespace, ino: number, path: string, firstBlock: Buffer | null | undefined): void {
    if (this.probe === undefined) return;
    if (!this.paths.has(ino)) {
      if (!firstBlock || !hasDatabaseHeader(firstBlock)) return;
      if (ns.tryResolve(`${path}-journal`) !== undefined || ns.tryResolve(`${path}-wal`) !== undefined) return;
      this.paths.set(ino, path);
      this.log.found(path);
    }
    this.writes.set(ino, (this.writes.get(ino) ?? 0) + 1);
    this.unsettled.add(ino);
  }

  /** The file `ino` is gone for good. */
  forget(ino: number): void {
    this.paths.delete(ino);
    this.writes.delete(ino);
    this.unsettled.delete(ino);
    this.failing.delete(ino);
  }

  /**
   * Probes every unsettled database still in the namespace under its path; a probe that
   * fails counts as held (the version is then not consistent, and the next commit asks again).
   */
  async check(ns: Namespace): Promise<LockCheck> {
    const probed = new Map<number, { writesBefore: number; held: boolean }>();
    const probe = this.probe;
    if (probe === undefined) return { probed };
    const probes: Promise<void>[] = [];
    for (const ino of this.unsettled) {
      const path = this.paths.get(ino);
      // Gone, or renamed (SQLite does neither to a database it has open): nothing to wait for.
      if (path === undefined || ns.tryResolve(path)?.ino !== ino) {
        this.forget(ino);
        continue;
      }
      const writesBefore = this.writes.get(ino) ?? 0;
      const answered = (held: boolean) => {
        this.failing.delete(ino);
        probed.set(ino, { writesBefore, held });
      };
      const failed = (err: unknown) => {
        if (!this.failing.has(ino)) this.log.probeFailed(path, err);
        this.failing.add(ino);
        probed.set(ino, { writesBefore, held: true });
      };
      probes.push(probe.exclusiveHeld(path).then(answered, failed));
    }
    await Promise.all(probes);
    return { probed };
  }

  /**
   * At the seal (synchronous with it): whether every journal-less database is at a
   * transaction boundary by `check`. Those that are, and were not written since, are
   * settled; the others stay unsettled for the next commit.
   */
  settle(check: LockCheck): boolean {
    let settled = true;
    for (const ino of this.unsettled) {
      const found = check.probed.get(ino);
      if (found && !found.held && found.writesBefore === this.writes.get(ino)) this.unsettled.delete(ino);
      else settled = false;
    }
    return settled;
  }
}
