// Fixtures of the Namespace unit tests (test/unit/namespace*.test.ts): an owner, a
// small sample tree, the tree as sorted "path:type" lines, and the ChalkError kind a
// synchronous call throws ('none' when it returns).
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { isChalkError, type ErrorKind } from '../../chalkfs/util/chalk-error.js';

export const owner = { uid: 1000, gid: 1000 };

export function kindOf(fn: () => unknown): ErrorKind | 'none' {
  try {
    fn();
    return 'none';
  } catch (err) {
    if (isChalkError(err)) return err.kind;
    throw err;
  }
}

export function tree(ns: Namespace): string[] {
  return [...ns.walk()].map((e) => `${e.path}:${e.inode.type}`).sort();
}

export function sample(): Namespace {
  const ns = Namespace.empty(owner, 1);
  ns.mkdir('/a', 0o755, owner, 2);
  ns.mkdir('/a/b', 0o755, owner, 2);
  ns.createFile('/a/f', 0o644, owner, 2);
  ns.symlink('/a/f', '/link', owner, 2);
  ns.mkdir('/empty', 0o700, owner, 2);
  return ns;
}
