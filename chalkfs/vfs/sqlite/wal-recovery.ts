/*
 * What SQLite's recovery of a WAL file finds (wal.c walIndexRecover), from its bytes. A
 * follower's readers rebuild their private wal-index this way (wal-shared-memory.ts), and
 * one case must never reach them: a valid WAL header with no valid commit frame after it,
 * which is what the writer's WAL holds between a WAL restart (new salts, header synced
 * at once) and the end of the first transaction after it. Recovery then leaves the
 * index's running checksum at zero instead of the header's (aFrameCksum is only copied at
 * a commit frame), so walBeginShmUnreliable, which checks frames after the index's last
 * one against that checksum, never finds the later commits of that WAL generation: the
 * connection keeps reading the database file alone, stuck at that state until the next
 * WAL restart. sqlite-consistency.ts therefore marks such a version inconsistent (the
 * state it holds is the database file's, which the next commit's version holds too).
 * Pure: no I/O.
 */

/** `empty`: no valid header (recovery reads the database alone, and any later header is new to it). */
export type WalRecovery = 'empty' | 'committed' | 'no-commit';

const WAL_HEADER_BYTES = 32;
const WAL_FRAME_HEADER_BYTES = 24;
const WAL_MAGIC = 0x377f0682;
const WAL_FORMAT_VERSION = 3007000;

/** SQLite's WAL checksum (wal.c walChecksumBytes) over `data`, continuing from `s`. */
function checksum(data: Buffer, bigEndian: boolean, s: [number, number]): [number, number] {
  let [s1, s2] = s;
  for (let i = 0; i + 8 <= data.length; i += 8) {
    const x0 = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const x1 = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s1 = (s1 + x0 + s2) >>> 0;
    s2 = (s2 + x1 + s1) >>> 0;
  }
  return [s1, s2];
}

/**
 * What recovery of a WAL of `sizeBytes` finds; `read` gives its bytes (undefined when
 * they are not at hand: then so is the answer).
 */
export function walRecovery(sizeBytes: number, read: (offset: number, lengthBytes: number) => Buffer | undefined): WalRecovery | undefined {
  if (sizeBytes < WAL_HEADER_BYTES) return 'empty';
  const header = read(0, WAL_HEADER_BYTES);
  if (header === undefined) return undefined;
  const pageBytes = headerPageBytes(header);
  if (pageBytes === undefined) return 'empty';
  const bigEndian = (header.readUInt32BE(0) & 1) === 1;
  let sum = checksum(header.subarray(0, 24), bigEndian, [0, 0]);
  if (sum[0] !== header.readUInt32BE(24) || sum[1] !== header.readUInt32BE(28)) return 'empty';
  const salt = header.subarray(16, 24);
  const frameBytes = WAL_FRAME_HEADER_BYTES + pageBytes;
  for (let offset = WAL_HEADER_BYTES; offset + frameBytes <= sizeBytes; offset += frameBytes) {
    const frame = read(offset, frameBytes);
    if (frame === undefined) return undefined;
    if (frame.readUInt32BE(0) === 0 || !frame.subarray(8, 16).equals(salt)) break;
    sum = checksum(frame.subarray(0, 8), bigEndian, sum);
    sum = checksum(frame.subarray(WAL_FRAME_HEADER_BYTES), bigEndian, sum);
    if (sum[0] !== frame.readUInt32BE(16) || sum[1] !== frame.readUInt32BE(20)) break;
    if (frame.readUInt32BE(4) !== 0) return 'committed';
  }
  return 'no-commit';
}

/**
 * Whether a WAL's bytes up to `end` finish a commit frame of the WAL's current generation:
 * `end` is a frame boundary, and the frame before it says commit (its database size in
 * pages, bytes 4-7 of the frame header, is not zero) under the header's salts. SQLite
 * writes a frame's 24-byte header, then its page, so the page's write ending there is the
 * transaction's last write: its commit point when it syncs nothing (synchronous=NORMAL in
 * WAL mode). Checksums are not checked: this only says when to publish a version, and
 * walRecovery still decides whether that version is consistent.
 */
export function endsCommitFrame(end: number, read: (offset: number, lengthBytes: number) => Buffer | undefined): boolean {
  if (end < WAL_HEADER_BYTES + WAL_FRAME_HEADER_BYTES) return false;
  const header = read(0, WAL_HEADER_BYTES);
  const pageBytes = header && headerPageBytes(header);
  if (header === undefined || pageBytes === undefined) return false;
  const frameBytes = WAL_FRAME_HEADER_BYTES + pageBytes;
  if ((end - WAL_HEADER_BYTES) % frameBytes !== 0) return false;
  const frame = read(end - frameBytes, WAL_FRAME_HEADER_BYTES);
  return frame !== undefined && frame.readUInt32BE(4) !== 0 && frame.subarray(8, 16).equals(header.subarray(16, 24));
}

/** The page size a WAL header names, if it is a WAL header SQLite would read (checksum aside). */
function headerPageBytes(header: Buffer): number | undefined {
  const magic = header.readUInt32BE(0);
  const pageBytes = header.readUInt32BE(8);
  if ((magic & 0xfffffffe) >>> 0 !== WAL_MAGIC || header.readUInt32BE(4) !== WAL_FORMAT_VERSION) return undefined;
  if (pageBytes < 512 || pageBytes > 65536 || (pageBytes & (pageBytes - 1)) !== 0) return undefined;
  return pageBytes;
}
