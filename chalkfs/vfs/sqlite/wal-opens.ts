/*
 * The `-wal` files open on a follower, and what becomes of one the version served no
 * longer holds while it holds its database: the writer's last connection checkpointed the
 * WAL whole and deleted it, and maybe opened the database again, which made a new `-wal`
 * (another inode). Such a `-wal` switches with its database (sqlite/live-databases.ts) to
 * the content of the `-wal` the version has at its name, or to an empty file when it has
 * none, which SQLite reads as "the database file holds everything"; and a new `-wal` put
 * beside a database still pinned is pinned to what the pair served here before. So every
 * `-wal` open here under one name reads what a new open of it reads, and no open ever
 * gets the pinned database with the new WAL (docs/CONSISTENCY.md, "WAL mode").
 */
import type { FileInode } from '../../meta/format.js';
import type { Namespace } from '../../meta/namespace.js';
import type { HandleTable } from '../handle-table.js';
import { sameContent } from '../file-content.js';
import { classify } from './sqlite-files.js';
import type { WalPair } from './wal-pairs.js';

/** What WalOpens reads of its follower. */
export interface WalOpensVolume {
  /** The namespace of the version served. */
  served(): Namespace;
  /** The content generation a file's handles are opened at now (vfs/file-generations.ts). */
  generationOf(ino: number): number;
}

interface WalOpen {
  path: string;
  /** The database beside it when it was opened. */
  databaseIno: number | undefined;
}

export class WalOpens {
  private readonly opens = new Map<number, WalOpen>();

  constructor(
    private readonly handles: HandleTable,
    private readonly volume: WalOpensVolume,
  ) {}

  /** A `-wal` at `path` was opened as file `ino`, beside database `databaseIno`. */
  opened(ino: number, path: string, databaseIno: number | undefined): void {
    this.opens.set(ino, { path, databaseIno });
  }

  /** Forgets the ones no handle holds any more. */
  prune(): void {
    for (const ino of this.opens.keys()) if (!this.handles.isOpen(ino)) this.opens.delete(ino);
  }

  /** The `-wal` files that switch with database `path`: the version's, and every one open here that it deleted or replaced. */
  walFiles(path: string): number[] {
    const walPath = `${path}-wal`;
    const found = this.volume.served().tryResolve(walPath);
    const held = [...this.opens].filter(([ino, opened]) => opened.path === walPath && this.replaced(ino) !== undefined).map(([ino]) => ino);
    return found?.inode.type === 'file' ? [found.ino, ...held] : held;
  }

  /**
   * For `ino`, a `-wal` open here that the version served no longer holds while it holds
   * the database it was opened beside: its path when opened, and what its handles switch
   * to with the database.
   */
  replaced(ino: number, current = this.heldContent(ino)): { path: string; inode: FileInode } | undefined {
    const ns = this.volume.served();
    const { path, databaseIno } = this.opens.get(ino) ?? {};
    if (path === undefined || current === undefined || ns.inodes.has(ino) || databaseIno === undefined) return undefined;
    if (ns.tryResolve(classify(path).database)?.ino !== databaseIno) return undefined;
    const found = ns.tryResolve(path);
    if (found === undefined) return { path, inode: emptied(current) };
    return found.inode.type === 'file' ? { path, inode: found.inode } : undefined;
  }

  /**
   * A pinned database whose `-wal` the version `next` replaced with another inode (the
   * writer closed and opened it again, or this follower adopts a version past both): the
   * new `-wal` is pinned to what the pair served here before, the replaced `-wal`'s
   * content, or an empty file when the database served had none.
   */
  pinReplacing({ databaseIno, walIno, dirIno, walName }: WalPair, before: Namespace, next: Namespace): void {
    const { handles } = this;
    const now = next.inodes.get(walIno);
    if (!handles.isPinned(databaseIno) || handles.isPinned(walIno) || now?.type !== 'file') return;
    const dir = before.inodes.get(dirIno);
    const replacedIno = dir?.type === 'dir' ? dir.entries[walName] : undefined;
    // The same -wal: the pair rule pinned it if it changed.
    if (replacedIno === walIno) return;
    const replaced = replacedIno === undefined ? undefined : before.inodes.get(replacedIno);
    let held: FileInode | undefined;
    if (replaced?.type === 'file') held = handles.served({ ino: replacedIno!, inode: replaced }).inode;
    else {
      // None at that name: a -wal open here that an older version deleted (read as empty since), or none.
      const open = [...this.opens].find(([ino, opened]) => ino !== walIno && handles.isOpen(ino) && next.tryResolve(opened.path)?.ino === walIno && opened.databaseIno === databaseIno);
      held = open === undefined ? emptied(now) : this.heldContent(open[0]);
    }
    if (held !== undefined && !sameContent(held, now)) handles.pin(walIno, held);
  }

  private heldContent(ino: number): FileInode | undefined {
    return this.handles.heldContent(ino, this.volume.generationOf(ino));
  }
}

/** `inode` with no content: what a -wal the version deleted reads as (SQLite: "the database holds everything"). */
function emptied(inode: FileInode): FileInode {
  return { ...inode, sizeBytes: 0, blocks: [], patches: undefined };
}
