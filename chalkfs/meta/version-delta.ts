/*
 * A version as its change from the one before (docs/FORMAT.md, "Delta log"): what
 * `diffVersions` finds between two full versions, and what `applyDelta` rebuilds from
 * the parent and the delta. Pure: the chain (which objects to read, when to write a
 * checkpoint) is meta/version-chain.ts's. A delta's size follows the change: the inodes
 * that changed, and of a changed file only the block-list entries and patch bytes that
 * did; an unchanged inode costs nothing.
 */
import { ChalkError } from '../util/chalk-error.js';
import {
  deltaFormat,
  type ChainPosition,
  type DeltaRecord,
  type DirChange,
  type DirInode,
  type FileChange,
  type FileInode,
  type Inode,
  type InodeAttributes,
  type PatchChange,
  type PatchExtent,
  type VersionRecord,
  versionFormat,
} from './format.js';
import { applyPatchChange, diffPatches } from './patch-delta.js';

const attributesOf = (inode: InodeAttributes): InodeAttributes => ({ mode: inode.mode, uid: inode.uid, gid: inode.gid, atimeMs: inode.atimeMs, mtimeMs: inode.mtimeMs, ctimeMs: inode.ctimeMs });

const sameAttributes = (a: Inode, b: Inode) => a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.atimeMs === b.atimeMs && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

const sameExtents = (a: readonly PatchExtent[] | undefined, b: readonly PatchExtent[] | undefined) =>
  a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((e, i) => e[0] === b[i]![0] && e[1] === b[i]![1]));

/** `next` as its change from `parent` (`next.parentSeq` must be `parent.seq`), at `chain`'s place. */
export function diffVersions(parent: VersionRecord, next: VersionRecord, chain: ChainPosition): DeltaRecord {
  const removed: number[] = [];
  const inodes: Record<string, Inode> = {};
  const files: Record<string, FileChange> = {};
  const dirs: Record<string, DirChange> = {};
  for (const ino of Object.keys(parent.inodes)) if (!(ino in next.inodes)) removed.push(Number(ino));
  for (const [ino, after] of Object.entries(next.inodes)) {
    const before = parent.inodes[ino];
    if (before === after) continue;
    if (before === undefined || before.type !== after.type) inodes[ino] = after;
    else if (before.type === 'file') {
      const change = fileChange(before, after as FileInode);
      if (change) files[ino] = change;
    } else if (before.type === 'dir') {
      const change = dirChange(before, after as DirInode);
      if (change) dirs[ino] = change;
    } else if (!sameAttributes(before, after) || (before.type === 'symlink' && before.target !== (after as typeof before).target)) inodes[ino] = after;
  }
  const { volume, seq, parentSeq, createdAt, writer, consistent, label, nextIno } = next;
  return { format: deltaFormat, volume, seq, parentSeq, createdAt, writer, consistent, ...(label === undefined ? {} : { label }), nextIno, chain, removed, inodes, files, dirs };
}

function fileChange(before: FileInode, after: FileInode): FileChange | undefined {
  const blocks: Record<string, string | null> = {};
  for (let i = 0; i < after.blocks.length; i++) if (before.blocks[i] !== after.blocks[i]) blocks[i] = after.blocks[i]!;
  const patches: Record<string, PatchChange | null> = {};
  for (const index of new Set([...Object.keys(before.patches ?? {}), ...Object.keys(after.patches ?? {})])) {
    const was = before.patches?.[index];
    const is = after.patches?.[index];
    if (sameExtents(was, is)) continue;
    patches[index] = is === undefined ? null : diffPatches(was, is);
  }
  const blocksChanged = Object.keys(blocks).length > 0 || before.blocks.length !== after.blocks.length;
  const patchesChanged = Object.keys(patches).length > 0;
  if (!blocksChanged && !patchesChanged && before.sizeBytes === after.sizeBytes && sameAttributes(before, after)) return undefined;
  return {
    type: 'file',
    ...attributesOf(after),
    sizeBytes: after.sizeBytes,
    blockCount: after.blocks.length,
    ...(blocksChanged ? { blocks } : {}),
    ...(patchesChanged ? { patches } : {}),
  };
}

function dirChange(before: DirInode, after: DirInode): DirChange | undefined {
  const entries: Record<string, number | null> = {};
  for (const name of Object.keys(before.entries)) if (!(name in after.entries)) entries[name] = null;
  for (const [name, ino] of Object.entries(after.entries)) if (before.entries[name] !== ino) entries[name] = ino;
  if (Object.keys(entries).length === 0 && sameAttributes(before, after)) return undefined;
  return { type: 'dir', ...attributesOf(after), entries };
}

/**
 * The version `delta` describes, from its parent. Unchanged inodes are shared with the
 * parent (records are never modified). The result is not yet checked as a whole: the
 * chain reader validates the version it returns (format.ts, validateVersion).
 */
export function applyDelta(parent: VersionRecord, delta: DeltaRecord, key: string): VersionRecord {
  const bad = (why: string) => new ChalkError('corrupt', `metadata object ${key} is corrupt: ${why}`);
  if (delta.parentSeq !== parent.seq || delta.volume !== parent.volume) throw bad(`it is a delta on ${delta.volume}@${delta.parentSeq}, applied to ${parent.volume}@${parent.seq}`);
  const inodes: Record<string, Inode> = { ...parent.inodes };
  for (const ino of delta.removed) delete inodes[String(ino)];
  for (const [ino, inode] of Object.entries(delta.inodes)) inodes[ino] = inode;
  for (const [ino, change] of Object.entries(delta.files)) {
    const before = parent.inodes[ino];
    if (before?.type !== 'file' || change.type !== 'file') throw bad(`it changes file ${ino}, which its parent does not hold`);
    inodes[ino] = applyFileChange(before, change, `${key}, inode ${ino}`);
  }
  for (const [ino, change] of Object.entries(delta.dirs)) {
    const before = parent.inodes[ino];
    if (before?.type !== 'dir' || change.type !== 'dir' || typeof change.entries !== 'object') throw bad(`it changes directory ${ino}, which its parent does not hold`);
    const entries: Record<string, number> = { ...before.entries };
    for (const [name, child] of Object.entries(change.entries)) {
      if (child === null) delete entries[name];
      else entries[name] = child;
    }
    inodes[ino] = { type: 'dir', ...attributesOf(change), entries };
  }
  const { format: _format, chain: _chain, removed: _removed, inodes: _inodes, files: _files, dirs: _dirs, ...identity } = delta;
  // A delta's writer wrote /3 (links, FIFOs), whatever format its checkpoint has: the
  // version it stands for is /3, and is checked as one.
  return { format: versionFormat, ...identity, inodes };
}

function applyFileChange(before: FileInode, change: FileChange, where: string): FileInode {
  if (!Number.isSafeInteger(change.blockCount) || change.blockCount < 0) throw new ChalkError('corrupt', `${where}: malformed block count`);
  const blocks: (string | null)[] = before.blocks.slice(0, change.blockCount);
  while (blocks.length < change.blockCount) blocks.push(null);
  for (const [index, hash] of Object.entries(change.blocks ?? {})) {
    const i = Number(index);
    if (!Number.isSafeInteger(i) || i < 0 || i >= change.blockCount) throw new ChalkError('corrupt', `${where}: block ${index} past the block list`);
    blocks[i] = hash;
  }
  const patches: Record<string, readonly PatchExtent[]> = { ...before.patches };
  for (const [index, patch] of Object.entries(change.patches ?? {})) {
    if (patch === null) delete patches[index];
    else patches[index] = applyPatchChange(before.patches?.[index], patch, `${where}, block ${index}`);
  }
  const file: FileInode = { type: 'file', ...attributesOf(change), sizeBytes: change.sizeBytes, blocks };
  return Object.keys(patches).length > 0 ? { ...file, patches } : file;
}
