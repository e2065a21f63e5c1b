import { ChalkError } from '../util/chalk-error.js';
import { rootIno, type DirInode, type FileInode, type Inode, type SymlinkInode, type VersionRecord } from './format.js';

export const maxNameBytes = 255;

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * The namespace of one volume version in memory: inodes by number, directories holding
 * name -> inode entries. Pure: no I/O, no clock (callers pass `nowMs`). Paths are the
 * absolute, '/'-separated paths FUSE hands over. Errors are ChalkErrors whose kinds map
 * one-to-one to the errno POSIX asks for.
 */
export class Namespace {
  private constructor(
    readonly inodes: Map<number, Inode>,
    public nextIno: number,
  ) {}

  static empty(owner: Owner, nowMs: number): Namespace {
    const root: DirInode = { type: 'dir', mode: 0o755, ...owner, atimeMs: nowMs, mtimeMs: nowMs, ctimeMs: nowMs, entries: {} };
    return new Namespace(new Map([[rootIno, root]]), rootIno + 1);
  }

  static fromRecord(record: Pick<VersionRecord, 'inodes' | 'nextIno'>): Namespace {
    const inodes = new Map<number, Inode>();
    for (const [ino, inode] of Object.entries(record.inodes)) inodes.set(Number(ino), inode);
    return new Namespace(inodes, record.nextIno);
  }

  /** The JSON-ready form of every inode, for a version record. */
  toRecordInodes(): Record<string, Inode> {
    return Object.fromEntries(this.inodes);
  }

  get(ino: number): Inode {
    const inode = this.inodes.get(ino);
    if (!inode) throw new ChalkError('not-found', `inode ${ino} does not exist`);
    return inode;
  }

  resolve(path: string): { ino: number; inode: Inode } {
    let ino = rootIno;
    let inode = this.get(rootIno);
    for (const name of splitPath(path)) {
      if (inode.type !== 'dir') throw new ChalkError('not-a-directory', `${path}: a path component is not a directory`);
      const next = inode.entries[name];
      if (next === undefined) throw new ChalkError('not-found', `${path}: no such file or directory`);
      ino = next;
      inode = this.get(next);
    }
    return { ino, inode };
  }

  tryResolve(path: string): { ino: number; inode: Inode } | undefined {
    try {
      return this.resolve(path);
    } catch (err) {
      if (err instanceof ChalkError && (err.kind === 'not-found' || err.kind === 'not-a-directory')) return undefined;
      throw err;
    }
  }

  /** The directory that holds `path`, and the last name in it. */
  parentOf(path: string): { parentIno: number; parent: DirInode; name: string } {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw new ChalkError('invalid', 'the root directory has no parent');
    if (Buffer.byteLength(name) > maxNameBytes) throw new ChalkError('name-too-long', `${path}: name longer than ${maxNameBytes} bytes`);
    const { ino, inode } = this.resolve('/' + parts.join('/'));
    if (inode.type !== 'dir') throw new ChalkError('not-a-directory', `${path}: parent is not a directory`);
    return { parentIno: ino, parent: inode, name };
  }

  createFile(path: string, mode: number, owner: Owner, nowMs: number): { ino: number; inode: FileInode } {
    const inode: FileInode = { type: 'file', mode: mode & 0o7777, ...owner, atimeMs: nowMs, mtimeMs: nowMs, ctimeMs: nowMs, sizeBytes: 0, blocks: [] };
    return { ino: this.link(path, inode, nowMs), inode };
  }

  mkdir(path: string, mode: number, owner: Owner, nowMs: number): number {
    const inode: DirInode = { type: 'dir', mode: mode & 0o7777, ...owner, atimeMs: nowMs, mtimeMs: nowMs, ctimeMs: nowMs, entries: {} };
    return this.link(path, inode, nowMs);
  }

  symlink(target: string, path: string, owner: Owner, nowMs: number): number {
    const inode: SymlinkInode = { type: 'symlink', mode: 0o777, ...owner, atimeMs: nowMs, mtimeMs: nowMs, ctimeMs: nowMs, target };
    return this.link(path, inode, nowMs);
  }

  /** Removes a file or symlink; returns its inode number (open handles may still use it). */
  unlink(path: string, nowMs: number): number {
    const { parent, name } = this.parentOf(path);
    const ino = parent.entries[name];
    if (ino === undefined) throw new ChalkError('not-found', `${path}: no such file or directory`);
    if (this.get(ino).type === 'dir') throw new ChalkError('is-a-directory', `${path}: is a directory`);
    delete parent.entries[name];
    this.inodes.delete(ino);
    touchDir(parent, nowMs);
    return ino;
  }

  /** Puts back an entry unlink() removed (a journal deletion whose commit failed). */
  restore(parentIno: number, name: string, ino: number, inode: Inode): boolean {
    const parent = this.inodes.get(parentIno);
    if (parent?.type !== 'dir' || parent.entries[name] !== undefined || this.inodes.has(ino)) return false;
    parent.entries[name] = ino;
    this.inodes.set(ino, inode);
    return true;
  }

  rmdir(path: string, nowMs: number): void {
    const { parent, name } = this.parentOf(path);
    const ino = parent.entries[name];
    if (ino === undefined) throw new ChalkError('not-found', `${path}: no such file or directory`);
    const inode = this.get(ino);
    if (inode.type !== 'dir') throw new ChalkError('not-a-directory', `${path}: not a directory`);
    if (Object.keys(inode.entries).length > 0) throw new ChalkError('not-empty', `${path}: directory not empty`);
    delete parent.entries[name];
    this.inodes.delete(ino);
    touchDir(parent, nowMs);
  }

  /**
   * rename(2): replaces an existing target as POSIX says (a file by a file, an empty
   * directory by a directory). Returns the inode number of a replaced file, if any.
   */
  rename(from: string, to: string, nowMs: number): number | undefined {
    const src = this.parentOf(from);
    const srcIno = src.parent.entries[src.name];
    if (srcIno === undefined) throw new ChalkError('not-found', `${from}: no such file or directory`);
    const srcInode = this.get(srcIno);
    const dst = this.parentOf(to);
    const dstIno = dst.parent.entries[dst.name];
    if (dstIno === srcIno) return undefined;
    if (srcInode.type === 'dir' && this.isAncestor(srcIno, dst.parentIno)) {
      throw new ChalkError('invalid', `cannot move ${from} into its own subdirectory ${to}`);
    }
    let replaced: number | undefined;
    if (dstIno !== undefined) {
      const dstInode = this.get(dstIno);
      if (srcInode.type === 'dir') {
        if (dstInode.type !== 'dir') throw new ChalkError('not-a-directory', `${to}: not a directory`);
        if (Object.keys(dstInode.entries).length > 0) throw new ChalkError('not-empty', `${to}: directory not empty`);
      } else if (dstInode.type === 'dir') {
        throw new ChalkError('is-a-directory', `${to}: is a directory`);
      }
      this.inodes.delete(dstIno);
      replaced = dstInode.type === 'dir' ? undefined : dstIno;
    }
    delete src.parent.entries[src.name];
    dst.parent.entries[dst.name] = srcIno;
    srcInode.ctimeMs = nowMs;
    touchDir(src.parent, nowMs);
    touchDir(dst.parent, nowMs);
    return replaced;
  }

  /** Number of links: 1 for files and symlinks, 2 + subdirectories for directories. */
  nlink(inode: Inode): number {
    if (inode.type !== 'dir') return 1;
    let subdirs = 0;
    for (const child of Object.values(inode.entries)) if (this.inodes.get(child)?.type === 'dir') subdirs++;
    return 2 + subdirs;
  }

  stats(): { files: number; directories: number; sizeBytes: number } {
    let files = 0;
    let directories = 0;
    let sizeBytes = 0;
    for (const inode of this.inodes.values()) {
      if (inode.type === 'file') {
        files++;
        sizeBytes += inode.sizeBytes;
      } else if (inode.type === 'dir') directories++;
    }
    return { files, directories, sizeBytes };
  }

  /** Every path in the namespace with its inode, depth first (for consistency checks and tests). */
  *walk(dirIno = rootIno, prefix = ''): Generator<{ path: string; ino: number; inode: Inode }> {
    const dir = this.get(dirIno);
    if (dir.type !== 'dir') return;
    for (const [name, ino] of Object.entries(dir.entries)) {
      const inode = this.get(ino);
      const path = `${prefix}/${name}`;
      yield { path, ino, inode };
      if (inode.type === 'dir') yield* this.walk(ino, path);
    }
  }

  private link(path: string, inode: Inode, nowMs: number): number {
    const { parent, name } = this.parentOf(path);
    if (parent.entries[name] !== undefined) throw new ChalkError('exists', `${path}: file exists`);
    const ino = this.nextIno++;
    this.inodes.set(ino, inode);
    parent.entries[name] = ino;
    touchDir(parent, nowMs);
    return ino;
  }

  private isAncestor(ancestorIno: number, ino: number): boolean {
    if (ancestorIno === ino) return true;
    const ancestor = this.get(ancestorIno);
    if (ancestor.type !== 'dir') return false;
    for (const child of Object.values(ancestor.entries)) {
      if (this.inodes.get(child)?.type === 'dir' && this.isAncestor(child, ino)) return true;
    }
    return false;
  }
}

export function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part.length > 0);
}

function touchDir(dir: DirInode, nowMs: number): void {
  dir.mtimeMs = nowMs;
  dir.ctimeMs = nowMs;
}
