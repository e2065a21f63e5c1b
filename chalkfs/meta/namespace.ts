/*
 * The live model of one volume version in memory, and the only code that changes it:
 * inodes by number, directories holding name -> inode entries, changed through named
 * operations (createFile, mkdir, unlink, rename, setMode, setSize, applySeal...). Pure:
 * no I/O, no clock (callers pass `nowMs`). Paths are the absolute, '/'-separated paths
 * FUSE hands over. Errors are ChalkErrors whose kinds map one-to-one to the errno POSIX
 * asks for.
 *
 * Its inodes are its own mutable type, copied from a decoded version (fromRecord) and
 * into a version (snapshot); everyone else sees them through the readonly wire types of
 * meta/format.ts. Such a view is of the live inode, so it shows later changes (a handle
 * reads its file's current size), while a snapshot is a deep copy nothing changes after.
 */
import { ChalkError } from '../util/chalk-error.js';
import { rootIno, type DirInode, type FileInode, type Inode, type PatchExtent, type VersionRecord } from './format.js';

export const maxNameBytes = 255;

export interface Owner {
  uid: number;
  gid: number;
}

interface LiveBase { mode: number; uid: number; gid: number; atimeMs: number; mtimeMs: number; ctimeMs: number }

interface LiveFile extends LiveBase {
  type: 'file';
  sizeBytes: number;
  blocks: (string | null)[];
  /** Each block's extents are replaced whole, never changed in place: snapshots share them. */
  patches?: Record<string, readonly PatchExtent[]>;
}

interface LiveDir extends LiveBase {
  type: 'dir';
  entries: Record<string, number>;
}

interface LiveSymlink extends LiveBase {
  type: 'symlink';
  target: string;
}

/** An inode as this module holds it: the wire type's fields, mutable. */
type LiveInode = LiveFile | LiveDir | LiveSymlink;

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

  private constructor(
    private readonly live: Map<number, LiveInode>,
    private next: number,
  ) {
    for (const inode of live.values()) this.owned.set(inode, inode);
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
    return { ino: this.link(path, inode, nowMs), inode };
  }

  mkdir(path: string, mode: number, owner: Owner, nowMs: number): number {
    const inode: LiveDir = { type: 'dir', mode: mode & 0o7777, ...owner, atimeMs: nowMs, mtimeMs: nowMs, ctimeMs: nowMs, entries: {} };
    return this.link(path, inode, nowMs);
  }

  symlink(target: string, path: string, owner: Owner, nowMs: number): number {
    const inode: LiveSymlink = { type: 'symlink', mode: 0o777, ...owner, atimeMs: nowMs, mtimeMs: nowMs, ctimeMs: nowMs, target };
    return this.link(path, inode, nowMs);
  }

  /** Removes a file or symlink; returns its inode number (open handles may still use it). */
  unlink(path: string, nowMs: number): number {
    const { parent, name } = this.parentDir(path);
    const ino = parent.entries[name];
    if (ino === undefined) throw new ChalkError('not-found', `${path}: no such file or directory`);
    if (this.node(ino).type === 'dir') throw new ChalkError('is-a-directory', `${path}: is a directory`);
    delete parent.entries[name];
    this.live.delete(ino);
    touch(parent, nowMs);
    return ino;
  }

  /** Puts back an entry unlink() removed (a journal deletion whose commit failed). */
  restore(parentIno: number, name: string, ino: number, inode: Inode): boolean {
    const restored = this.own(inode);
    const parent = this.live.get(parentIno);
    if (parent?.type !== 'dir' || parent.entries[name] !== undefined || this.live.has(ino)) return false;
    parent.entries[name] = ino;
    this.live.set(ino, restored);
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
    this.live.delete(ino);
    touch(parent, nowMs);
  }

  /**
   * rename(2): replaces an existing target as POSIX says (a file by a file, an empty
   * directory by a directory). Returns the inode number of a replaced file, if any.
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
      this.live.delete(dstIno);
      replaced = dstInode.type === 'dir' ? undefined : dstIno;
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

  /** Number of links: 1 for files and symlinks, 2 + subdirectories for directories. */
  nlink(inode: Inode): number {
    if (inode.type !== 'dir') return 1;
    let subdirs = 0;
    for (const child of Object.values(inode.entries)) if (this.live.get(child)?.type === 'dir') subdirs++;
    return 2 + subdirs;
  }

  stats(): { files: number; directories: number; sizeBytes: number } {
    let files = 0;
    let directories = 0;
    let sizeBytes = 0;
    for (const inode of this.live.values()) {
      if (inode.type === 'file') {
        files++;
        sizeBytes += inode.sizeBytes;
      } else if (inode.type === 'dir') directories++;
    }
    return { files, directories, sizeBytes };
  }

  /** Every path in the namespace with its inode, depth first (for consistency checks and tests). */
  *walk(dirIno = rootIno, prefix = ''): Generator<{ path: string; ino: number; inode: Inode }> {
    const dir = this.node(dirIno);
    if (dir.type !== 'dir') return;
    for (const [name, ino] of Object.entries(dir.entries)) {
      const inode = this.node(ino);
      const path = `${prefix}/${name}`;
      yield { path, ino, inode };
      if (inode.type === 'dir') yield* this.walk(ino, path);
    }
  }

  private link(path: string, inode: LiveInode, nowMs: number): number {
    const { parent, name } = this.parentDir(path);
    if (parent.entries[name] !== undefined) throw new ChalkError('exists', `${path}: file exists`);
    const ino = this.next++;
    this.live.set(ino, inode);
    this.owned.set(inode, inode);
    parent.entries[name] = ino;
    touch(parent, nowMs);
    return ino;
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

function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part.length > 0);
}

/** The content changed (a file's data, a directory's entries): mtime and ctime. */
function touch(inode: LiveInode, nowMs: number): void {
  inode.mtimeMs = nowMs;
  inode.ctimeMs = nowMs;
}

/** Forgets the patches of blocks from `index` on (the file no longer reaches them). */
function dropPatchesFrom(file: LiveFile, index: number): void {
  if (!file.patches) return;
  for (const key of Object.keys(file.patches)) if (Number(key) >= index) delete file.patches[key];
  if (Object.keys(file.patches).length === 0) delete file.patches;
}

/**
 * A deep copy, key order kept (the encoding is byte for byte the same). Patch extents
 * are shared: they are never changed in place.
 */
function copyInode(inode: Inode): LiveInode {
  if (inode.type === 'file') {
    return inode.patches ? { ...inode, blocks: [...inode.blocks], patches: { ...inode.patches } } : { ...inode, blocks: [...inode.blocks] };
  }
  if (inode.type === 'dir') return { ...inode, entries: { ...inode.entries } };
  return { ...inode };
}
