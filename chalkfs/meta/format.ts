import { createHash } from 'node:crypto';
import { ChalkError } from '../util/chalk-error.js';

/** docs/FORMAT.md is the contract for everything in this file. */
export const volumeFormat = 'chalkfs-volume/1';
export const versionFormat = 'chalkfs-version/1';
export const rootIno = 1;

export interface VolumeConfig {
  format: typeof volumeFormat;
  name: string;
  blockSizeBytes: number;
  createdAt: string;
}

interface InodeBase {
  mode: number; // permission bits only; the type is in `type`
  uid: number;
  gid: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
}

export interface FileInode extends InodeBase {
  type: 'file';
  sizeBytes: number;
  /** Content hash of each block, or null for a hole (zeros). May be shorter than the file. */
  blocks: (string | null)[];
}

export interface DirInode extends InodeBase {
  type: 'dir';
  entries: Record<string, number>;
}

export interface SymlinkInode extends InodeBase {
  type: 'symlink';
  target: string;
}

export type Inode = FileInode | DirInode | SymlinkInode;

export interface WriterInfo {
  host: string;
  pid: number;
  mountId: string;
}

export interface VersionRecord {
  format: typeof versionFormat;
  volume: string;
  seq: number;
  parentSeq: number;
  createdAt: string;
  writer: WriterInfo;
  /** True at transaction-consistent points (no hot SQLite journal): readers on other hosts adopt only these. */
  consistent: boolean;
  label?: string;
  nextIno: number;
  inodes: Record<string, Inode>;
}

export interface HeadHint {
  seq: number;
  consistentSeq: number;
  updatedAt: string;
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

export function decodeMeta<T>(format: string, body: Buffer, key: string): T {
  const text = body.toString('utf8');
  const newline = text.indexOf('\n');
  const header = newline < 0 ? text : text.slice(0, newline);
  const match = /^(\S+) sha256=([0-9a-f]{64})$/.exec(header);
  if (!match) throw new ChalkError('corrupt', `metadata object ${key} is corrupt: bad header`);
  if (match[1] !== format) throw new ChalkError('corrupt', `metadata object ${key} has format ${match[1]}, expected ${format}`);
  const json = text.slice(newline + 1);
  if (sha256Hex(json) !== match[2]) throw new ChalkError('corrupt', `metadata object ${key} is corrupt: checksum mismatch`);
  try {
    return JSON.parse(json) as T;
  } catch (err) {
    throw new ChalkError('corrupt', `metadata object ${key} is corrupt: invalid JSON`, { cause: err });
  }
}

export function decodeVersion(body: Buffer, key: string): VersionRecord {
  const record = decodeMeta<VersionRecord>(versionFormat, body, key);
  if (typeof record.seq !== 'number' || typeof record.inodes !== 'object' || !record.inodes[String(rootIno)]) {
    throw new ChalkError('corrupt', `metadata object ${key} is corrupt: missing fields`);
  }
  return record;
}

export function blockHash(data: Buffer): string {
  return sha256Hex(data);
}
