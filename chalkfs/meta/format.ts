/*
 * The stored format of a volume's metadata: the types of what is encoded and decoded
 * (volume config, versions, head hint), the framing of every metadata object, and block
 * hashes. docs/FORMAT.md is the contract for everything in this file. The types are
 * readonly: a decoded record is never modified, and the live model a mount changes is
 * meta/namespace.ts's own, copied from and to these types.
 */
import { createHash } from 'node:crypto';
import { ChalkError } from '../util/chalk-error.js';

export const volumeFormat = 'chalkfs-volume/1';
/**
 * Written by this release. /3 adds hard links (an inode named by several entries) and
 * FIFOs and sockets; /2 added block patches. /1 and /2 are still read: they are /3
 * versions in which every inode has one name (docs/FORMAT.md, "Links").
 */
export const versionFormat = 'chalkfs-version/3';
export const readableVersionFormats = ['chalkfs-version/1', 'chalkfs-version/2', versionFormat] as const;
/** Versions of these formats name every inode once, and hold no FIFO or socket. */
const singleNameVersionFormats: readonly string[] = ['chalkfs-version/1', 'chalkfs-version/2'];
export const rootIno = 1;
/**
 * A version stored as its change from the version before it (meta/version-delta.ts); a
 * full version (any readable version format) is a checkpoint (docs/FORMAT.md, "Delta log").
 */
export const deltaFormat = 'chalkfs-delta/1';

export interface VolumeConfig {
  readonly format: typeof volumeFormat;
  readonly name: string;
  readonly blockSizeBytes: number;
  readonly createdAt: string;
}

interface InodeBase {
  readonly mode: number; // permission bits only; the type is in `type`
  readonly uid: number;
  readonly gid: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export interface FileInode extends InodeBase {
  readonly type: 'file';
  readonly sizeBytes: number;
  /** Content hash of each block, or null for a hole (zeros). May be shorter than the file. */
  readonly blocks: readonly (string | null)[];
  /**
   * Block index (decimal string) → extents written over that block's base `blocks[i]`
   * (docs/FORMAT.md, "Patches"). Absent when no block is patched.
   */
  readonly patches?: Readonly<Record<string, readonly PatchExtent[]>>;
}

/** [offset inside the block, the bytes in base64]; a block's extents are sorted and disjoint. */
export type PatchExtent = readonly [number, string];

export interface DirInode extends InodeBase {
  readonly type: 'dir';
  readonly entries: Readonly<Record<string, number>>;
}

export interface SymlinkInode extends InodeBase {
  readonly type: 'symlink';
  readonly target: string;
}

/** A FIFO or a unix socket: a name and attributes, no data (the kernel serves their I/O). */
export interface SpecialInode extends InodeBase {
  readonly type: 'fifo' | 'socket';
}

export type Inode = FileInode | DirInode | SymlinkInode | SpecialInode;

export interface WriterInfo {
  readonly host: string;
  readonly pid: number;
  readonly mountId: string;
}

/** What every stored version says of itself, whole or a delta. */
export interface VersionIdentity {
  readonly volume: string;
  readonly seq: number;
  readonly parentSeq: number;
  readonly createdAt: string;
  readonly writer: WriterInfo;
  /** True at transaction-consistent points (no hot SQLite journal): readers on other hosts adopt only these. */
  readonly consistent: boolean;
  readonly label?: string;
  readonly nextIno: number;
}

export interface VersionRecord extends VersionIdentity {
  readonly format: (typeof readableVersionFormats)[number];
  readonly inodes: Readonly<Record<string, Inode>>;
}

/** Where a delta sits in its chain: the checkpoint it starts from and what lies between. */
export interface ChainPosition {
  /** The full version (checkpoint) the chain starts from. */
  readonly checkpointSeq: number;
  /** Deltas from the checkpoint to this version, this one included. */
  readonly length: number;
  /** Encoded bytes of the chain's deltas before this one. */
  readonly bytesBefore: number;
  /** Encoded bytes of the checkpoint. */
  readonly checkpointBytes: number;
}

/** Inode attributes every type has; a changed file or directory carries all of them. */
export type InodeAttributes = Pick<InodeBase, 'mode' | 'uid' | 'gid' | 'atimeMs' | 'mtimeMs' | 'ctimeMs'>;

/**
 * A patched block's change: its extents after (`ranges`, [start, end) in the block), and
 * the bytes in them that the extents before did not hold (`writes`); every other byte
 * of a range is the same as before.
 */
export interface PatchChange {
  readonly ranges: readonly (readonly [number, number])[];
  readonly writes: readonly PatchExtent[];
}

/** A file changed in place: its attributes and size, and only the blocks and patches that changed. */
export interface FileChange extends InodeAttributes {
  readonly type: 'file';
  readonly sizeBytes: number;
  /** Length of the block list after (shorter: truncated; longer: the new indexes are in `blocks`). */
  readonly blockCount: number;
  /** Block index → hash or null (a hole), for each index whose entry changed. */
  readonly blocks?: Readonly<Record<string, string | null>>;
  /** Block index → its patch change, or null when the block lost its patches. */
  readonly patches?: Readonly<Record<string, PatchChange | null>>;
}

/** A directory changed in place: its attributes, and each entry added, replaced (→ ino) or removed (→ null). */
export interface DirChange extends InodeAttributes {
  readonly type: 'dir';
  readonly entries: Readonly<Record<string, number | null>>;
}

/** A version stored as its change from version `parentSeq` (docs/FORMAT.md, "Delta log"). */
export interface DeltaRecord extends VersionIdentity {
  readonly format: typeof deltaFormat;
  readonly chain: ChainPosition;
  /** Inodes no longer in the version. */
  readonly removed: readonly number[];
  /** Inodes new, or replaced whole (a symlink, FIFO or socket that changed; a number reused by another type). */
  readonly inodes: Readonly<Record<string, Inode>>;
  readonly files: Readonly<Record<string, FileChange>>;
  readonly dirs: Readonly<Record<string, DirChange>>;
}

export interface HeadHint {
  readonly seq: number;
  readonly consistentSeq: number;
  readonly updatedAt: string;
}

const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * A metadata object is one header line naming the format and the SHA-256 of the JSON
 * that follows, so truncation, garbage and bit flips are detected before parsing.
 */
export function encodeMeta(format: string, value: object): Buffer {
  const json = JSON.stringify(value);
  return Buffer.from(`${format} sha256=${sha256Hex(json)}\n${json}`, 'utf8');
}

export function decodeMeta<T>(format: string | readonly string[], body: Buffer, key: string): T {
  const formats: readonly string[] = typeof format === 'string' ? [format] : format;
  const text = body.toString('utf8');
  const newline = text.indexOf('\n');
  const header = newline < 0 ? text : text.slice(0, newline);
  const match = /^(\S+) sha256=([0-9a-f]{64})$/.exec(header);
  if (!match) throw new ChalkError('corrupt', `metadata object ${key} is corrupt: bad header`);
  if (!formats.includes(match[1]!)) throw new ChalkError('corrupt', `metadata object ${key} has format ${match[1]}, expected ${formats.join(' or ')}`);
  const json = text.slice(newline + 1);
  if (sha256Hex(json) !== match[2]) throw new ChalkError('corrupt', `metadata object ${key} is corrupt: checksum mismatch`);
  try {
    return JSON.parse(json) as T;
  } catch (err) {
    throw new ChalkError('corrupt', `metadata object ${key} is corrupt: invalid JSON`, { cause: err });
  }
}

export function decodeVersion(body: Buffer, key: string): VersionRecord {
  return validateVersion(decodeMeta<VersionRecord>(readableVersionFormats, body, key), key);
}

/** A version object as stored: a full version (a checkpoint) or a delta. */
export type StoredVersion = { readonly kind: 'full'; readonly record: VersionRecord } | { readonly kind: 'delta'; readonly delta: DeltaRecord };

/** Decodes a `versions/<seq>` object of either kind; a full one is checked whole, a delta's shape only. */
export function decodeStoredVersion(body: Buffer, key: string): StoredVersion {
  const record = decodeMeta<VersionRecord | DeltaRecord>([...readableVersionFormats, deltaFormat], body, key);
  if (record.format !== deltaFormat) return { kind: 'full', record: validateVersion(record, key) };
  const delta = record;
  const chain = delta.chain as ChainPosition | undefined;
  if (
    typeof delta.seq !== 'number' ||
    delta.parentSeq !== delta.seq - 1 ||
    typeof chain !== 'object' ||
    chain === null ||
    !Number.isSafeInteger(chain.checkpointSeq) ||
    chain.checkpointSeq >= delta.seq ||
    chain.checkpointSeq + chain.length !== delta.seq ||
    !Array.isArray(delta.removed) ||
    typeof delta.inodes !== 'object' ||
    typeof delta.files !== 'object' ||
    typeof delta.dirs !== 'object'
  ) {
    throw new ChalkError('corrupt', `metadata object ${key} is corrupt: malformed delta`);
  }
  return { kind: 'delta', delta };
}

/** The checks every full version passes, whether decoded or rebuilt from a delta chain. */
export function validateVersion(record: VersionRecord, key: string): VersionRecord {
  if (typeof record.seq !== 'number' || typeof record.inodes !== 'object' || !record.inodes[String(rootIno)]) {
    throw new ChalkError('corrupt', `metadata object ${key} is corrupt: missing fields`);
  }
  for (const [ino, inode] of Object.entries(record.inodes)) {
    if (inode.type === 'file' && inode.patches !== undefined && !validPatches(inode.patches)) {
      throw new ChalkError('corrupt', `metadata object ${key} is corrupt: malformed patches of inode ${ino}`);
    }
  }
  const badLinks = linkProblem(record);
  if (badLinks) throw new ChalkError('corrupt', `metadata object ${key} is corrupt: ${badLinks}`);
  return record;
}

/**
 * How many entries name each inode (the root, named by none, is absent). Link counts
 * are not stored: they are derived from the entries, so they can never disagree with
 * them (docs/FORMAT.md, "Links").
 */
export function entryCounts(inodes: Iterable<Inode>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const inode of inodes) {
    if (inode.type !== 'dir') continue;
    for (const child of Object.values(inode.entries)) counts.set(child, (counts.get(child) ?? 0) + 1);
  }
  return counts;
}

/** What a version's entries break of the link rules, if anything. */
function linkProblem(record: VersionRecord): string | undefined {
  const singleNames = singleNameVersionFormats.includes(record.format);
  for (const [ino, count] of entryCounts(Object.values(record.inodes))) {
    const inode = record.inodes[String(ino)];
    if (inode === undefined) continue; // a dangling entry: served as missing, as before links
    if (ino === rootIno) return 'the root directory is named by an entry';
    if (count > 1 && (singleNames || inode.type === 'dir')) return `inode ${ino} (${inode.type}) is named by ${count} entries`;
  }
  if (singleNames && Object.values(record.inodes).some((inode) => inode.type === 'fifo' || inode.type === 'socket')) return `a ${record.format} version holds a FIFO or socket`;
  return undefined;
}

/** Shape only: offsets against the block size are checked where extents are decoded. */
function validPatches(patches: unknown): boolean {
  if (typeof patches !== 'object' || patches === null || Array.isArray(patches)) return false;
  return Object.entries(patches).every(
    ([index, extents]) =>
      /^(0|[1-9][0-9]{0,9})$/.test(index) &&
      Array.isArray(extents) &&
      extents.every((e, i) => Array.isArray(e) && e.length === 2 && Number.isSafeInteger(e[0]) && e[0] >= 0 && typeof e[1] === 'string' && (i === 0 || e[0] > extents[i - 1][0])),
  );
}

/** The blocks a version names (its files' block lists; holes and patches are not blocks). */
export function namedBlocks(record: VersionRecord): Set<string> {
  const named = new Set<string>();
  for (const inode of Object.values(record.inodes)) if (inode.type === 'file') for (const hash of inode.blocks) if (hash) named.add(hash);
  return named;
}

export function blockHash(data: Buffer): string {
  return sha256Hex(data);
}
