// The nodes the kernel holds open through this mount, and what unlink and rename do to
// one of them. As libfuse 2 did: a file still open is not unlinked but renamed to a
// hidden name (`.fuse_hidden…`) and unlinked at its last release, so its handles keep a
// path (VolumeView is path-based) and fstat, reads and writes through them go on working.
// The vfs knows this rename (a journal renamed away commits, WriterVolume.rename). Only
// for the last name the kernel holds: with another one the node keeps a path.
import type { VolumeView } from '../vfs/volume-view.js';
import type { Ino } from './lowlevel-types.js';
import type { NodeTable } from './node-table.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

export interface OpenNodesOptions {
  nodes: NodeTable;
  volume: VolumeView;
  /** The path of `name` in directory node `parent`. */
  childOf: (parent: Ino, name: string) => string;
  /** The file type bits last reported for a node, if any. */
  lastMode: (ino: Ino) => number | undefined;
}

export class OpenNodes {
  /** Opens the kernel holds per node, and each handle's node. */
  private readonly opens = new Map<Ino, number>();
  private readonly handleNodes = new Map<number, Ino>();
  /** Nodes hidden at unlink while open (and their hidden name), removed at their last release. */
  private readonly hidden = new Map<Ino, [Ino, string]>();
  private hiddenCount = 0;

  constructor(private readonly options: OpenNodesOptions) {}

  /**
   * A handle the volume gave out is held by the kernel. Also for the shared handles of
   * read-only mounts: JavaScript sees those opened and released once.
   */
  opened(ino: Ino, fh: number): void {
    this.handleNodes.set(fh, ino);
    this.opens.set(ino, (this.opens.get(ino) ?? 0) + 1);
  }

  /** The kernel released `fh` (the volume has released it already): a hidden node's last release unlinks it. */
  released(fh: number): Promise<void> | void {
    const { nodes, volume } = this.options;
    const ino = this.handleNodes.get(fh);
    if (ino === undefined) return;
    this.handleNodes.delete(fh);
    const left = (this.opens.get(ino) ?? 1) - 1;
    if (left > 0) return void this.opens.set(ino, left);
    this.opens.delete(ino);
    const hiddenAs = this.hidden.get(ino);
    if (hiddenAs === undefined || !this.hidden.delete(ino)) return;
    const path = nodes.childPath(...hiddenAs);
    if (path === undefined || nodes.child(...hiddenAs) !== ino) return;
    nodes.removed(...hiddenAs);
    return volume.unlink(path);
  }

  unlinkOrHide(parent: Ino, name: string): Promise<void> | void {
    const { nodes, volume, childOf } = this.options;
    const path = childOf(parent, name);
    const ino = nodes.child(parent, name);
    if (ino === undefined || !this.opens.has(ino) || nodes.nameCount(ino) > 1) return volume.unlink(path);
    return this.hide(parent, name, ino);
  }

  /** A rename over a file still open hides that file first, as unlink does. */
  async renameHidingTarget(parent: Ino, name: string, newParent: Ino, newName: string): Promise<void> {
    const { nodes, volume, childOf, lastMode } = this.options;
    const target = nodes.child(newParent, newName);
    const moving = nodes.child(parent, name);
    if (target !== undefined && target !== moving && this.opens.has(target) && nodes.nameCount(target) === 1) {
      if (((lastMode(target) ?? 0) & S_IFMT) !== S_IFDIR) await this.hide(newParent, newName, target);
    }
    await volume.rename(childOf(parent, name), childOf(newParent, newName));
  }

  private async hide(parent: Ino, name: string, ino: Ino): Promise<void> {
    const { nodes, volume, childOf } = this.options;
    const hiddenName = `.fuse_hidden${ino.toString(16).padStart(8, '0')}${(++this.hiddenCount).toString(16).padStart(8, '0')}`;
    await volume.rename(childOf(parent, name), childOf(parent, hiddenName));
    nodes.renamed(parent, name, parent, hiddenName);
    // The last release may have arrived while the rename waited (a journal renamed away
    // commits first; close(2) does not wait for RELEASE): then nothing holds it any more.
    if (this.opens.has(ino)) this.hidden.set(ino, [parent, hiddenName]);
    else {
      nodes.removed(parent, hiddenName);
      await volume.unlink(childOf(parent, hiddenName));
    }
  }
}
