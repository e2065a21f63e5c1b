// The kernel's node ids for a volume served through the libfuse 3 binding, and the paths
// each one names. A node id is the volume's inode number (Attributes.ino; the root is 1,
// as FUSE_ROOT_ID is, and numbers are never reused), so the kernel's inodes and
// the volume's agree. VolumeView is path-based: this table turns a node id back into a
// path through the {parent, name} pairs the kernel was handed for it, kept up to date by
// the replies that hand the kernel a node (lookup, create, mkdir, symlink, link, mknod),
// by forget, and by the renames and unlinks made through this mount.
//
// A node may have several names (hard links; the kernel counts lookups per inode, not
// per name). Its path is the name it was handed most recently: an inode seen under a new
// name after a version was adopted (renamed on another host) then follows its new name,
// while its older names stay until they are removed, handed to another inode or the node
// is forgotten. A node with no name left is detached: it has no path.
import type { Ino } from './lowlevel-types.js';

export const ROOT_NODE: Ino = 1;

interface Name {
  parent: Ino;
  name: string;
}

interface NodeRecord {
  /** Oldest first; the last one gives the path. Empty: detached (unlinked, or replaced by a rename). */
  names: Name[];
  /** The name removed last, for handles that still close under it. */
  lastName: Name;
  /** Lookups the kernel holds (each positive entry reply counts one; forget gives back). */
  lookups: number;
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
      const current = this.nodes.get(at)?.names.at(-1);
      if (current === undefined || depth > 4096) return undefined;
      parts.push(current.name);
      at = current.parent;
    }
    return '/' + parts.reverse().join('/');
  }

  /**
   * The path a node had when it was last reachable, detached or not: an unlinked file's
   * handles still close (flush) under the name they were opened by.
   */
  lastPath(ino: Ino): string | undefined {
    const node = this.nodes.get(ino);
    if (node === undefined || node.names.length > 0) return this.path(ino);
    return this.childPath(node.lastName.parent, node.lastName.name);
  }

  /** The path of `name` in directory `parent` (the parent must have a path). */
  childPath(parent: Ino, name: string): string | undefined {
    const dir = this.path(parent);
    if (dir === undefined) return undefined;
    return dir === '/' ? `/${name}` : `${dir}/${name}`;
  }

  /** The kernel was handed `ino` as `name` in `parent`: one more lookup, and `name` becomes its path. */
  remember(parent: Ino, name: string, ino: Ino): void {
    if (ino === ROOT_NODE) return;
    const key = nameKey(parent, name);
    const holder = this.byName.get(key);
    if (holder !== undefined && holder !== ino) this.removed(parent, name);
    const node = this.nodes.get(ino);
    if (node === undefined) {
      this.nodes.set(ino, { names: [{ parent, name }], lastName: { parent, name }, lookups: 1 });
    } else {
      node.names = node.names.filter((n) => n.parent !== parent || n.name !== name);
      node.names.push({ parent, name });
      node.lookups++;
    }
    this.byName.set(key, ino);
  }

  /** The kernel gave back `count` lookups; at zero the node is forgotten, with its names. */
  forget(ino: Ino, count: number): void {
    const node = this.nodes.get(ino);
    if (node === undefined) return;
    node.lookups -= count;
    if (node.lookups > 0) return;
    this.nodes.delete(ino);
    for (const n of node.names) this.byName.delete(nameKey(n.parent, n.name));
  }

  /** `name` in `parent` was removed (unlink, rmdir): its node, if known, loses that name; with no name left it is detached. */
  removed(parent: Ino, name: string): void {
    const key = nameKey(parent, name);
    const ino = this.byName.get(key);
    if (ino === undefined) return;
    this.byName.delete(key);
    const node = this.nodes.get(ino);
    if (node === undefined) return;
    node.names = node.names.filter((n) => n.parent !== parent || n.name !== name);
    node.lastName = { parent, name };
  }

  /**
   * A rename made through this mount: the moved name follows, a replaced node loses its
   * name. Two names of one node are left as they are (rename(2) does nothing then).
   */
  renamed(parent: Ino, name: string, newParent: Ino, newName: string): void {
    const key = nameKey(parent, name);
    const ino = this.byName.get(key);
    if (ino !== undefined && this.byName.get(nameKey(newParent, newName)) === ino) return;
    this.removed(newParent, newName);
    if (ino === undefined) return;
    this.byName.delete(key);
    const node = this.nodes.get(ino)!;
    node.names = node.names.filter((n) => n.parent !== parent || n.name !== name);
    node.names.push({ parent: newParent, name: newName });
    this.byName.set(nameKey(newParent, newName), ino);
  }

  /** The node `name` in `parent` names, if the kernel holds it. */
  child(parent: Ino, name: string): Ino | undefined {
    return this.byName.get(nameKey(parent, name));
  }

  /** How many names of the node the kernel was handed and still holds (0: detached or unknown). */
  nameCount(ino: Ino): number {
    return this.nodes.get(ino)?.names.length ?? 0;
  }

  has(ino: Ino): boolean {
    return ino === ROOT_NODE || this.nodes.has(ino);
  }

  /** Every name of a node with a path (not the root); parents before children is not promised. */
  *known(): Generator<KnownNode> {
    for (const [ino, node] of this.nodes) {
      for (const { parent, name } of node.names) {
        const path = this.childPath(parent, name);
        if (path !== undefined) yield { ino, parent, name, path };
      }
    }
  }

  get size(): number {
    return this.nodes.size;
  }
}

function nameKey(parent: Ino, name: string): string {
  return `${parent}/${name}`;
}
