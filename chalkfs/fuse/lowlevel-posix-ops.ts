// The volume handlers' POSIX calls beyond the path-based basics of lowlevel-handlers.ts:
// fallocate, and whose new names are (the caller's, new-node.ts). Without fallocate the
// kernel answered EOPNOTSUPP.
import type { Owner, VolumeView } from '../vfs/volume-view.js';
import { replyOk, requestContext, type FuseRequest, type Ino, type LowLevelHandlers, type ReplyKind } from './lowlevel.js';
import type { VolumeHandlers } from './lowlevel-handlers.js';
import { allocationKeepsSize } from './kernel-args.js';
import { newNode, type NewNodeKind } from './new-node.js';

/** The mode and owner a new name in `parent` gets from the calling process, in VolumeView's argument order. */
export function callerOwned(h: VolumeHandlers, req: FuseRequest<ReplyKind>, parent: Ino, kind: NewNodeKind, mode: number): [mode: number, owner: Owner] {
  const made = newNode(kind, mode, requestContext(req), h.attributes(parent));
  return [made.mode, made.owner];
}

/** A new symlink's owner (its mode is always 0777). */
export function callerOwner(h: VolumeHandlers, req: FuseRequest<ReplyKind>, parent: Ino): Owner {
  return newNode('symlink', 0o777, requestContext(req), h.attributes(parent)).owner;
}

export function posixOpHandlers(h: VolumeHandlers, v: VolumeView): Pick<LowLevelHandlers, 'fallocate'> {
  return {
    fallocate: (req, ino, mode, offset, length, fh) =>
      h.serve('fallocate', req, () => `handle ${fh}`, () => v.allocate(fh, offset + length, allocationKeepsSize(mode)), () => {
        h.pushAttributes(ino);
        replyOk(req);
      }),
  };
}
