// The bench's store floor (bench/fuse-floor --store, measured by bench/store-floor-copyin.ts):
// the copy-in it times is a whole copy-in, every object in the store under its SHA-256 with
// the file's bytes, and a store that refuses its PUTs fails the copy instead of timing it.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { S3ObjectStore, defaultS3Timeouts } from '../../chalkfs/store/s3-object-store.js';
import { isMountPoint } from '../../chalkfs/host/mount-table.js';
import { buildFuseFloor } from '../../bench/targets/fuse-floor-target.js';
import { measureStoreFloorCopyIn } from '../../bench/store-floor-copyin.js';
import { uniqueBucket } from '../support/chalkfs-fixture.js';

const MiB = 1 << 20;
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'store-floor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the store floor', () => {
  let binary = '';
  beforeAll(async () => {
    const built = await buildFuseFloor(dir);
    if ('unavailable' in built) throw new Error(built.unavailable);
    binary = built.binary;
  });

  test('stores a copied file as objects named by their SHA-256, whole, before cp returns', async () => {
    const minio = inject('minio');
    const bucket = uniqueBucket('floor');
    const store = new S3ObjectStore({ ...minio, region: 'us-east-1', bucket, ...defaultS3Timeouts });
    try {
      await store.ensureBucket();
      const data = randomBytes(2 * MiB + 12_345);
      const file = join(dir, 'plain.bin');
      writeFileSync(file, data);
      const result = await measureStoreFloorCopyIn(binary, { ...minio, region: 'us-east-1', bucket }, file, dir, {
        objectSizes: [MiB],
        countObjects: async (prefix) => (await store.list(prefix)).length,
      });
      expect(result.copies).toHaveLength(1);
      expect(result.copies[0]).toMatchObject({ objectBytes: MiB, objects: 3 });
      expect(result.copies[0]!.MBps).toBeGreaterThan(0);
      const pieces = [data.subarray(0, MiB), data.subarray(MiB, 2 * MiB), data.subarray(2 * MiB)];
      for (const piece of pieces) {
        const stored = await store.get(`store-floor/${MiB}/${sha(piece)}`);
        expect(sha(stored.body)).toBe(sha(piece));
      }
      expect(isMountPoint(join(dir, 'store-floor-mnt'))).toBe(false);
    } finally {
      store.destroy();
    }
  });

  test('a store that refuses its PUTs fails the copy (close reports EIO) and leaves nothing mounted', async () => {
    const minio = inject('minio');
    const file = join(dir, 'small.bin');
    writeFileSync(file, randomBytes(MiB + 1));
    // A bucket that does not exist: every PUT is answered 404.
    const missing = { ...minio, region: 'us-east-1', bucket: uniqueBucket('absent') };
    await expect(measureStoreFloorCopyIn(binary, missing, file, dir, { objectSizes: [MiB], countObjects: async () => 0 })).rejects.toThrow(/cp .*Input\/output error/);
    expect(isMountPoint(join(dir, 'store-floor-mnt'))).toBe(false);
  });
});
