/*
 * A mount's open files: handle numbers, how many handles each inode has open, and pins.
 * A pin keeps a SQLite file at the inode of an older version while it is open on a
 * follower (docs/CONSISTENCY.md): lookups of that file answer with the pinned inode until
 * its last handle is released or the file is switched. Other files are never pinned on a
 * follower: each handle keeps the content it opened, under the content generation it was
 * opened at (vfs/file-generations.ts), and later opens get the newest. A writer never
 * pins. No I/O, no policy: the volumes decide when to pin, and what to do when a file's
 * last handle goes.
 */
import { ChalkError } from '../util/chalk-error.js';
import type { FileInode, Inode } from '../meta/format.js';
import { SequentialReads } from './sequential-reads.js';

/** The kernel's readahead window on a mount (host/kernel-readahead.ts sets 4 MiB). */
const sequentialWindowBytes = 4 * 1024 * 1024;
/** Handle numbers wrap around below this (and skip 0). */
const maxFh = 0xfffffff0;

export interface Handle {
  ino: number;
  /** The inode this handle reads and writes: the version's at open, or a pinned one. */
  inode: FileInode;
  writable: boolean;
  /** Opened under a host-local name (a WAL's -shm): none of its blocks may reach the store. */
  hostLocal: boolean;
  /** The content generation of the file it was opened at (0 on writers; vfs/file-generations.ts). */
  generation: number;
  /** Opened as a SQLite file (a database by its header, or a journal, -wal or -shm): pinned, never given a new generation. */
  sqlite: boolean;
  /** Writers: the name it was opened under (where a database's journal would be, sqlite/journalless-databases.ts). */
  path: string | undefined;
  reads: SequentialReads;
}

/** How a handle is opened: only `writable` is needed on a writer. */
export interface HandleOptions {
  writable: boolean;
  hostLocal?: boolean;
  generation?: number;
  sqlite?: boolean;
  path?: string;
}

/** One content of an open file, as its handles read it. */
export interface HeldContent {
  ino: number;
  generation: number;
  inode: FileInode;
  sqlite: boolean;
}

/** What releasing a handle ended. */
export interface Released {
  ino: number;
  /** The inode has no handle left. */
  lastClose: boolean;
}

export class HandleTable {
  private readonly handles = new Map<number, Handle>();
  private readonly openCounts = new Map<number, number>();
  private readonly pins = new Map<number, FileInode>();
  private nextFh = 1;

  constructor(private readonly blockSizeBytes: number) {}

  get size(): number {
    return this.handles.size;
  }

  add(ino: number, inode: FileInode, options: HandleOptions): number {
    const { writable, hostLocal = false, generation = 0, sqlite = false, path } = options;
    // After wrapping around, skip numbers still in use: a shared handle (fuse/lowlevel-mount.ts)
    // can outlive billions of other opens.
    while (this.handles.has(this.nextFh)) this.nextFh = this.nextFh >= maxFh ? 1 : this.nextFh + 1;
    const fh = this.nextFh;
    this.nextFh = fh >= maxFh ? 1 : fh + 1;
    this.handles.set(fh, { ino, inode, writable, hostLocal, generation, sqlite, path, reads: new SequentialReads(sequentialWindowBytes, 2 * this.blockSizeBytes) });
    this.openCounts.set(ino, (this.openCounts.get(ino) ?? 0) + 1);
    return fh;
  }

  /** The handle `fh`; a bad-handle error if it is not open. */
  get(fh: number): Handle {
    const handle = this.handles.get(fh);
    if (!handle) throw new ChalkError('bad-handle', `no open file handle ${fh}`);
    return handle;
  }

  find(fh: number): Handle | undefined {
    return this.handles.get(fh);
  }

  /**
   * Undefined when `fh` is not open (a second release is harmless). When the last handle
   * of a pinned file goes, its pin ends (unless `keepsPin` says otherwise): `beforeUnpin`
   * runs just before, while lookups still answer with the pinned inode.
   */
  release(fh: number, beforeUnpin: () => void, keepsPin: (ino: number) => boolean = () => false): Released | undefined {
    const handle = this.handles.get(fh);
    if (!handle) return undefined;
    this.handles.delete(fh);
    const left = (this.openCounts.get(handle.ino) ?? 1) - 1;
    if (left > 0) {
      this.openCounts.set(handle.ino, left);
      return { ino: handle.ino, lastClose: false };
    }
    this.openCounts.delete(handle.ino);
    if (this.pins.has(handle.ino) && !keepsPin(handle.ino)) {
      beforeUnpin();
      this.pins.delete(handle.ino);
    }
    return { ino: handle.ino, lastClose: true };
  }

  isOpen(ino: number): boolean {
    return this.openCounts.has(ino);
  }

  /** The content the handles of `ino` opened at `generation` read, if one is still open. */
  heldContent(ino: number, generation: number): FileInode | undefined {
    for (const handle of this.handles.values()) if (handle.ino === ino && handle.generation === generation) return handle.inode;
    return undefined;
  }

  /** Every content held open, once per file and generation (a SQLite file if any of its handles opened it as one). */
  heldContents(): HeldContent[] {
    const held = new Map<string, HeldContent>();
    for (const { ino, generation, inode, sqlite } of this.handles.values()) {
      const key = `${ino}:${generation}`;
      const known = held.get(key);
      if (known) known.sqlite ||= sqlite;
      else held.set(key, { ino, generation, inode, sqlite });
    }
    return [...held.values()];
  }

  /** Every open handle's inode (an unlinked file's handle still reads its blocks). */
  openInodes(): Iterable<FileInode> {
    return [...this.handles.values()].map((handle) => handle.inode);
  }

  // ---- pins ------------------------------------------------------------------------

  /** The inode `found` as this mount serves it: pinned while open, else as found. */
  served<T extends { ino: number; inode: Inode }>(found: T): T | { ino: number; inode: FileInode } {
    const pinned = this.pins.get(found.ino);
    return pinned ? { ino: found.ino, inode: pinned } : found;
  }

  isPinned(ino: number): boolean {
    return this.pins.has(ino);
  }

  pin(ino: number, inode: FileInode): void {
    this.pins.set(ino, inode);
  }

  /** Every pinned file, with the inode its handles serve. */
  pinned(): [number, FileInode][] {
    return [...this.pins];
  }

  /**
   * Every open handle of `ino` at `generation` now serves `inode`, and its pin ends (a
   * live database's switch). Handles of older generations read another kernel inode: they
   * keep what they read.
   */
  switchOpenFile(ino: number, generation: number, inode: FileInode): void {
    for (const handle of this.handles.values()) if (handle.ino === ino && handle.generation === generation) handle.inode = inode;
    this.pins.delete(ino);
  }
}
