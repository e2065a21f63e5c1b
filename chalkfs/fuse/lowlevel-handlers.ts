// The libfuse 3 binding's handlers for a chalkfs volume: each request's node ids become
// paths (node-table.ts) and content generations (node-ids.ts), the path-based VolumeView
// answers, and the answer goes back
// through a reply function of lowlevel.ts. Thin on purpose: each op is served by
// serveRequest (serve-request.ts: timed, bounded, errors turned into errnos).
import type { Logger } from 'pino';
import type { Metrics } from '../util/metrics.js';
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import type { Attributes } from '../vfs/attributes.js';
import type { VolumeView } from '../vfs/volume-view.js';
import { totalLength } from '../vfs/block-math.js';
import { openIntent } from './kernel-args.js';
import { serveRequest } from './serve-request.js';
import { InodeReads, NO_HANDLE } from './inode-reads.js';
import {
  replyAttr,
  replyCreate,
  replyDirents,
  replyEntry,
  replyErr,
  replyOk,
  replyOpen,
  replyBuf,
  replyReadlink,
  replyStatfs,
  replyWrite,
  requestContext,
  type FuseAttr,
  type FuseAttrChanges,
  type FuseDirent,
  type FuseEntry,
  type FuseRequest,
  type Ino,
  type LowLevelHandlers,
  type ReplyKind,
} from './lowlevel.js';
import { NodeTable } from './node-table.js';
import { NodeIds } from './node-ids.js';
import { OpenNodes } from './open-nodes.js';
import { callerOwned, callerOwner, posixOpHandlers } from './lowlevel-posix-ops.js';
import { linkHandlers } from './lowlevel-link-handlers.js';

const S_IFDIR = 0o040000;
const O_TRUNC = 0o1000;
const ENOENT = 2;
const EINVAL = 22;

export interface VolumeHandlerOptions {
  volume: VolumeView;
  logger: Logger;
  metrics?: Metrics;
  attrTimeoutS: number;
  entryTimeoutS: number;
  negativeTimeoutS: number;
  /** Open replies keep the kernel's page cache (it drops pages itself when attributes change). */
  keepCache: boolean;
  /** Read-only opens of shareable handles answer later read-only opens in C. */
  shareOpens: boolean;
  /** flush commits on read-write mounts only; elsewhere it stays unregistered. */
  writable: boolean;
  /** Requests that only read are answered ETIMEDOUT after this long (serve-request.ts). */
  opTimeoutMs: number;
  /** Opens never reach the daemon (no_open): reads are served by inode (inode-reads.ts). */
  noOpen: boolean;
}

/** `a` as the kernel gets it for node `node` (st_ino is the node id: node-ids.ts). */
export function fuseAttr(a: Attributes, node: Ino = a.ino): FuseAttr {
  return { ino: node, mode: a.mode, nlink: a.nlink, uid: a.uid, gid: a.gid, size: a.size, blocks: a.blocks, blksize: a.blksize, atimeMs: a.atimeMs, mtimeMs: a.mtimeMs, ctimeMs: a.ctimeMs };
}

export class VolumeHandlers {
  readonly nodes = new NodeTable();
  /** Which (inode, content generation) each node id stands for. */
  readonly ids = new NodeIds();
  /** The last attributes answered per node: a detached or stale node's fstat. */
  readonly lastAttrs = new Map<Ino, Attributes>();
  private readonly listings = new Map<number, FuseDirent[]>();
  private nextListing = 1;
  /** Nodes held open, and unlink's hiding of them (open-nodes.ts). */
  private readonly openNodes: OpenNodes;

  /**
   * Set on a read-write mount with the C attribute cache: a write's new attributes go into
   * it before the write's reply (the kernel asks for attributes after every write; C
   * answers). Attribute and entry replies fill the cache by themselves.
   */
  attributesChanged: ((ino: Ino, attrs: FuseAttr) => void) | undefined;
  /**
   * Set on mounts that revoke cached names (LowLevelMount): a name about to be answered
   * missing; returns how long the kernel may cache that (0: not at all).
   */
  missingName: ((parent: Ino, name: string) => number) | undefined;
  /** Followers: the daemon's lock helper (by request pid), the one writer-open allowed. */
  lockHelper: ((pid: number) => boolean) | undefined;
  /** Set with the C attribute cache: a node lost a name but lives on (its st_nlink and ctime changed). */
  attributesStale: ((ino: Ino) => void) | undefined;

  private readonly inodeReads: InodeReads | undefined;

  constructor(private readonly options: VolumeHandlerOptions) {
    this.openNodes = new OpenNodes({ nodes: this.nodes, volume: options.volume, childOf: (parent, name) => this.childOf(parent, name), lastMode: (ino) => this.lastAttrs.get(ino)?.mode });
    this.inodeReads = options.noOpen ? new InodeReads(options.volume, (ino) => this.pathOf(ino)) : undefined;
  }

  pushAttributes(ino: Ino): void {
    if (this.attributesChanged === undefined) return;
    let a: Attributes;
    try {
      a = this.attributes(ino);
    } catch {
      return; // no path (hidden files have one): the kernel's next getattr asks JavaScript
    }
    this.attributesChanged(ino, fuseAttr(a, ino));
  }

  private get v(): VolumeView {
    return this.options.volume;
  }

  /**
   * The node's attributes by its path, if that path still names its inode, at the node's
   * content generation. Else, while a handle holds the node's content, as that handle
   * serves it (fstat of a descriptor whose file a version adopted since deleted or
   * replaced); else a node no handle holds any more answers what it was last told (its
   * content never changes; the kernel forgets it once unused).
   */
  attributes(node: Ino): Attributes {
    const path = this.nodes.path(node);
    const last = this.lastAttrs.get(node);
    const { ino, generation } = this.ids.contentOf(node);
    let a: Attributes | undefined;
    try {
      a = path === undefined ? undefined : this.v.getattr(path, generation);
    } catch (err) {
      if (!isChalkError(err, 'not-found') && !isChalkError(err, 'stale')) throw err;
    }
    // Gone, held no more, or the path names another inode (replaced in a version adopted since).
    if (a === undefined || (a.ino !== ino && node !== 1)) {
      a = this.v.openFileAttributes(ino, generation) ?? (this.nodes.has(node) ? last : undefined);
      if (a === undefined) throw new ChalkError('not-found', path === undefined ? `inode ${node} has no name` : `${path}: gone or replaced`);
    }
    this.lastAttrs.set(node, a);
    return a;
  }

  pathOf(ino: Ino): string {
    const path = this.nodes.path(ino);
    if (path === undefined) throw new ChalkError('not-found', `inode ${ino} has no name`);
    return path;
  }

  childOf(parent: Ino, name: string): string {
    const path = this.nodes.childPath(parent, name);
    if (path === undefined) throw new ChalkError('not-found', `inode ${parent} has no name`);
    return path;
  }

  /** The entry handing the kernel `a`'s node, counted as one more lookup of it under `name` in `parent`. */
  private entry(parent: Ino, name: string, a: Attributes): FuseEntry & { ino: Ino } {
    const node = this.ids.nodeOf(a.ino, a.generation);
    this.lastAttrs.set(node, a);
    this.nodes.remember(parent, name, node);
    return { ino: node, attr: fuseAttr(a, node), attrTimeoutS: this.options.attrTimeoutS, entryTimeoutS: this.options.entryTimeoutS };
  }

  /** The kernel holds one lookup of `node` fewer (a refused reply, or a forget). */
  private forgetNode(node: Ino, count: number): void {
    this.nodes.forget(node, count);
    if (this.nodes.has(node)) return;
    this.lastAttrs.delete(node);
    this.ids.forgotten(node);
    this.inodeReads?.forget(node);
  }

  /** Replies a positive entry for `path` and counts the kernel's new lookup of it. */
  replyNewEntry(req: FuseRequest<'entry'>, parent: Ino, name: string, path: string): void {
    const e = this.entry(parent, name, this.v.getattr(path));
    // A refused reply (interrupted request) counted no lookup in the kernel.
    if (replyEntry(req, e) < 0) this.forgetNode(e.ino, 1);
  }

  serve<K extends ReplyKind, T>(op: string, req: FuseRequest<K>, where: () => string, fn: () => T | Promise<T>, reply: (value: T) => void, late?: (value: T) => void): void {
    serveRequest(this.options, op, where, fn, reply, (errno) => replyErr(req, errno), late);
  }

  handlers(): LowLevelHandlers {
    const v = this.v;
    const o = this.options;
    const n = this.nodes;
    const handlers: LowLevelHandlers = {
      lookup: (req, parent, name) => {
        const where = () => this.childOf(parent, name);
        this.serve('lookup', req, where, () => {
          try {
            return v.getattr(where());
          } catch (err) {
            if (err instanceof ChalkError && err.kind === 'not-found') return undefined;
            throw err;
          }
        }, (a) => {
          if (a === undefined) return void replyEntry(req, { ino: 0, entryTimeoutS: this.missingName?.(parent, name) ?? o.negativeTimeoutS });
          const e = this.entry(parent, name, a);
          if (replyEntry(req, e) < 0) this.forgetNode(e.ino, 1);
        });
      },
      forget: (items) => {
        for (const { ino, nlookup } of items) this.forgetNode(ino, nlookup);
      },
      getattr: (req, ino) => this.serve('getattr', req, () => this.pathOf(ino), () => this.attributes(ino), (a) => replyAttr(req, fuseAttr(a, ino), o.attrTimeoutS)),
      setattr: (req, ino, changes, fh) => this.serve('setattr', req, () => this.pathOf(ino), () => this.setattr(ino, changes, fh), (a) => replyAttr(req, fuseAttr(a, ino), o.attrTimeoutS)),
      statfs: (req) =>
        this.serve('statfs', req, () => '/', () => v.statfs(), (s) =>
          replyStatfs(req, { bsize: s.bsize, frsize: s.frsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, namemax: s.namemax }),
        ),
      readlink: (req, ino) => this.serve('readlink', req, () => this.pathOf(ino), () => v.readlink(this.pathOf(ino)), (target) => replyReadlink(req, target)),

      create: (req, parent, name, mode) => {
        const where = () => this.childOf(parent, name);
        this.serve('create', req, where, () => v.create(where(), ...callerOwned(this, req, parent, 'file', mode)), (fh) => {
          const e = this.entry(parent, name, v.getattr(where()));
          if (replyCreate(req, e, { fh, keepCache: o.keepCache }) < 0) {
            this.forgetNode(e.ino, 1);
            v.release(fh);
          } else {
            this.openNodes.opened(e.ino, fh);
          }
        }, (fh) => v.release(fh));
      },
      mkdir: (req, parent, name, mode) => {
        const where = () => this.childOf(parent, name);
        this.serve('mkdir', req, where, () => v.mkdir(where(), ...callerOwned(this, req, parent, 'dir', mode)), () => this.replyNewEntry(req, parent, name, where()));
      },
      symlink: (req, target, parent, name) => {
        const where = () => this.childOf(parent, name);
        this.serve('symlink', req, where, () => v.symlink(target, where(), callerOwner(this, req, parent)), () => this.replyNewEntry(req, parent, name, where()));
      },
      unlink: (req, parent, name) => {
        const where = () => this.childOf(parent, name);
        const ino = n.child(parent, name);
        this.serve('unlink', req, where, () => this.openNodes.unlinkOrHide(parent, name), () => {
          n.removed(parent, name);
          if (ino !== undefined) this.attributesStale?.(ino);
          replyOk(req);
        });
      },
      rmdir: (req, parent, name) => {
        const where = () => this.childOf(parent, name);
        this.serve('rmdir', req, where, () => v.rmdir(where()), () => {
          n.removed(parent, name);
          replyOk(req);
        });
      },
      rename: (req, parent, name, newParent, newName, flags) => {
        const where = () => this.childOf(parent, name);
        // RENAME_NOREPLACE / RENAME_EXCHANGE: libfuse 2 refused them too (EINVAL).
        if (flags !== 0) return void replyErr(req, EINVAL);
        const target = n.child(newParent, newName);
        this.serve('rename', req, where, () => this.openNodes.renameHidingTarget(parent, name, newParent, newName), () => {
          n.renamed(parent, name, newParent, newName);
          if (target !== undefined) this.attributesStale?.(target);
          replyOk(req);
        });
      },
      ...linkHandlers(this, v),

      open: (req, ino, flags) => {
        // The lock helper opens for writing only to lock: its handle is read-only in the volume.
        const helper = (flags & O_TRUNC) === 0 && this.lockHelper?.(requestContext(req).pid) === true;
        const intent = { ...(helper ? { write: false } : openIntent(flags)), generation: this.ids.contentOf(ino).generation };
        this.serve('open', req, () => this.pathOf(ino), async () => {
          const fh = await v.open(this.pathOf(ino), intent);
          // atomic_o_trunc: the truncation arrives with the open.
          if (intent.write && (flags & O_TRUNC) !== 0) await v.ftruncate(fh, 0).catch((err: unknown) => {
            v.release(fh);
            throw err;
          });
          return fh;
        }, (fh) => {
          const share = o.shareOpens && !intent.write && v.shareable(fh);
          // A read-only handle's close commits nothing (flush is a no-op): no FLUSH for it.
          if (replyOpen(req, { fh, keepCache: o.keepCache, noflush: !intent.write, share }) < 0 && !share) v.release(fh);
          else this.openNodes.opened(ino, fh);
        }, (fh) => v.release(fh));
      },
      read: (req, ino, size, offset, fh) => {
        // Often views of cached blocks: replyBuf copies them to the kernel at once.
        const read = () => (fh === NO_HANDLE && this.inodeReads ? this.inodeReads.readBytes(ino, size, offset) : v.readBytes(fh, size, offset));
        this.serve('read', req, () => `handle ${fh}`, read, (bytes) => {
          o.metrics?.fuseReadBytes.inc(totalLength(bytes));
          replyBuf(req, bytes.length === 1 ? bytes[0]! : bytes);
        });
      },
      // `data` is already a private copy (the binding copies it out of libfuse's buffer).
      write: (req, ino, data, offset, fh) =>
        this.serve('write', req, () => `handle ${fh}`, () => v.write(fh, data, offset), (count) => {
          o.metrics?.fuseWrittenBytes.inc(count);
          this.pushAttributes(ino);
          replyWrite(req, count);
        }),
      flush: (req, ino, fh) => this.serve('flush', req, () => `handle ${fh}`, () => v.flush(fh, n.lastPath(ino) ?? ''), () => replyOk(req)),
      release: (req, _ino, fh) => this.serve('release', req, () => `handle ${fh}`, () => this.release(fh), () => replyOk(req)),
      fsync: (req, ino) => this.serve('fsync', req, () => this.pathOf(ino), () => v.fsync(n.lastPath(ino) ?? '/'), () => replyOk(req)),
      fsyncdir: (req, ino) => this.serve('fsyncdir', req, () => this.pathOf(ino), () => v.fsync(this.pathOf(ino)), () => replyOk(req)),

      opendir: (req, ino) => this.serve('opendir', req, () => this.pathOf(ino), () => this.listing(ino), (entries) => {
        const fh = this.nextListing++;
        this.listings.set(fh, entries);
        if (replyOpen(req, { fh }) < 0) this.listings.delete(fh);
      }),
      readdir: (req, _ino, _size, offset, fh) => {
        const entries = this.listings.get(fh);
        if (entries === undefined) return void replyErr(req, ENOENT);
        replyDirents(req, entries.slice(offset));
      },
      releasedir: (req, _ino, fh) => {
        this.listings.delete(fh);
        replyOk(req);
      },
      ...posixOpHandlers(this, v),
    };
    // flush commits only on read-write mounts; elsewhere it stays unregistered (libfuse
    // answers ENOSYS, and read-only opens reply noflush, so the kernel sends none).
    if (!o.writable) delete handlers.flush;
    return handlers;
  }

  /** Also a shared handle the mount retires (LowLevelMount). */
  release(fh: number): Promise<void> | void {
    this.v.release(fh);
    return this.openNodes.released(fh);
  }

  private async setattr(ino: Ino, changes: FuseAttrChanges, fh: number | undefined): Promise<Attributes> {
    const v = this.v;
    const path = this.pathOf(ino);
    if (changes.mode !== undefined) v.chmod(path, changes.mode);
    if (changes.uid !== undefined || changes.gid !== undefined) v.chown(path, changes.uid, changes.gid);
    if (changes.size !== undefined) await (fh !== undefined ? v.ftruncate(fh, changes.size) : v.truncate(path, changes.size));
    if (changes.atime !== undefined || changes.mtime !== undefined) {
      const now = Date.now();
      const ms = (t: number | 'now' | undefined) => (t === 'now' ? now : t);
      v.setTimes(path, { atimeMs: ms(changes.atime), mtimeMs: ms(changes.mtime) });
    }
    return this.attributes(ino);
  }

  /** A directory's entries at opendir: readdir continues from an offset into this list. */
  private listing(ino: Ino): FuseDirent[] {
    const path = this.pathOf(ino);
    const entries: FuseDirent[] = [];
    for (const name of this.v.readdir(path)) {
      let child: Attributes;
      if (name === '.' || name === '..') {
        entries.push({ name, ino: name === '.' ? ino : 1, mode: S_IFDIR, offset: entries.length + 1 });
        continue;
      }
      try {
        child = this.v.getattr(path === '/' ? `/${name}` : `${path}/${name}`);
      } catch {
        continue; // gone between readdir and getattr: not listed
      }
      entries.push({ name, ino: this.ids.known(child.ino, child.generation) ?? child.ino, mode: child.mode, offset: entries.length + 1 });
    }
    return entries;
  }
}
