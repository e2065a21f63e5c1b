// A tiny in-memory filesystem served through chalkfs's libfuse 3 binding
// (chalkfs/fuse/lowlevel.ts), for the binding's integration tests. It counts the
// requests that reach JavaScript, so a test can tell what the C layer answered alone.
import { constants } from 'node:fs';
import {
  ROOT_INO,
  replyAttr,
  replyBuf,
  replyCreate,
  replyDirents,
  replyDirentsPlus,
  replyEntry,
  replyErr,
  replyOk,
  replyOpen,
  replyReadlink,
  replyStatfs,
  replyWrite,
  requestContext,
  type FuseAttr,
  type FuseAttrChanges,
  type FuseEntry,
  type FuseRequest,
  type Ino,
  type LowLevelHandlers,
  type ReplyKind,
} from '../../chalkfs/fuse/lowlevel.js';

const E = constants;
const errno = { ENOENT: 2, EEXIST: 17, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENOTEMPTY: 39, EPERM: 1 };

interface Node {
  attr: FuseAttr;
  children?: Map<string, Ino>;
  data?: Buffer;
  target?: string;
}

export interface MemoryFsOptions {
  /** Kernel caching of names (positive and negative) and of attributes, in seconds. */
  entryTimeoutS: number;
  attrTimeoutS: number;
  /** Open replies ask the kernel to keep its page cache. */
  keepCache: boolean;
  /** Read-only opens are offered as shared handles. */
  share?: boolean;
  /**
   * Reads are answered with pieces of this many bytes (replyBuf with an array), the last
   * reaching 5 bytes past what the kernel asked for when the file has them: the binding
   * must cut the reply at the requested size.
   */
  readPieceBytes?: number;
}

export class MemoryFs {
  readonly nodes = new Map<Ino, Node>();
  readonly calls = new Map<string, number>();
  readonly setattrs: FuseAttrChanges[] = [];
  readonly released: number[] = [];
  private nextIno = ROOT_INO + 1;
  private nextFh = 1;

  constructor(private readonly options: MemoryFsOptions) {
    this.nodes.set(ROOT_INO, { attr: this.attr(ROOT_INO, E.S_IFDIR | 0o755, 0, 0, 0), children: new Map() });
  }

  count(op: string): number {
    return this.calls.get(op) ?? 0;
  }

  /** Adds a file without the kernel hearing of it (as another host's change would). */
  addFile(parent: Ino, name: string, content: string, mode = 0o644, uid = 0): Ino {
    const ino = this.nextIno++;
    this.nodes.set(ino, { attr: { ...this.attr(ino, E.S_IFREG | mode, uid, 0, content.length) }, data: Buffer.from(content) });
    this.dir(parent).children!.set(name, ino);
    return ino;
  }

  addDir(parent: Ino, name: string, mode: number): Ino {
    const ino = this.nextIno++;
    this.nodes.set(ino, { attr: this.attr(ino, E.S_IFDIR | mode, 0, 0, 0), children: new Map() });
    this.dir(parent).children!.set(name, ino);
    this.dir(parent).attr.nlink++;
    return ino;
  }

  /** Replaces a file's bytes without the kernel hearing of it; size and mtime stay. */
  overwriteQuietly(ino: Ino, content: string): void {
    this.nodes.get(ino)!.data = Buffer.from(content);
  }

  inoOf(parent: Ino, name: string): Ino | undefined {
    return this.nodes.get(parent)?.children?.get(name);
  }

  private attr(ino: Ino, mode: number, uid: number, gid: number, size: number): FuseAttr {
    const now = Date.now();
    return { ino, mode, nlink: (mode & E.S_IFMT) === E.S_IFDIR ? 2 : 1, uid, gid, size, atimeMs: now, mtimeMs: now, ctimeMs: now };
  }

  private dir(ino: Ino): Node {
    const node = this.nodes.get(ino);
    if (node?.children === undefined) throw new Error(`not a directory: ${ino}`);
    return node;
  }

  private entry(ino: Ino): FuseEntry & { ino: Ino } {
    const { attrTimeoutS, entryTimeoutS } = this.options;
    return { ino, attr: { ...this.nodes.get(ino)!.attr }, attrTimeoutS, entryTimeoutS };
  }

  private touch(node: Node): void {
    node.attr.mtimeMs = node.attr.ctimeMs = Date.now();
  }

  private make(req: FuseRequest<'entry'> | FuseRequest<'create'>, parent: Ino, name: string, mode: number, init: Partial<Node>): Ino | undefined {
    const dir = this.nodes.get(parent);
    if (dir?.children === undefined) return void replyErr(req, errno.ENOTDIR);
    if (dir.children.has(name)) return void replyErr(req, errno.EEXIST);
    const ctx = requestContext(req);
    const ino = this.nextIno++;
    this.nodes.set(ino, { attr: this.attr(ino, mode, ctx.uid, ctx.gid, init.data?.length ?? init.target?.length ?? 0), ...init });
    dir.children.set(name, ino);
    if (init.children) dir.attr.nlink++;
    this.touch(dir);
    return ino;
  }

  private counted<A extends unknown[]>(op: string, fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      this.calls.set(op, this.count(op) + 1);
      fn(...args);
    };
  }

  private node(req: FuseRequest<ReplyKind>, ino: Ino): Node | undefined {
    const node = this.nodes.get(ino);
    if (node === undefined) replyErr(req, errno.ENOENT);
    return node;
  }

  private listing(ino: Ino): [string, Ino][] {
    const dir = this.dir(ino);
    return [['.', ino], ['..', ROOT_INO], ...dir.children!.entries()];
  }

  handlers(): LowLevelHandlers {
    const t = this.options.attrTimeoutS;
    const h: LowLevelHandlers = {
      lookup: (req, parent, name) => {
        const ino = this.nodes.get(parent)?.children?.get(name);
        replyEntry(req, ino === undefined ? { ino: 0, entryTimeoutS: this.options.entryTimeoutS } : this.entry(ino));
      },
      forget: () => {},
      getattr: (req, ino) => {
        const node = this.node(req, ino);
        if (node) replyAttr(req, node.attr, t);
      },
      setattr: (req, ino, changes) => {
        const node = this.node(req, ino);
        if (!node) return;
        this.setattrs.push(changes);
        const a = node.attr;
        const now = Date.now();
        if (changes.mode !== undefined) a.mode = (a.mode & E.S_IFMT) | (changes.mode & 0o7777);
        if (changes.uid !== undefined) a.uid = changes.uid;
        if (changes.gid !== undefined) a.gid = changes.gid;
        if (changes.size !== undefined) {
          const data = Buffer.alloc(changes.size);
          node.data?.copy(data, 0, 0, changes.size);
          node.data = data;
          a.size = changes.size;
          a.mtimeMs = now;
        }
        if (changes.atime !== undefined) a.atimeMs = changes.atime === 'now' ? now : changes.atime;
        if (changes.mtime !== undefined) a.mtimeMs = changes.mtime === 'now' ? now : changes.mtime;
        a.ctimeMs = now;
        replyAttr(req, a, t);
      },
      readlink: (req, ino) => {
        const node = this.node(req, ino);
        if (node) node.target === undefined ? replyErr(req, errno.EINVAL) : replyReadlink(req, node.target);
      },
      mknod: (req, parent, name, mode) => {
        if ((mode & E.S_IFMT) !== E.S_IFREG && (mode & E.S_IFMT) !== E.S_IFIFO) return void replyErr(req, errno.EPERM);
        const ino = this.make(req, parent, name, mode, { data: Buffer.alloc(0) });
        if (ino !== undefined) replyEntry(req, this.entry(ino));
      },
      mkdir: (req, parent, name, mode) => {
        const ino = this.make(req, parent, name, E.S_IFDIR | mode, { children: new Map() });
        if (ino !== undefined) replyEntry(req, this.entry(ino));
      },
      symlink: (req, target, parent, name) => {
        const ino = this.make(req, parent, name, E.S_IFLNK | 0o777, { target });
        if (ino !== undefined) replyEntry(req, this.entry(ino));
      },
      link: (req, ino, newParent, newName) => {
        const dir = this.nodes.get(newParent)!;
        if (dir.children!.has(newName)) return void replyErr(req, errno.EEXIST);
        dir.children!.set(newName, ino);
        this.nodes.get(ino)!.attr.nlink++;
        replyEntry(req, this.entry(ino));
      },
      unlink: (req, parent, name) => this.remove(req, parent, name, false),
      rmdir: (req, parent, name) => this.remove(req, parent, name, true),
      rename: (req, parent, name, newParent, newName, flags) => {
        const from = this.dir(parent).children!;
        const to = this.dir(newParent).children!;
        const ino = from.get(name);
        if (ino === undefined) return void replyErr(req, errno.ENOENT);
        if (flags !== 0 && to.has(newName)) return void replyErr(req, flags === 1 ? errno.EEXIST : errno.EINVAL);
        const replaced = to.get(newName);
        if (replaced !== undefined) this.nodes.get(replaced)!.attr.nlink--;
        from.delete(name);
        to.set(newName, ino);
        replyOk(req);
      },
      open: (req, ino, flags) => {
        const node = this.node(req, ino);
        if (!node) return;
        if ((flags & E.O_TRUNC) !== 0) node.data = Buffer.alloc(0);
        const readOnly = (flags & 3) === E.O_RDONLY;
        replyOpen(req, { fh: this.nextFh++, keepCache: this.options.keepCache, share: readOnly && this.options.share === true });
      },
      read: (req, ino, size, offset) => {
        const node = this.node(req, ino);
        if (!node) return;
        const data = node.data ?? Buffer.alloc(0);
        const pieceBytes = this.options.readPieceBytes;
        if (pieceBytes === undefined) return void replyBuf(req, data.subarray(offset, offset + size));
        const pieces: Buffer[] = [];
        for (let at = offset; at < Math.min(data.length, offset + size + 5); at += pieceBytes) pieces.push(data.subarray(at, Math.min(at + pieceBytes, offset + size + 5)));
        replyBuf(req, pieces);
      },
      write: (req, ino, data, offset) => {
        const node = this.node(req, ino);
        if (!node) return;
        const old = node.data ?? Buffer.alloc(0);
        const grown = Buffer.alloc(Math.max(old.length, offset + data.length));
        old.copy(grown);
        data.copy(grown, offset);
        node.data = grown;
        node.attr.size = grown.length;
        this.touch(node);
        replyWrite(req, data.length);
      },
      flush: (req) => replyOk(req),
      release: (req, _ino, fh) => {
        this.released.push(fh);
        replyOk(req);
      },
      fsync: (req) => replyOk(req),
      opendir: (req) => replyOpen(req, { fh: this.nextFh++ }),
      readdir: (req, ino, _size, offset) => {
        const list = this.listing(ino).slice(offset);
        const modes = list.map(([, i]) => this.nodes.get(i)!.attr.mode);
        replyDirents(req, list.map(([name, i], k) => ({ name, ino: i, mode: modes[k]!, offset: offset + k + 1 })));
      },
      readdirplus: (req, ino, _size, offset) => {
        const list = this.listing(ino).slice(offset);
        replyDirentsPlus(req, list.map(([name, i], k) => ({ name, entry: this.entry(i), offset: offset + k + 1 })));
      },
      releasedir: (req) => replyOk(req),
      statfs: (req) => replyStatfs(req, { bsize: 4096, blocks: 1000, bfree: 500, bavail: 400, files: 100, ffree: 50 }),
      create: (req, parent, name, mode) => {
        const ino = this.make(req, parent, name, mode, { data: Buffer.alloc(0) });
        if (ino !== undefined) replyCreate(req, this.entry(ino), { fh: this.nextFh++ });
      },
      fallocate: (req, ino, mode, offset, length) => {
        const node = this.node(req, ino);
        if (!node) return;
        if (mode !== 0) return void replyErr(req, 95);
        const end = offset + length;
        if (end > (node.data?.length ?? 0)) {
          const grown = Buffer.alloc(end);
          node.data?.copy(grown);
          node.data = grown;
          node.attr.size = end;
        }
        replyOk(req);
      },
    };
    const counted: Record<string, unknown> = {};
    for (const [op, fn] of Object.entries(h)) counted[op] = this.counted(op, fn as (...args: unknown[]) => void);
    return counted as LowLevelHandlers;
  }

  private remove(req: FuseRequest<'none'>, parent: Ino, name: string, dir: boolean): void {
    const children = this.dir(parent).children!;
    const ino = children.get(name);
    if (ino === undefined) return void replyErr(req, errno.ENOENT);
    const node = this.nodes.get(ino)!;
    if (dir !== (node.children !== undefined)) return void replyErr(req, dir ? errno.ENOTDIR : errno.EISDIR);
    if (dir && node.children!.size > 0) return void replyErr(req, errno.ENOTEMPTY);
    children.delete(name);
    node.attr.nlink--;
    if (dir) this.dir(parent).attr.nlink--;
    replyOk(req);
  }
}
