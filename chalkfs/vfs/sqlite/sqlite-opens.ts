/*
 * Which files a follower opens as SQLite files: a `-journal`, `-wal` or `-shm` by its
 * name, any other file by its header (the SQLite magic). SQLite keeps its POSIX locks on
 * the kernel's inode, and a follower switches an open database under those locks
 * (live-databases.ts), so every open of a SQLite file on a host must reach one kernel
 * inode: such files are pinned while open (the old close-to-open rule for the whole host),
 * never given a new content generation (file-generations.ts). Other files are told apart
 * from databases by size first (mayBeDatabase), so most never need their header.
 */
import type { FileInode } from '../../meta/format.js';
import { classify, hasDatabaseHeader, mayBeDatabase } from './sqlite-files.js';

export interface FirstBlockProbe {
  /** Without I/O: undefined when the block is not in memory. */
  peek(): Buffer | null | undefined;
  load(): Promise<Buffer | null>;
}

export class SqliteOpens {
  /** Per inode object (one per file per version): does its header say SQLite? */
  private readonly verdicts = new WeakMap<FileInode, boolean>();

  /** Whether `path` holding `inode` is a SQLite file; a promise when its header must be loaded first (ask again once it resolves). */
  check(path: string, inode: FileInode, probe: FirstBlockProbe): boolean | Promise<void> {
    if (classify(path).kind !== 'db') return true;
    if (!mayBeDatabase(inode.sizeBytes)) return false;
    const known = this.verdicts.get(inode);
    if (known !== undefined) return known;
    const block = probe.peek();
    if (block === undefined) return probe.load().then((loaded) => void this.verdicts.set(inode, loaded !== null && hasDatabaseHeader(loaded)));
    const verdict = block !== null && hasDatabaseHeader(block);
    this.verdicts.set(inode, verdict);
    return verdict;
  }
}
