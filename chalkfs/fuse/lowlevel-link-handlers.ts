// The libfuse 3 layer's handlers for names that are not a new file opened or a directory:
// link(2) (one more name of an existing inode) and mknod(2) (mkfifo, the socket file of a
// unix socket's bind, an empty regular file; device nodes are refused), each new name
// owned by the calling process as create's are (new-node.ts).
// The kernel serves FIFO and socket I/O itself: their inodes never reach open or read.
import type { VolumeView } from '../vfs/volume-view.js';
import type { FuseRequest, Ino, LowLevelHandlers, ReplyKind } from './lowlevel-types.js';
import type { VolumeHandlers } from './lowlevel-handlers.js';
import { callerOwned } from './lowlevel-posix-ops.js';
import { mknodKind, mknodType } from './new-node.js';

/** What these handlers use of VolumeHandlers (lowlevel-handlers.ts). */
export interface NameReplies {
  serve<K extends ReplyKind, T>(op: string, req: FuseRequest<K>, where: () => string, fn: () => T | Promise<T>, reply: (value: T) => void): void;
  pathOf(ino: Ino): string;
  childOf(parent: Ino, name: string): string;
  /** Replies the entry of `path` and records the kernel's new lookup of it under `name`. */
  replyNewEntry(req: FuseRequest<'entry'>, parent: Ino, name: string, path: string): void;
}

export function linkHandlers(h: NameReplies & VolumeHandlers, v: VolumeView): Required<Pick<LowLevelHandlers, 'link' | 'mknod'>> {
  return {
    // The kernel refuses links to directories and to inodes with no name left (EPERM,
    // ENOENT) before asking; a node with no path here is one of those.
    link: (req, ino, newParent, newName) => {
      const where = () => h.childOf(newParent, newName);
      h.serve('link', req, where, () => v.link(h.pathOf(ino), where()), () => h.replyNewEntry(req, newParent, newName, where()));
    },
    mknod: (req, parent, name, mode, rdev) => {
      const where = () => h.childOf(parent, name);
      h.serve('mknod', req, where, () => {
        const [permissions, owner] = callerOwned(h, req, parent, mknodKind(mode), mode);
        v.mknod(where(), mknodType(mode) | permissions, rdev, owner);
      }, () => h.replyNewEntry(req, parent, name, where()));
    },
  };
}
