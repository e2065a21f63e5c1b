// meta/format.ts: the framing of metadata objects (round trip, every kind of damage
// detected), decoding versions of both formats, and block hashes.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blockHash, decodeMeta, decodeVersion, encodeMeta, versionFormat } from '../../chalkfs/meta/format.js';
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

describe('blockHash', () => {
  it('is the SHA-256 hex of the content', () => {
    expect(blockHash(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
