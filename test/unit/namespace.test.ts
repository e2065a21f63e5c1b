// meta/namespace.ts, the live model: creation, removal, renames, attribute changes and
// seals, the POSIX error kind of each refusal, and invariants under random operations.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Namespace, maxNameBytes } from '../../chalkfs/meta/namespace.js';
import { kindOf, owner, sample, tree } from '../support/namespace-fixtures.js';

describe('Namespace creation', () => {
  it('creates files, directories and symlinks that resolve and walk', () => {
    const ns = sample();
    expect(tree(ns)).toEqual(['/a/b:dir', '/a/f:file', '/a:dir', '/empty:dir', '/link:symlink']);
    const f = ns.resolve('/a/f');
    expect(f.inode).toMatchObject({ type: 'file', sizeBytes: 0, blocks: [], mode: 0o644, uid: 1000 });
    expect(ns.resolve('/link').inode).toMatchObject({ type: 'symlink', target: '/a/f' });
    expect(ns.resolve('/').ino).toBe(1);
    expect(ns.resolve('//a///f').ino).toBe(f.ino);
  });

  it('keeps only permission bits of the mode and touches the parent', () => {
    const ns = Namespace.empty(owner, 1);
    ns.mkdir('/d', 0o40755, owner, 5);
    expect(ns.resolve('/d').inode.mode).toBe(0o755);
    expect(ns.resolve('/').inode).toMatchObject({ mtimeMs: 5, ctimeMs: 5 });
  });

  it('gives every new inode a fresh number', () => {
    const ns = Namespace.empty(owner, 1);
    const a = ns.createFile('/x', 0o644, owner, 1).ino;
    ns.unlink('/x', 2);
    const b = ns.createFile('/x', 0o644, owner, 3).ino;
    expect(b).not.toBe(a);
  });

  it('reports POSIX error kinds for creation', () => {
    const ns = sample();
    expect(kindOf(() => ns.createFile('/a/f', 0o644, owner, 3))).toBe('exists');
    expect(kindOf(() => ns.mkdir('/a', 0o755, owner, 3))).toBe('exists');
    expect(kindOf(() => ns.symlink('x', '/empty', owner, 3))).toBe('exists');
    expect(kindOf(() => ns.createFile('/missing/f', 0o644, owner, 3))).toBe('not-found');
    expect(kindOf(() => ns.createFile('/a/f/g', 0o644, owner, 3))).toBe('not-a-directory');
    expect(kindOf(() => ns.mkdir('/link/x', 0o755, owner, 3))).toBe('not-a-directory');
    expect(kindOf(() => ns.createFile('/' + 'n'.repeat(maxNameBytes + 1), 0o644, owner, 3))).toBe('name-too-long');
    // 128 two-byte characters: 256 bytes, though only 128 characters.
    expect(kindOf(() => ns.createFile('/' + 'é'.repeat(128), 0o644, owner, 3))).toBe('name-too-long');
    expect(kindOf(() => ns.createFile('/' + 'n'.repeat(maxNameBytes), 0o644, owner, 3))).toBe('none');
    expect(kindOf(() => ns.mkdir('/', 0o755, owner, 3))).toBe('invalid');
  });

  it('reports not-found and not-a-directory on lookups', () => {
    const ns = sample();
    expect(kindOf(() => ns.resolve('/nope'))).toBe('not-found');
    expect(kindOf(() => ns.resolve('/a/f/x'))).toBe('not-a-directory');
    expect(ns.tryResolve('/nope')).toBeUndefined();
    expect(ns.tryResolve('/a/f/x')).toBeUndefined();
    expect(kindOf(() => ns.get(9999))).toBe('not-found');
  });
});

describe('Namespace removal', () => {
  it('unlinks files and symlinks, returning the inode number', () => {
    const ns = sample();
    const ino = ns.resolve('/a/f').ino;
    expect(ns.unlink('/a/f', 9)).toBe(ino);
    expect(ns.inodes.has(ino)).toBe(false);
    expect(ns.tryResolve('/a/f')).toBeUndefined();
    expect(ns.resolve('/a').inode).toMatchObject({ mtimeMs: 9 });
    ns.unlink('/link', 9);
    expect(tree(ns)).toEqual(['/a/b:dir', '/a:dir', '/empty:dir']);
  });

  it('reports POSIX error kinds for unlink and rmdir', () => {
    const ns = sample();
    expect(kindOf(() => ns.unlink('/a', 3))).toBe('is-a-directory');
    expect(kindOf(() => ns.unlink('/nope', 3))).toBe('not-found');
    expect(kindOf(() => ns.unlink('/a/f/x', 3))).toBe('not-a-directory');
    expect(kindOf(() => ns.rmdir('/a', 3))).toBe('not-empty');
    expect(kindOf(() => ns.rmdir('/a/f', 3))).toBe('not-a-directory');
    expect(kindOf(() => ns.rmdir('/nope', 3))).toBe('not-found');
    expect(kindOf(() => ns.rmdir('/', 3))).toBe('invalid');
    expect(tree(ns)).toEqual(tree(sample()));
  });

  it('rmdir removes an empty directory', () => {
    const ns = sample();
    ns.rmdir('/empty', 3);
    ns.rmdir('/a/b', 3);
    expect(tree(ns)).toEqual(['/a/f:file', '/a:dir', '/link:symlink']);
  });
});

describe('Namespace rename', () => {
  it('moves a file between directories and keeps its inode', () => {
    const ns = sample();
    const ino = ns.resolve('/a/f').ino;
    expect(ns.rename('/a/f', '/empty/g', 7)).toBeUndefined();
    expect(ns.resolve('/empty/g').ino).toBe(ino);
    expect(ns.tryResolve('/a/f')).toBeUndefined();
    expect(ns.resolve('/empty/g').inode.ctimeMs).toBe(7);
  });

  it('replaces an existing file and returns the replaced inode', () => {
    const ns = sample();
    const src = ns.createFile('/src', 0o644, owner, 3).ino;
    const dst = ns.resolve('/a/f').ino;
    expect(ns.rename('/src', '/a/f', 4)).toBe(dst);
    expect(ns.resolve('/a/f').ino).toBe(src);
    expect(ns.inodes.has(dst)).toBe(false);
  });

  it('replaces an empty directory by a directory', () => {
    const ns = sample();
    const b = ns.resolve('/a/b').ino;
    const empty = ns.resolve('/empty').ino;
    expect(ns.rename('/a/b', '/empty', 4)).toBeUndefined();
    expect(ns.resolve('/empty').ino).toBe(b);
    expect(ns.inodes.has(empty)).toBe(false);
    expect(tree(ns)).toEqual(['/a/f:file', '/a:dir', '/empty:dir', '/link:symlink']);
  });

  it('renaming onto itself or a hard alias is a no-op', () => {
    const ns = sample();
    const before = tree(ns);
    expect(ns.rename('/a/f', '/a/f', 4)).toBeUndefined();
    expect(tree(ns)).toEqual(before);
  });

  it('reports POSIX error kinds and changes nothing', () => {
    const ns = sample();
    const before = tree(ns);
    expect(kindOf(() => ns.rename('/nope', '/x', 3))).toBe('not-found');
    expect(kindOf(() => ns.rename('/a/f', '/nope/x', 3))).toBe('not-found');
    expect(kindOf(() => ns.rename('/empty', '/a', 3))).toBe('not-empty');
    expect(kindOf(() => ns.rename('/empty', '/a/f', 3))).toBe('not-a-directory');
    expect(kindOf(() => ns.rename('/a/f', '/empty', 3))).toBe('is-a-directory');
    expect(kindOf(() => ns.rename('/a', '/a/b/c', 3))).toBe('invalid');
    expect(kindOf(() => ns.rename('/a', '/a/c', 3))).toBe('invalid');
    expect(kindOf(() => ns.rename('/a/f', '/' + 'x'.repeat(256), 3))).toBe('name-too-long');
    expect(kindOf(() => ns.rename('/', '/x', 3))).toBe('invalid');
    expect(tree(ns)).toEqual(before);
  });
});

describe('Namespace bookkeeping', () => {
  it('counts links: 1 for files and symlinks, 2 + subdirectories for directories', () => {
    const ns = sample();
    expect(ns.nlink(ns.resolve('/').ino)).toBe(4);
    expect(ns.nlink(ns.resolve('/a').ino)).toBe(3);
    expect(ns.nlink(ns.resolve('/a/b').ino)).toBe(2);
    expect(ns.nlink(ns.resolve('/a/f').ino)).toBe(1);
    expect(ns.nlink(ns.resolve('/link').ino)).toBe(1);
  });

  it('stats counts files, directories and bytes', () => {
    const ns = sample();
    const { inode } = ns.resolve('/a/f');
    if (inode.type === 'file') ns.setSize(inode, 1234, 4096);
    expect(ns.stats()).toEqual({ files: 1, directories: 4, sizeBytes: 1234 });
  });

  it('round trips through a JSON record', () => {
    const ns = sample();
    const record = JSON.parse(JSON.stringify(ns.snapshot()));
    const back = Namespace.fromRecord(record);
    expect(tree(back)).toEqual(tree(ns));
    expect(back.nextIno).toBe(ns.nextIno);
    expect([...back.inodes.entries()]).toEqual([...ns.inodes.entries()]);
    // The copy is independent and keeps allocating fresh numbers.
    const ino = back.createFile('/new', 0o644, owner, 5).ino;
    expect(ns.inodes.has(ino)).toBe(false);
    expect(ino).toBe(ns.nextIno);
  });
});

describe('Namespace changes to inodes', () => {
  const file = (ns: Namespace, path = '/a/f') => {
    const { inode } = ns.resolve(path);
    if (inode.type !== 'file') throw new Error(`${path} is not a file`);
    return inode;
  };

  it('chmod, chown and utimens change what they name, leave the rest, and set ctime', () => {
    const ns = sample();
    const { inode } = ns.resolve('/a/f');
    ns.setMode(inode, 0o104600, 10);
    expect(inode).toMatchObject({ mode: 0o4600, ctimeMs: 10 });
    ns.setOwner(inode, { uid: 7 }, 11);
    expect(inode).toMatchObject({ uid: 7, gid: 1000, ctimeMs: 11 });
    ns.setOwner(inode, { gid: 8 }, 12);
    expect(inode).toMatchObject({ uid: 7, gid: 8, ctimeMs: 12 });
    ns.setTimes(inode, { atimeMs: 3 }, 13);
    expect(inode).toMatchObject({ atimeMs: 3, mtimeMs: 2, ctimeMs: 13 });
    ns.setTimes(inode, { mtimeMs: 4 }, 14);
    expect(inode).toMatchObject({ atimeMs: 3, mtimeMs: 4, ctimeMs: 14 });
    ns.touchData(inode, 15);
    expect(inode).toMatchObject({ atimeMs: 3, mtimeMs: 15, ctimeMs: 15 });
  });

  it('a write grows a file to its end and never shrinks it', () => {
    const ns = sample();
    const f = file(ns);
    ns.extendTo(f, 100);
    expect(f).toMatchObject({ sizeBytes: 100, mtimeMs: 2, ctimeMs: 2 });
    ns.extendTo(f, 10);
    expect(f.sizeBytes).toBe(100);
  });

  it('applies a seal: new hashes, holes, patches, and a block list cut to the file and its last non-hole', () => {
    const ns = sample();
    const f = file(ns);
    ns.extendTo(f, 5 * 16);
    ns.applySeal(f, { blocks: new Map([[1, { hash: 'b1' }], [3, { hash: 'b3' }], [4, { hash: null }]]), blockCount: 5 });
    expect(f.blocks).toEqual([null, 'b1', null, 'b3']);
    ns.applySeal(f, { blocks: new Map([[1, { patch: [[2, 'YQ==']] as const }], [3, { patch: [[0, 'Yg==']] as const }]]), blockCount: 5 });
    expect(f).toMatchObject({ blocks: [null, 'b1', null, 'b3'], patches: { 1: [[2, 'YQ==']], 3: [[0, 'Yg==']] } });
    // A new base drops the block's patches; a shorter file loses the blocks and patches past its end.
    ns.applySeal(f, { blocks: new Map([[1, { hash: 'c1' }]]), blockCount: 3 });
    expect(f.blocks).toEqual([null, 'c1']);
    expect(f.patches).toBeUndefined();
  });

  it('truncation forgets blocks and patches past the new end; growing keeps them', () => {
    const ns = sample();
    const f = file(ns);
    ns.extendTo(f, 4 * 16);
    ns.applySeal(f, { blocks: new Map([[0, { hash: 'b0' }], [1, { hash: 'b1' }], [2, { hash: 'b2' }], [3, { hash: 'b3' }]]), blockCount: 4 });
    ns.applySeal(f, { blocks: new Map([[1, { patch: [[0, 'YQ==']] as const }], [2, { patch: [[0, 'YQ==']] as const }]]), blockCount: 4 });
    ns.setSize(f, 10 * 16, 16);
    expect(f).toMatchObject({ sizeBytes: 160, blocks: ['b0', 'b1', 'b2', 'b3'] });
    ns.setSize(f, 16 + 1, 16);
    expect(f).toMatchObject({ sizeBytes: 17, blocks: ['b0', 'b1'], patches: { 1: [[0, 'YQ==']] } });
    ns.setSize(f, 16, 16);
    expect(f.blocks).toEqual(['b0']);
    expect(f.patches).toBeUndefined();
  });

  it('changes an unlinked inode still held (an open file), but refuses inodes it does not own', () => {
    const ns = sample();
    const f = file(ns);
    ns.unlink('/a/f', 3);
    ns.extendTo(f, 9);
    expect(f.sizeBytes).toBe(9);
    const record = ns.snapshot();
    const decoded = record.inodes[String(ns.resolve('/a').ino)]!;
    expect(kindOf(() => ns.setMode(decoded, 0o600, 5))).toBe('invalid');
    expect(kindOf(() => sample().setMode(f, 0o600, 5))).toBe('invalid');
    expect(kindOf(() => ns.setSize(ns.resolve('/a').inode as never, 1, 16))).toBe('invalid');
  });

  it('a snapshot is a deep copy: later changes do not reach it, and a namespace made from a record leaves the record alone', () => {
    const ns = sample();
    const f = file(ns);
    ns.extendTo(f, 20);
    ns.applySeal(f, { blocks: new Map([[0, { hash: 'b0' }]]), blockCount: 2 });
    const snapshot = ns.snapshot();
    const before = JSON.stringify(snapshot);
    ns.setMode(f, 0o600, 4);
    ns.applySeal(f, { blocks: new Map([[1, { hash: 'b1' }], [0, { patch: [[1, 'YQ==']] as const }]]), blockCount: 2 });
    ns.rename('/a/f', '/g', 5);
    ns.mkdir('/new', 0o755, owner, 6);
    expect(JSON.stringify(snapshot)).toBe(before);
    const live = Namespace.fromRecord(snapshot);
    const copy = file(live);
    live.extendTo(copy, 99);
    live.applySeal(copy, { blocks: new Map([[5, { hash: 'x' }]]), blockCount: 7 });
    live.unlink('/a/f', 8);
    expect(JSON.stringify(snapshot)).toBe(before);
  });
});

describe('Namespace invariants under random operations (property)', () => {
  const name = fc.constantFrom('a', 'b', 'c');
  const path = fc.array(name, { minLength: 1, maxLength: 2 }).map((parts) => '/' + parts.join('/'));
  const op = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('mkdir' as const), path }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('create' as const), path }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('symlink' as const), path }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('unlink' as const), path }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('rmdir' as const), path }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('rename' as const), path, to: path }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('link' as const), path, to: path }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('mkfifo' as const), path }), weight: 1 },
  );

  function snapshot(ns: Namespace): string {
    return JSON.stringify([...ns.walk()].map((e) => [e.path, e.ino]).sort());
  }

  it('a directory is reachable once and any other inode once per link, none leaks, and a failed operation changes nothing', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const ns = Namespace.empty(owner, 0);
        ops.forEach((o, t) => {
          const before = snapshot(ns);
          const inodesBefore = ns.inodes.size;
          const kind = kindOf(() => {
            if (o.kind === 'mkdir') ns.mkdir(o.path, 0o755, owner, t);
            else if (o.kind === 'create') ns.createFile(o.path, 0o644, owner, t);
            else if (o.kind === 'symlink') ns.symlink('target', o.path, owner, t);
            else if (o.kind === 'unlink') ns.unlink(o.path, t);
            else if (o.kind === 'rmdir') ns.rmdir(o.path, t);
            else if (o.kind === 'link') ns.link(o.path, o.to, t);
            else if (o.kind === 'mkfifo') ns.mknod(o.path, 'fifo', 0o644, owner, t);
            else ns.rename(o.path, o.to, t);
          });
          if (kind !== 'none') {
            if (snapshot(ns) !== before || ns.inodes.size !== inodesBefore) throw new Error(`${o.kind} failed with ${kind} but changed the namespace`);
            return;
          }
          const seen = new Map<number, number>();
          for (const e of ns.walk()) seen.set(e.ino, (seen.get(e.ino) ?? 0) + 1);
          if (seen.has(1)) throw new Error('the root is reachable from itself');
          for (const [ino, names] of seen) {
            if (ns.get(ino).type === 'dir' ? names !== 1 : names !== ns.nlink(ino)) throw new Error(`inode ${ino} has ${names} names, nlink ${ns.nlink(ino)}`);
          }
          if (seen.size !== ns.inodes.size - 1) throw new Error(`${ns.inodes.size - 1 - seen.size} inodes are leaked after ${o.kind}`);
          for (const e of ns.walk()) if (ns.resolve(e.path).ino !== e.ino) throw new Error(`${e.path} does not resolve to its inode`);
          // Counted again from a record, the link counts are the same.
          const again = Namespace.fromRecord(ns.snapshot());
          for (const ino of seen.keys()) if (again.nlink(ino) !== ns.nlink(ino)) throw new Error(`inode ${ino}: nlink ${again.nlink(ino)} from a record, ${ns.nlink(ino)} live`);
        });
      }),
      { numRuns: 300 },
    );
  });
});
