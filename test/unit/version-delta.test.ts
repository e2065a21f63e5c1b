// Delta encode/apply round trips (meta/version-delta.ts, docs/FORMAT.md "Delta log"):
// random namespace edits (files, directories, symlinks, hard links, renames, truncates,
// whole-block changes, holes and block patches) made through the namespace a writer
// uses; each version's delta, encoded and decoded, applied to its parent gives back the
// version exactly. And a delta's size follows the change, not the namespace.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStoredVersion, deltaFormat, encodeMeta, validateVersion, versionFormat, type FileInode, type PatchExtent, type VersionRecord } from '../../chalkfs/meta/format.js';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { applyDelta, diffVersions } from '../../chalkfs/meta/version-delta.js';
import { applyPatchChange, diffPatches } from '../../chalkfs/meta/patch-delta.js';

const bs = 4096;
const owner = { uid: 1000, gid: 1000 };
const writer = { host: 'h', pid: 1, mountId: 'm' };
const names = ['a', 'b', 'c', 'd'];
const dirs = ['', '/d', '/d/e'];
const pathArb = fc.tuple(fc.constantFrom(...dirs), fc.constantFrom(...names)).map(([dir, name]) => `${dir}/${name}`);
/** Files the block and patch edits go to most: patches need a base and earlier patches to grow. */
const filePathArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('/a', '/d/a') }, { weight: 1, arbitrary: pathArb });
const hashArb = fc.integer({ min: 0, max: 50 }).map((n) => n.toString(16).padStart(64, '0'));

type Edit =
  | { op: 'create' | 'mkdir' | 'unlink' | 'rmdir' | 'fifo'; path: string }
  | { op: 'symlink'; path: string; target: string }
  | { op: 'link' | 'rename'; from: string; to: string }
  | { op: 'truncate'; path: string; sizeBytes: number }
  | { op: 'block'; path: string; index: number; hash: string | null }
  | { op: 'patch'; path: string; index: number; offset: number; bytes: number[] }
  | { op: 'chmod'; path: string; mode: number };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('patch' as const), path: filePathArb, index: fc.integer({ min: 0, max: 3 }), offset: fc.integer({ min: 0, max: 1024 }), bytes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 64 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('block' as const), path: filePathArb, index: fc.integer({ min: 0, max: 7 }), hash: fc.option(hashArb, { nil: null, freq: 8 }) }) },
  fc.record({ op: fc.constantFrom('create' as const, 'mkdir' as const, 'unlink' as const, 'rmdir' as const, 'fifo' as const), path: pathArb }),
  fc.record({ op: fc.constant('symlink' as const), path: pathArb, target: fc.string({ maxLength: 8 }) }),
  fc.record({ op: fc.constantFrom('link' as const, 'rename' as const), from: pathArb, to: pathArb }),
  fc.record({ op: fc.constant('truncate' as const), path: pathArb, sizeBytes: fc.integer({ min: 0, max: 8 * bs }) }),
  fc.record({ op: fc.constant('block' as const), path: pathArb, index: fc.integer({ min: 0, max: 7 }), hash: fc.option(hashArb, { nil: null }) }),
  fc.record({ op: fc.constant('patch' as const), path: pathArb, index: fc.integer({ min: 0, max: 3 }), offset: fc.integer({ min: 0, max: bs - 64 }), bytes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 64 }) }),
  fc.record({ op: fc.constant('chmod' as const), path: pathArb, mode: fc.integer({ min: 0, max: 0o777 }) }),
);

/** `extents` with `bytes` written at `offset`: the union of their ranges, as a writer's patches grow. */
function patchedExtents(extents: readonly PatchExtent[] | undefined, offset: number, bytes: Buffer): PatchExtent[] {
  const end = Math.max(offset + bytes.length, ...(extents ?? []).map(([o, b]) => o + Buffer.from(b, 'base64').length));
  const data = Buffer.alloc(end);
  const covered = new Uint8Array(end);
  for (const [o, b] of extents ?? []) {
    const d = Buffer.from(b, 'base64');
    d.copy(data, o);
    covered.fill(1, o, o + d.length);
  }
  bytes.copy(data, offset);
  covered.fill(1, offset, offset + bytes.length);
  const out: PatchExtent[] = [];
  for (let p = 0; p < end; ) {
    if (!covered[p]) {
      p++;
      continue;
    }
    let q = p;
    while (q < end && covered[q]) q++;
    out.push([p, data.subarray(p, q).toString('base64')]);
    p = q;
  }
  return out;
}

/** Applies one edit; an edit the namespace refuses (a missing name, a name taken) changes nothing. */
function apply(ns: Namespace, edit: Edit, nowMs: number): void {
  try {
    const file = (path: string) => {
      const found = ns.resolve(path).inode;
      if (found.type !== 'file') throw new Error('not a file');
      return found;
    };
    switch (edit.op) {
      case 'create':
        ns.createFile(edit.path, 0o644, owner, nowMs);
        return;
      case 'mkdir':
        ns.mkdir(edit.path, 0o755, owner, nowMs);
        return;
      case 'unlink':
        ns.unlink(edit.path, nowMs);
        return;
      case 'rmdir':
        ns.rmdir(edit.path, nowMs);
        return;
      case 'fifo':
        ns.mknod(edit.path, 'fifo', 0o600, owner, nowMs);
        return;
      case 'symlink':
        ns.symlink(edit.target || 'x', edit.path, owner, nowMs);
        return;
      case 'link':
        ns.link(edit.from, edit.to, nowMs);
        return;
      case 'rename':
        ns.rename(edit.from, edit.to, nowMs);
        return;
      case 'truncate':
        ns.setSize(file(edit.path), edit.sizeBytes, bs);
        return;
      case 'chmod':
        ns.setMode(ns.resolve(edit.path).inode, edit.mode, nowMs);
        return;
      case 'block': {
        const f = file(edit.path);
        ns.extendTo(f, (edit.index + 1) * bs);
        ns.applySeal(f, { blocks: new Map([[edit.index, { hash: edit.hash }]]), blockCount: Math.max(f.blocks.length, edit.index + 1) });
        return;
      }
      case 'patch': {
        const f = file(edit.path);
        if (!f.blocks[edit.index]) return; // a patch always has a base
        const extents = patchedExtents(f.patches?.[edit.index], edit.offset, Buffer.from(edit.bytes));
        ns.applySeal(f, { blocks: new Map([[edit.index, { patch: extents }]]), blockCount: f.blocks.length });
        return;
      }
    }
  } catch {
    // refused: nothing changed
  }
}

const recordOf = (ns: Namespace, seq: number): VersionRecord => {
  const { nextIno, inodes } = ns.snapshot();
  return { format: versionFormat, volume: 'vol', seq, parentSeq: seq - 1, createdAt: new Date(seq * 1000).toISOString(), writer, consistent: seq % 3 !== 0, nextIno, inodes };
};

/** The delta of `next` on `parent`, through its encoding, applied: the version it stands for. */
function roundTrip(parent: VersionRecord, next: VersionRecord): VersionRecord {
  const delta = diffVersions(parent, next, { checkpointSeq: 1, length: next.seq - 1, bytesBefore: 0, checkpointBytes: 1 });
  const stored = decodeStoredVersion(encodeMeta(deltaFormat, delta), 'k');
  if (stored.kind !== 'delta') throw new Error('not a delta');
  return validateVersion(applyDelta(parent, stored.delta, 'k'), 'k');
}

describe('version deltas', () => {
  it('applying the delta of each version to its parent gives back the version exactly, over random edits', () => {
    fc.assert(
      fc.property(fc.array(fc.array(editArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 }), (commits) => {
        const ns = Namespace.empty(owner, 1000);
        ns.mkdir('/d', 0o755, owner, 1000);
        for (const path of ['/a', '/d/a']) {
          ns.createFile(path, 0o644, owner, 1000);
          for (let index = 0; index < 4; index++) apply(ns, { op: 'block', path, index, hash: String(index + 1).padStart(64, '0') }, 1000);
        }
        let parent = recordOf(ns, 1);
        for (const [i, edits] of commits.entries()) {
          for (const edit of edits) apply(ns, edit, 2000 + i);
          const next = recordOf(ns, parent.seq + 1);
          expect(roundTrip(parent, next)).toEqual(next);
          parent = next;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a delta holds what changed: one block of a 1,000-block file costs one hash, not a thousand', () => {
    const ns = Namespace.empty(owner, 1000);
    const { inode } = ns.createFile('/big', 0o644, owner, 1000);
    const hashes = new Map(Array.from({ length: 1000 }, (_, i) => [i, { hash: String(i).padStart(64, '0') }]));
    ns.extendTo(inode, 1000 * bs);
    ns.applySeal(inode, { blocks: hashes, blockCount: 1000 });
    const parent = recordOf(ns, 2);
    ns.applySeal(ns.resolve('/big').inode as FileInode, { blocks: new Map([[500, { hash: 'f'.repeat(64) }]]), blockCount: 1000 });
    const next = recordOf(ns, 3);
    const delta = diffVersions(parent, next, { checkpointSeq: 2, length: 1, bytesBefore: 0, checkpointBytes: 1 });
    expect(delta.files['2']?.blocks).toEqual({ 500: 'f'.repeat(64) });
    expect(encodeMeta(deltaFormat, delta).length).toBeLessThan(1000);
    expect(encodeMeta(versionFormat, next).length).toBeGreaterThan(60_000);
    expect(applyDelta(parent, delta, 'k')).toEqual(next);
  });

  it('a patch that grows by a few bytes carries those bytes, not the extents it merges into', () => {
    const page = Buffer.alloc(4096, 7);
    const before = patchedExtents(undefined, 0, page);
    const after = patchedExtents(before, 100, Buffer.from('one row'));
    const change = diffPatches(before, after);
    expect(change.ranges).toEqual([[0, 4096]]);
    expect(change.writes).toEqual([[100, Buffer.from('one row').toString('base64')]]);
    expect(applyPatchChange(before, change, 'k')).toEqual(after);
  });

  it('a patch change that leaves bytes of a range unknown is corrupt, not guessed', () => {
    const before = patchedExtents(undefined, 0, Buffer.alloc(10, 1));
    expect(() => applyPatchChange(before, { ranges: [[0, 20]], writes: [[12, Buffer.alloc(8, 2).toString('base64')]] }, 'k')).toThrow(/neither the parent nor the delta/);
    expect(() => applyPatchChange(before, { ranges: [[0, 10]], writes: [[8, Buffer.alloc(8, 2).toString('base64')]] }, 'k')).toThrow(/outside/);
  });

  it('a delta is refused on any parent but its own', () => {
    const ns = Namespace.empty(owner, 1000);
    const v1 = recordOf(ns, 1);
    ns.mkdir('/x', 0o755, owner, 1500);
    const v2 = recordOf(ns, 2);
    const delta = diffVersions(v1, v2, { checkpointSeq: 1, length: 1, bytesBefore: 0, checkpointBytes: 1 });
    expect(() => applyDelta(v2, delta, 'k')).toThrow(/applied to vol@2/);
  });
});
