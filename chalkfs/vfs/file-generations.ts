/*
 * Content generations of a follower's files: which content of a file the kernel's inode
 * for it stands for. The kernel keeps one inode, with one page cache and one set of
 * attributes, per FUSE node, so two contents of one file served at once (a process
 * holding an older version open while others open the newest) need two nodes. A file
 * starts at generation 0 (its node is its inode number); when a version changes a file
 * whose current content is held open, or an open must serve what the kernel was told
 * before an adoption, the file's newest content gets a new generation and the FUSE layer
 * a new node for it (fuse/node-ids.ts). Handles keep the generation they opened
 * (handle-table.ts). SQLite files never get one: their locks live on the one kernel
 * inode (sqlite/live-databases.ts). No I/O.
 */
export class FileGenerations {
  private readonly current = new Map<number, number>();
  /** Generations are unique across files: a FUSE node stands for one (file, generation). */
  private next = 1;

  /** The generation of the content `ino` is served at now. */
  of(ino: number): number {
    return this.current.get(ino) ?? 0;
  }

  /** The content `ino` is served at now differs from what its current node holds: a new generation. */
  renew(ino: number): number {
    const generation = this.next++;
    this.current.set(ino, generation);
    return generation;
  }

  /** Forgets files that `exists` no longer serves (inode numbers are never reused). */
  prune(exists: (ino: number) => boolean): void {
    for (const ino of this.current.keys()) if (!exists(ino)) this.current.delete(ino);
  }
}
