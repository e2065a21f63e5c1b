/*
 * The live model of one volume version in memory, and the only code that changes it:
 * inodes by number, directories holding name -> inode entries, changed through named
 * operations (createFile, mkdir, link, unlink, rename, setMode, setSize, applySeal...).
 * A file, symlink, FIFO or socket may have several names (hard links): its link count is
 * the number of entries naming it, counted at load and kept up to date here, and the inode
 * goes with its last name. Pure: no I/O, no clock (callers pass `nowMs`). Paths are the
 * absolute, '/'-separated paths FUSE hands over. Errors are ChalkErrors whose kinds map
 * one-to-one to the errno POSIX asks for.
 *
 * Its inodes are its own mutable type, copied from a decoded version (fromRecord) and
 * into a version (snapshot); everyone else sees them through the readonly wire types of
 * meta/format.ts. Such a view is of the live inode, so it shows later changes (a handle
 * reads its file's current size), while a snapshot is a deep copy nothing changes after.
 */
import { ChalkError } from '../util/chalk-error.js';
import { entryCounts, rootIno, type DirInode, type FileInode, type Inode, type PatchExtent, type VersionRecord } from './format.js';
import { inodeStats, walkInodes, type NamespaceStats } from './namespace-walk.js';
import { copyInode, dropPatchesFrom, splitPath, touch, type LiveDir, type LiveFile, type LiveInode, type LiveSpecial, type LiveSymlink } from './live-inode.js';

export const maxNameBytes = 255;

export interface Owner {
  uid: number;
  gid: number;
}

/** What a version stores of a namespace, copied at one instant. */
export type NamespaceSnapshot = Pick<VersionRecord, 'inodes' | 'nextIno'>;

/** A sealed block's new content: a new base (a hash, or null for a hole; its patches go), or extents over its base. */
export type SealedBlock = { readonly hash: string | null } | { readonly patch: readonly PatchExtent[] };

/** What sealing a file's dirty blocks changes in its inode (vfs/file-data.ts computes it, applySeal applies it). */
export interface FileSeal {
  readonly blocks: ReadonlyMap<number, SealedBlock>;
  /** The file's length in blocks: its block list is cut to this, and to its last non-hole. */
  readonly blockCount: number;
}

export class Namespace {
  /** Each live inode, keyed by the readonly view callers hold of it: the same object. */
  private readonly owned = new WeakMap<Inode, LiveInode>();
  /** How many entries name each inode (never stored: derived from the entries). */
  private readonly names: Map<number, number>;

  private constructor(
    private readonly live: Map<number, LiveInode>,
    private next: number,
  ) {
    for (const inode of live.values()) this.owned.set(inode, inode);
    this.names = entryCounts(live.values());
  }

  static empty(owner: Owner, nowMs: number): Namespace {
    const root: LiveDir = { type: 'dir', mode: 0o755, ...owner, atimeMs: nowMs, mtimeMs: nowMs, ctimeMs: nowMs, entries: {} };
    return new Namespace(new Map([[rootIno, root]]), rootIno + 1);
  }

  /** A live copy of a decoded version's namespace: the record is left as it is. */
  static fromRecord(record: NamespaceSnapshot): Namespace {
    const inodes = new Map<number, LiveInode>();
    for (const [ino, inode] of Object.entries(record.inodes)) inodes.set(Number(ino), copyInode(inode));
    return new Namespace(inodes, record.nextIno);
  }

  /** A deep copy of every inode as it is now, for a version record. */
  snapshot(): NamespaceSnapshot {
    const inodes: Record<string, Inode> = {};
    for (const [ino, inode] of this.live) inodes[ino] = copyInode(inode);
    return { nextIno: this.next, inodes };
  }

  /** Every inode of the namespace, by number. */
  get inodes(): ReadonlyMap<number, Inode> {
    return this.live;
  }

  /** The number the next inode created gets. */
  get nextIno(): number {
    return this.next;
  }

  get(ino: number): Inode {
    return this.node(ino);
  }

  resolve(path: string): { ino: number; inode: Inode } {
    return this.locate(path);
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
    return this.parentDir(path);
  }

  createFile(path: string, mode: number, owner: Owner, nowMs: number): { ino: number; inode: FileInode } {
    const inode: LiveFile = { type: 'file', mode: mode & 0o7777, ...owner, atimeMs: nowMs, mtimeMs: nowMs, ctimeMs: nowMs, sizeBytes: 0, blocks: [] };
    return { ino: this.attach(path, inode, nowMs), inode };
  }

  mkdir(path: string, mode: number, owner: Owner, nowMs: number): number {
    const inode: LiveDir = { type: 'dir', mode: mode & 0o7777, ...owner, atimeMs: nowMs, mtimeMs: nowMs, ctimeMs: nowMs, entries: {} };
    return this.attach(path, inode, nowMs);
  }

  symlink(target: string, path: string, owner: Owner, nowMs: number): number {
    const inode: LiveSymlink = { type: 'symlink', mode: 0o777, ...owner, atimeMs: nowMs, mtimeMs: nowMs, ctimeMs: nowMs, target };
    return this.attach(path, inode, nowMs);
  }

  /** mknod(2) of a FIFO or a unix socket: a name with attributes and no data. */
  mknod(path: string, type: LiveSpecial['type'], mode: number, owner: Owner, nowMs: number): number {
    const inode: LiveSpecial = { type, mode: mode & 0o7777, ...owner, atimeMs: nowMs, mtimeMs: nowMs, ctimeMs: nowMs };
    return this.attach(path, inode, nowMs);
  }

  /** link(2): `path` becomes one more name of the inode at `existing` (never a directory: not-permitted, as POSIX says). */
  link(existing: string, path: string, nowMs: number): number {
    const { ino, inode } = this.locate(existing);
    if (inode.type === 'dir') throw new ChalkError('not-permitted', `${existing}: hard links to directories are not allowed`);
    const { parent, name } = this.parentDir(path);
    if (parent.entries[name] !== undefined) throw new ChalkError('exists', `${path}: file exists`);
    parent.entries[name] = ino;
    this.names.set(ino, this.nameCount(ino) + 1);
    inode.ctimeMs = nowMs;
    touch(parent, nowMs);
    return ino;
  }

  /**
   * Removes one name of a file, symlink, FIFO or socket; returns its inode number. The
   * inode goes with its last name (open handles may still use it: `inodes.has` says).
   */
  unlink(path: string, nowMs: number): number {
    const { parent, name } = this.parentDir(path);
    const ino = parent.entries[name];
    if (ino === undefined) throw new ChalkError('not-found', `${path}: no such file or directory`);
    const inode = this.node(ino);
    if (inode.type === 'dir') throw new ChalkError('is-a-directory', `${path}: is a directory`);
    delete parent.entries[name];
    this.dropName(ino, inode, nowMs);
    touch(parent, nowMs);
    return ino;
  }

  /** Puts back an entry unlink() removed (a journal deletion whose commit failed), also when the inode kept other names. */
  restore(parentIno: number, name: string, ino: number, inode: Inode): boolean {
    const restored = this.own(inode);
    const parent = this.live.get(parentIno);
    const current = this.live.get(ino);
    if (parent?.type !== 'dir' || parent.entries[name] !== undefined || (current !== undefined && current !== restored)) return false;
    parent.entries[name] = ino;
    this.live.set(ino, restored);
    this.names.set(ino, this.nameCount(ino) + 1);
    return true;
  }

  /**
   * Names `inode`, new to this namespace, as `name` in directory `parentIno`, under a
   * number no writer hands out: a follower's own files (vfs/sqlite/empty-wals.ts), never
   * stored. False when the name or the number is taken.
   */
  addLocal(parentIno: number, name: string, ino: number, inode: Inode): boolean {
    const parent = this.live.get(parentIno);
    if (parent?.type !== 'dir' || parent.entries[name] !== undefined || this.live.has(ino)) return false;
    parent.entries[name] = ino;
    this.live.set(ino, copyInode(inode));
    this.names.set(ino, 1);
    return true;
  }

  rmdir(path: string, nowMs: number): void {
    const { parent, name } = this.parentDir(path);
    const ino = parent.entries[name];
    if (ino === undefined) throw new ChalkError('not-found', `${path}: no such file or directory`);
    const inode = this.node(ino);
    if (inode.type !== 'dir') throw new ChalkError('not-a-directory', `${path}: not a directory`);
    if (Object.keys(inode.entries).length > 0) throw new ChalkError('not-empty', `${path}: directory not empty`);
    delete parent.entries[name];
    this.dropName(ino, inode, nowMs);
    touch(parent, nowMs);
  }

  /**
   * rename(2): replaces an existing target as POSIX says (a file by a file, an empty
   * directory by a directory); two names of one inode are left as they are. Returns the
   * inode number of a file whose last name the target was, if any (the inode is gone).
   */
  rename(from: string, to: string, nowMs: number): number | undefined {
    const src = this.parentDir(from);
    const srcIno = src.parent.entries[src.name];
    if (srcIno === undefined) throw new ChalkError('not-found', `${from}: no such file or directory`);
    const srcInode = this.node(srcIno);
    const dst = this.parentDir(to);
    const dstIno = dst.parent.entries[dst.name];
    if (dstIno === srcIno) return undefined;
    if (srcInode.type === 'dir' && this.isAncestor(srcIno, dst.parentIno)) {
      throw new ChalkError('invalid', `cannot move ${from} into its own subdirectory ${to}`);
    }
    let replaced: number | undefined;
    if (dstIno !== undefined) {
      const dstInode = this.node(dstIno);
      if (srcInode.type === 'dir') {
        if (dstInode.type !== 'dir') throw new ChalkError('not-a-directory', `${to}: not a directory`);
        if (Object.keys(dstInode.entries).length > 0) throw new ChalkError('not-empty', `${to}: directory not empty`);
      } else if (dstInode.type === 'dir') {
        throw new ChalkError('is-a-directory', `${to}: is a directory`);
      }
      if (this.dropName(dstIno, dstInode, nowMs) && dstInode.type !== 'dir') replaced = dstIno;
    }
    delete src.parent.entries[src.name];
    dst.parent.entries[dst.name] = srcIno;
    srcInode.ctimeMs = nowMs;
    touch(src.parent, nowMs);
    touch(dst.parent, nowMs);
    return replaced;
  }

  /** chmod(2): the permission bits of `mode`. */
  setMode(inode: Inode, mode: number, nowMs: number): void {
    const live = this.own(inode);
    live.mode = mode & 0o7777;
    live.ctimeMs = nowMs;
  }

  /** chown(2): an id left undefined is left as it is. */
  setOwner(inode: Inode, owner: Partial<Owner>, nowMs: number): void {
    const live = this.own(inode);
    if (owner.uid !== undefined) live.uid = owner.uid;
    if (owner.gid !== undefined) live.gid = owner.gid;
    live.ctimeMs = nowMs;
  }

  /** utimensat(2): a time left undefined is left as it is. */
  setTimes(inode: Inode, times: { atimeMs?: number; mtimeMs?: number }, nowMs: number): void {
    const live = this.own(inode);
    if (times.atimeMs !== undefined) live.atimeMs = times.atimeMs;
    if (times.mtimeMs !== undefined) live.mtimeMs = times.mtimeMs;
    live.ctimeMs = nowMs;
  }

  /** The content changed: mtime and ctime. */
  touchData(inode: Inode, nowMs: number): void {
    touch(this.own(inode), nowMs);
  }

  /** A write ended at `endBytes`: the file grows to reach it (never shrinks). */
  extendTo(file: FileInode, endBytes: number): void {
    const live = this.ownFile(file);
    live.sizeBytes = Math.max(live.sizeBytes, endBytes);
  }

  /** truncate(2) of the inode's size: a smaller file forgets the blocks and patches past its end. */
  setSize(file: FileInode, sizeBytes: number, blockSizeBytes: number): void {
    const live = this.ownFile(file);
    const shrinks = sizeBytes < live.sizeBytes;
    live.sizeBytes = sizeBytes;
    if (!shrinks) return;
    const keepBlocks = Math.ceil(sizeBytes / blockSizeBytes);
    if (live.blocks.length > keepBlocks) live.blocks.length = keepBlocks;
    dropPatchesFrom(live, keepBlocks);
  }

  /** Points a file's blocks at what a seal made of its dirty blocks (vfs/file-data.ts). */
  applySeal(file: FileInode, seal: FileSeal): void {
    const live = this.ownFile(file);
    for (const [index, block] of seal.blocks) {
      while (live.blocks.length < index) live.blocks.push(null);
      if ('patch' in block) {
        (live.patches ??= {})[index] = block.patch;
        continue;
      }
      if (live.patches?.[index]) delete live.patches[index];
      live.blocks[index] = block.hash;
    }
    if (live.blocks.length > seal.blockCount) live.blocks.length = seal.blockCount;
    while (live.blocks.length > 0 && live.blocks[live.blocks.length - 1] === null) live.blocks.pop();
    dropPatchesFrom(live, live.blocks.length);
  }

  /**
   * st_nlink of inode `ino`: its names for everything but directories (0 once unlinked),
   * 2 + subdirectories for directories.
   */
  nlink(ino: number): number {
    const inode = this.live.get(ino);
    if (inode?.type !== 'dir') return this.nameCount(ino);
    let subdirs = 0;
    for (const child of Object.values(inode.entries)) if (this.live.get(child)?.type === 'dir') subdirs++;
    return 2 + subdirs;
  }

  stats(): NamespaceStats {
    return inodeStats(this.live.values());
  }

  /** Every path in the namespace with its inode, depth first (for consistency checks and tests). */
  walk(dirIno = rootIno, prefix = ''): Generator<{ path: string; ino: number; inode: Inode }> {
    return walkInodes(this.live, dirIno, prefix);
  }

  /** A new inode, named `path`. */
  private attach(path: string, inode: LiveInode, nowMs: number): number {
    const { parent, name } = this.parentDir(path);
    if (parent.entries[name] !== undefined) throw new ChalkError('exists', `${path}: file exists`);
    const ino = this.next++;
    this.live.set(ino, inode);
    this.owned.set(inode, inode);
    this.names.set(ino, 1);
    parent.entries[name] = ino;
    touch(parent, nowMs);
    return ino;
  }

  private nameCount(ino: number): number {
    return this.names.get(ino) ?? 0;
  }

  /** One entry naming the inode went: its link count drops (ctime), at zero the inode goes. Returns whether it went. */
  private dropName(ino: number, inode: LiveInode, nowMs: number): boolean {
    const left = this.nameCount(ino) - 1;
    if (left > 0) {
      this.names.set(ino, left);
      inode.ctimeMs = nowMs;
      return false;
    }
    this.names.delete(ino);
    this.live.delete(ino);
    return true;
  }

  private node(ino: number): LiveInode {
    const inode = this.live.get(ino);
    if (!inode) throw new ChalkError('not-found', `inode ${ino} does not exist`);
    return inode;
  }

  private locate(path: string): { ino: number; inode: LiveInode } {
    let ino = rootIno;
    let inode = this.node(rootIno);
    for (const name of splitPath(path)) {
      if (inode.type !== 'dir') throw new ChalkError('not-a-directory', `${path}: a path component is not a directory`);
      const next = inode.entries[name];
      if (next === undefined) throw new ChalkError('not-found', `${path}: no such file or directory`);
      ino = next;
      inode = this.node(next);
    }
    return { ino, inode };
  }

  private parentDir(path: string): { parentIno: number; parent: LiveDir; name: string } {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw new ChalkError('invalid', 'the root directory has no parent');
    if (Buffer.byteLength(name) > maxNameBytes) throw new ChalkError('name-too-long', `${path}: name longer than ${maxNameBytes} bytes`);
    const { ino, inode } = this.locate('/' + parts.join('/'));
    if (inode.type !== 'dir') throw new ChalkError('not-a-directory', `${path}: parent is not a directory`);
    return { parentIno: ino, parent: inode, name };
  }

  /**
   * The live inode behind a view this namespace handed out, linked or not (an unlinked
   * file stays open through its handles). A view of anything else, a decoded record's
   * inode for one, is refused: only this namespace's own inodes are changed here.
   */
  private own(inode: Inode): LiveInode {
    const live = this.owned.get(inode);
    if (!live) throw new ChalkError('invalid', 'the inode is not one of this namespace');
    return live;
  }

  private ownFile(file: FileInode): LiveFile {
    const live = this.own(file);
    if (live.type !== 'file') throw new ChalkError('invalid', 'the inode is not a file');
    return live;
  }

  private isAncestor(ancestorIno: number, ino: number): boolean {
    if (ancestorIno === ino) return true;
    const ancestor = this.node(ancestorIno);
    if (ancestor.type !== 'dir') return false;
    for (const child of Object.values(ancestor.entries)) {
      if (this.live.get(child)?.type === 'dir' && this.isAncestor(child, ino)) return true;
    }
    return false;
  }
}
