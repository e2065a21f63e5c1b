// The kernel's node ids for a volume's files: one per (inode number, content generation).
// Generation 0, every file's until a follower serves two contents of it at once
// (vfs/file-generations.ts), is the node id the inode number itself; a later generation
// gets a node id of its own from FRESH_NODE_BASE up, kept until the kernel forgets the
// node. So a process holding an older content keeps the kernel inode (page cache,
// attributes) of that content while later opens get a new inode with the newest: the
// kernel never mixes pages of two contents in one inode. st_ino is the node id (the
// kernel takes the attributes' ino as st_ino, and the binding's attribute cache is keyed
// by it): a file's newest content then shows a new inode number, as a file replaced by
// rename(2) does on a local disk.
import type { Ino } from './lowlevel-types.js';

/** Node ids of later generations start here; volume inode numbers stay below it (2^52: 4.5e15 files). */
export const FRESH_NODE_BASE = 2 ** 52;

export interface NodeContent {
  ino: number;
  generation: number;
}

export class NodeIds {
  private readonly byContent = new Map<string, Ino>();
  private readonly byNode = new Map<Ino, NodeContent>();
  private next = FRESH_NODE_BASE;

  /** The node id for `ino` at `generation`: made for a later generation the first time the kernel is handed it. */
  nodeOf(ino: number, generation = 0): Ino {
    if (generation === 0) return ino;
    const key = `${ino}:${generation}`;
    let node = this.byContent.get(key);
    if (node === undefined) {
      node = this.next++;
      this.byContent.set(key, node);
      this.byNode.set(node, { ino, generation });
    }
    return node;
  }

  /** The node id the kernel holds for `ino` at `generation`, if any, without making one. */
  known(ino: number, generation = 0): Ino | undefined {
    return generation === 0 ? ino : this.byContent.get(`${ino}:${generation}`);
  }

  /** What a node stands for. */
  contentOf(node: Ino): NodeContent {
    return this.byNode.get(node) ?? { ino: node, generation: 0 };
  }

  /** The kernel forgot `node`: a later lookup of that content gets a new one. */
  forgotten(node: Ino): void {
    const content = this.byNode.get(node);
    if (content === undefined) return;
    this.byNode.delete(node);
    this.byContent.delete(`${content.ino}:${content.generation}`);
  }

  /** Node ids of later generations the kernel holds. */
  get size(): number {
    return this.byNode.size;
  }
}
