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

export interface VersionRecord {
  readonly format: (typeof readableVersionFormats)[number];
  readonly volume: string;
  readonly seq: number;
  readonly parentSeq: number;
  readonly createdAt: string;
  readonly writer: WriterInfo;
  /** True at transaction-consistent points (no hot SQLite journal): readers on other hosts adopt only these. */
  readonly consistent: boolean;
  readonly label?: string;
  readonly nextIno: number;
  readonly inodes: Readonly<Record<string, Inode>>;
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
  const record = decodeMeta<VersionRecord>(readableVersionFormats, body, key);
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
