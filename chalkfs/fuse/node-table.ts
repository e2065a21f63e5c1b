// The kernel's node ids for a volume served through the libfuse 3 binding, and the path
// each one names. A node id is the volume's inode number (Attributes.ino; the root is 1,
// as FUSE_ROOT_ID is, and numbers are never reused), so the kernel's inodes and
// the volume's agree. VolumeView is path-based: this table turns a node id back into a
// path through {parent, name}, kept up to date by the replies that hand the kernel a node
// (lookup, create, mkdir, symlink), by forget, and by the renames and unlinks made through
// this mount. One name per inode holds because the volume has no hard links yet; hard
// links (later in issue 14) give an inode several names and the namespace then has to
// answer "which names does this inode have" itself.
import type { Ino } from './lowlevel-types.js';

export const ROOT_NODE: Ino = 1;

interface NodeRecord {
  parent: Ino;
  name: string;
  /** Lookups the kernel holds (each positive entry reply counts one; forget gives back). */
  lookups: number;
  /** Unlinked (or replaced by a rename) while the kernel still holds it: it has no path. */
  detached: boolean;
}

export interface KnownNode {
  ino: Ino;
  parent: Ino;
  name: string;
  path: string;
}

export class NodeTable {
  private readonly nodes = new Map<Ino, NodeRecord>();
  private readonly byName = new Map<string, Ino>();

  /** The node's path, or undefined for an unknown or detached node (or one below a detached directory). */
  path(ino: Ino): string | undefined {
    if (ino === ROOT_NODE) return '/';
    const parts: string[] = [];
    let at: Ino = ino;
    // A directory cannot be its own ancestor; the bound guards against a corrupted table.
    for (let depth = 0; at !== ROOT_NODE; depth++) {
      const node = this.nodes.get(at);
      if (node === undefined || node.detached || depth > 4096) return undefined;
      parts.push(node.name);
      at = node.parent;
    }
    return '/' + parts.reverse().join('/');
  }

  /**
   * The path a node had when it was last reachable, detached or not: an unlinked file's
   * handles still close (flush) under the name they were opened by.
   */
  lastPath(ino: Ino): string | undefined {
    const node = this.nodes.get(ino);
    if (node === undefined || !node.detached) return this.path(ino);
    return this.childPath(node.parent, node.name);
  }

  /** The path of `name` in directory `parent` (the parent must have a path). */
  childPath(parent: Ino, name: string): string | undefined {
    const dir = this.path(parent);
    if (dir === undefined) return undefined;
    return dir === '/' ? `/${name}` : `${dir}/${name}`;
  }

  /** The kernel was handed `ino` as `name` in `parent`: one more lookup. */
  remember(parent: Ino, name: string, ino: Ino): void {
    if (ino === ROOT_NODE) return;
    const key = nameKey(parent, name);
    const holder = this.byName.get(key);
    if (holder !== undefined && holder !== ino) this.detach(holder);
    const node = this.nodes.get(ino);
    if (node === undefined) {
      this.nodes.set(ino, { parent, name, lookups: 1, detached: false });
    } else {
      // The same inode under a new name (renamed by another host, seen in a new version).
      if (!node.detached) this.byName.delete(nameKey(node.parent, node.name));
      node.parent = parent;
      node.name = name;
      node.detached = false;
      node.lookups++;
    }
    this.byName.set(key, ino);
  }

  /** The kernel gave back `count` lookups; at zero the node is forgotten. */
  forget(ino: Ino, count: number): void {
    const node = this.nodes.get(ino);
    if (node === undefined) return;
    node.lookups -= count;
    if (node.lookups > 0) return;
    this.nodes.delete(ino);
    if (!node.detached) this.byName.delete(nameKey(node.parent, node.name));
  }

  /** `name` in `parent` was removed (unlink, rmdir): its node, if known, has no path any more. */
  removed(parent: Ino, name: string): void {
    const ino = this.byName.get(nameKey(parent, name));
    if (ino !== undefined) this.detach(ino);
  }

  /** A rename made through this mount: the moved node follows, a replaced one is detached. */
  renamed(parent: Ino, name: string, newParent: Ino, newName: string): void {
    this.removed(newParent, newName);
    const key = nameKey(parent, name);
    const ino = this.byName.get(key);
    if (ino === undefined) return;
    this.byName.delete(key);
    const node = this.nodes.get(ino)!;
    node.parent = newParent;
    node.name = newName;
    this.byName.set(nameKey(newParent, newName), ino);
  }

  /** The node `name` in `parent` names, if the kernel holds it. */
  child(parent: Ino, name: string): Ino | undefined {
    return this.byName.get(nameKey(parent, name));
  }

  /** Where a node with a path sits. */
  parentAndName(ino: Ino): [Ino, string] | undefined {
    const node = this.nodes.get(ino);
    return node === undefined || node.detached ? undefined : [node.parent, node.name];
  }

  has(ino: Ino): boolean {
    return ino === ROOT_NODE || this.nodes.has(ino);
  }

  /** Every node with a path (not the root), parents before children is not promised. */
  *known(): Generator<KnownNode> {
    for (const [ino, node] of this.nodes) {
      if (node.detached) continue;
      const path = this.path(ino);
      if (path !== undefined) yield { ino, parent: node.parent, name: node.name, path };
    }
  }

  get size(): number {
    return this.nodes.size;
  }

  private detach(ino: Ino): void {
    const node = this.nodes.get(ino);
    if (node === undefined || node.detached) return;
    this.byName.delete(nameKey(node.parent, node.name));
    node.detached = true;
  }
}

function nameKey(parent: Ino, name: string): string {
  return `${parent}/${name}`;
}
