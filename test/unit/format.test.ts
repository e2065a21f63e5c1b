// meta/format.ts: the framing of metadata objects (round trip, every kind of damage
// detected), decoding versions of both formats, and block hashes.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blockHash, decodeMeta, decodeVersion, encodeMeta, readableVersionFormats, versionFormat } from '../../chalkfs/meta/format.js';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

function corruptMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isChalkError(err, 'corrupt')) return err.message;
    throw err;
  }
  throw new Error('expected a corrupt error');
}

describe('encodeMeta / decodeMeta', () => {
  const value = { a: 1, nested: { b: 'ü' }, list: [1, null] };

  it('round trips', () => {
    const body = encodeMeta('test/1', value);
    expect(body.toString('utf8').split('\n')[0]).toMatch(/^test\/1 sha256=[0-9a-f]{64}$/);
    expect(decodeMeta('test/1', body, 'k')).toEqual(value);
  });

  it('detects a flipped bit in the body', () => {
    const body = encodeMeta('test/1', value);
    body[body.length - 3] ^= 1;
    expect(corruptMessage(() => decodeMeta('test/1', body, 'k'))).toMatch(/checksum/);
  });

  it('detects a truncated body', () => {
    const body = encodeMeta('test/1', value);
    expect(corruptMessage(() => decodeMeta('test/1', body.subarray(0, body.length - 5), 'k'))).toMatch(/checksum/);
  });

  it('detects a bad or missing header', () => {
    expect(corruptMessage(() => decodeMeta('test/1', Buffer.from('{"a":1}'), 'k'))).toMatch(/bad header/);
    expect(corruptMessage(() => decodeMeta('test/1', Buffer.from(''), 'k'))).toMatch(/bad header/);
    expect(corruptMessage(() => decodeMeta('test/1', Buffer.from('test/1 sha256=abc\n{}'), 'k'))).toMatch(/bad header/);
    const body = encodeMeta('test/1', value);
    expect(corruptMessage(() => decodeMeta('test/1', body.subarray(0, 40), 'k'))).toMatch(/bad header/);
  });

  it('rejects another format', () => {
    expect(corruptMessage(() => decodeMeta('test/2', encodeMeta('test/1', value), 'key-x'))).toMatch(/test\/1.*test\/2|key-x/);
  });

  it('rejects a matching checksum over invalid JSON', () => {
    const json = '{not json';
    const body = Buffer.from(`test/1 sha256=${createHash('sha256').update(json).digest('hex')}\n${json}`);
    expect(corruptMessage(() => decodeMeta('test/1', body, 'k'))).toMatch(/JSON/);
  });
});

describe('decodeVersion', () => {
  it('accepts a version with a root inode and rejects one without', () => {
    const ns = Namespace.empty({ uid: 0, gid: 0 }, 1);
    const record = { format: versionFormat, volume: 'v', seq: 3, parentSeq: 2, createdAt: 'x', writer: { host: 'h', pid: 1, mountId: 'm' }, consistent: true, ...ns.snapshot() };
    expect(decodeVersion(encodeMeta(versionFormat, record), 'k').seq).toBe(3);
    expect(corruptMessage(() => decodeVersion(encodeMeta(versionFormat, { ...record, inodes: {} }), 'k'))).toMatch(/missing fields/);
    expect(corruptMessage(() => decodeVersion(encodeMeta('chalkfs-volume/1', record), 'k'))).toMatch(/format/);
  });

  it('reads both version formats, and rejects malformed block patches as corrupt', () => {
    const ns = Namespace.empty({ uid: 0, gid: 0 }, 1);
    const file = { type: 'file', mode: 0o644, uid: 0, gid: 0, atimeMs: 0, mtimeMs: 0, ctimeMs: 0, sizeBytes: 10, blocks: ['a'.repeat(64)] };
    const record = { format: versionFormat, volume: 'v', seq: 3, parentSeq: 2, createdAt: 'x', writer: { host: 'h', pid: 1, mountId: 'm' }, consistent: true, nextIno: 3, inodes: { ...ns.snapshot().inodes, 2: file } };
    expect(decodeVersion(encodeMeta('chalkfs-version/1', { ...record, format: 'chalkfs-version/1' }), 'k').seq).toBe(3);
    const withPatches = (patches: unknown) => encodeMeta(versionFormat, { ...record, inodes: { ...record.inodes, 2: { ...file, patches } } });
    expect(decodeVersion(withPatches({ 0: [[2, 'YWI='], [8, 'Yw==']] }), 'k').seq).toBe(3);
    for (const bad of [[], { x: [] }, { 0: [[2, 'YQ=='], [1, 'YQ==']] }, { 0: [[-1, 'YQ==']] }, { 0: [[0]] }, { '01': [] }]) {
      expect(corruptMessage(() => decodeVersion(withPatches(bad), 'k'))).toMatch(/malformed patches of inode 2/);
    }
  });
});

describe('decodeVersion: links (chalkfs-version/3)', () => {
  const base = { type: 'file', mode: 0o644, uid: 0, gid: 0, atimeMs: 0, mtimeMs: 0, ctimeMs: 0 };
  const file = { ...base, sizeBytes: 0, blocks: [] };
  const dir = (entries: Record<string, number>) => ({ ...base, type: 'dir', mode: 0o755, entries });
  const version = (format: string, inodes: Record<string, object>) =>
    encodeMeta(format, { format, volume: 'v', seq: 3, parentSeq: 2, createdAt: 'x', writer: { host: 'h', pid: 1, mountId: 'm' }, consistent: true, nextIno: 9, inodes });

  it('writes /3 and reads /1, /2 and /3; an older release reading /3 refuses it by its format name', () => {
    expect(versionFormat).toBe('chalkfs-version/3');
    expect(readableVersionFormats).toEqual(['chalkfs-version/1', 'chalkfs-version/2', 'chalkfs-version/3']);
    const inodes = { 1: dir({ f: 2 }), 2: file };
    for (const format of readableVersionFormats) expect(decodeVersion(version(format, inodes), 'k').format).toBe(format);
    // What a release that reads only /1 and /2 does with a /3 version.
    expect(corruptMessage(() => decodeMeta(['chalkfs-version/1', 'chalkfs-version/2'], version(versionFormat, inodes), 'k'))).toBe(
      'metadata object k has format chalkfs-version/3, expected chalkfs-version/1 or chalkfs-version/2',
    );
  });

  it('accepts a file, FIFO or socket named twice in /3 only, and never a directory named twice or the root named', () => {
    const linked = { 1: dir({ a: 2, b: 2, d: 3, p: 4, s: 5 }), 2: file, 3: dir({ c: 2, q: 4 }), 4: { ...base, type: 'fifo' }, 5: { ...base, type: 'socket' } };
    const decoded = decodeVersion(version(versionFormat, linked), 'k');
    expect(Namespace.fromRecord(decoded).nlink(2)).toBe(3);
    expect(decoded.inodes['4']).toEqual({ ...base, type: 'fifo' });
    for (const old of ['chalkfs-version/1', 'chalkfs-version/2']) {
      expect(corruptMessage(() => decodeVersion(version(old, linked), 'k'))).toMatch(/inode 2 \(file\) is named by 3 entries/);
      expect(corruptMessage(() => decodeVersion(version(old, { 1: dir({ p: 4 }), 4: { ...base, type: 'fifo' } }), 'k'))).toMatch(/holds a FIFO or socket/);
    }
    expect(corruptMessage(() => decodeVersion(version(versionFormat, { 1: dir({ d: 3, e: 3 }), 3: dir({}) }), 'k'))).toMatch(/inode 3 \(dir\) is named by 2 entries/);
    expect(corruptMessage(() => decodeVersion(version(versionFormat, { 1: dir({ up: 1 }) }), 'k'))).toMatch(/root directory is named/);
  });
});

describe('blockHash', () => {
  it('is the SHA-256 hex of the content', () => {
    expect(blockHash(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
