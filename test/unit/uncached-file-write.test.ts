// Writing the disk cache's files around the page cache (host/uncached-file-write.ts over
// native/src/uncached_write.cc): bytes and sizes exact at every alignment, no page of the
// file left in the page cache, errors like node:fs's, and node:fs's write where a
// filesystem refuses O_DIRECT. On ext4, the filesystem of this machine's /var/tmp.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { UncachedFileWriter, type NativeUncachedWrite } from '../../chalkfs/host/uncached-file-write.js';
import { DiskBlockCache } from '../../chalkfs/cache/disk-block-cache.js';
import { blockHash } from '../../chalkfs/meta/format.js';
import { silentLogger } from '../../chalkfs/util/logger.js';

const dir = mkdtempSync(join('/var/tmp', 'chalkfs-unit-uncached-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Pages of `path` in the page cache (util-linux fincore). */
function residentPages(path: string): number {
  return Number(execFileSync('fincore', ['--noheadings', '--raw', '--output', 'PAGES', path], { encoding: 'utf8' }).trim());
}

describe('UncachedFileWriter', () => {
  it('writes exact bytes and sizes at every alignment, leaving no page in the page cache', async () => {
    expect(execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim()).toBe('ext2/ext3'); // ext4 reports so
    const writer = new UncachedFileWriter();
    for (const size of [0, 1, 4095, 4096, 4097, (1 << 20) + 3]) {
      const path = join(dir, `f${size}`);
      const data = randomBytes(size);
      await writer.write(path, data);
      expect(writer.direct).toBe(true);
      expect(statSync(path).size).toBe(size);
      expect(residentPages(path)).toBe(0);
      expect(readFileSync(path).equals(data)).toBe(true);
    }
  });

  it('replaces an existing file whole, shorter or longer', async () => {
    const writer = new UncachedFileWriter();
    const path = join(dir, 'again');
    await writer.write(path, randomBytes(10_000));
    const shorter = randomBytes(5);
    await writer.write(path, shorter);
    expect(readFileSync(path).equals(shorter)).toBe(true);
  });

  it('rejects like node:fs, with the code, the syscall and the path', async () => {
    const path = join(dir, 'no-such-dir', 'f');
    await expect(new UncachedFileWriter().write(path, Buffer.alloc(10))).rejects.toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open', path });
  });

  it('writes through node:fs, for good, once a filesystem refuses O_DIRECT', async () => {
    const calls: string[] = [];
    const refusing: NativeUncachedWrite = { write: async (path) => (calls.push(path), false) };
    const writer = new UncachedFileWriter(refusing);
    const data = randomBytes(5000);
    await writer.write(join(dir, 'r1'), data);
    await writer.write(join(dir, 'r2'), data);
    expect(calls).toEqual([join(dir, 'r1')]);
    expect(writer.direct).toBe(false);
    expect(readFileSync(join(dir, 'r1')).equals(data)).toBe(true);
    expect(readFileSync(join(dir, 'r2')).equals(data)).toBe(true);
    expect(residentPages(join(dir, 'r2'))).toBeGreaterThan(0); // the ordinary write's pages
  });
});

describe('DiskBlockCache writes', () => {
  it('put leaves the block on disk but not in the page cache; get reads it back', async () => {
    const cache = await DiskBlockCache.open(join(dir, 'cache'), 64 << 20, silentLogger());
    const data = randomBytes(1 << 20);
    const hash = blockHash(data);
    await cache.put(hash, data);
    expect(statSync(cache.pathOf(hash)).size).toBe(data.length);
    expect(residentPages(cache.pathOf(hash))).toBe(0);
    expect((await cache.get(hash))?.equals(data)).toBe(true);
  });
});
