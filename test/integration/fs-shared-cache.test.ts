// Two mounts of one volume (a writer and a reader host), and what each caches: what the
// reader sees after the writer's fsync and at the next open, attributes cached by the
// kernel and in the FUSE binding's C layer, and block caches capped far below the data size.
import { describe, expect, test } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, open, readFile, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ChalkfsFixture, type Mount } from '../support/chalkfs-fixture.js';
import { readToEnd, readAt } from '../support/file-io.js';
import { metricValue } from '../support/mount-metrics.js';

const KiB = 1024;
const MiB = 1024 * KiB;

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Polls `probe` until it returns true; throws with `what` after `limitMs` (a bound, not a timing claim). */
async function eventually(what: string, probe: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen within ${limitMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
}



/** Block files in a disk cache directory (<cacheDir>/blocks/xx/<hash>). */
function cachedBlocks(cacheDir: string): { hash: string; path: string; sizeBytes: number }[] {
  const root = join(cacheDir, 'blocks');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((sub) =>
    readdirSync(join(root, sub))
      .filter((n) => /^[0-9a-f]{64}$/.test(n))
      .map((hash) => ({ hash, path: join(root, sub, hash), sizeBytes: statSync(join(root, sub, hash)).size })),
  );
}

/**
 * A read-write mount and a read-only mount of another host. Only fsync and close publish
 * on the writer (no periodic commit), so what the reader sees comes from those.
 */
async function writerAndReader(fx: ChalkfsFixture, volume: string, createArgs: string[] = []): Promise<{ writer: Mount; reader: Mount }> {
  await fx.createVolume(volume, createArgs);
  const writer = await fx.mount(volume, { extraArgs: ['--commit-ms', '3600000'] });
  const reader = await fx.addHost('host-b').mount(volume, { readOnly: true });
  return { writer, reader };
}

describe('two mounts of one volume', () => {
  test('a write fsynced on the read-write mount is seen by a read-only mount of another host when it opens the file', async () => {
    await using fx = await ChalkfsFixture.create();
    const { writer, reader } = await writerAndReader(fx, 'shared');
    expect(readdirSync(reader.dir)).toEqual([]);

    const first = randomBytes(3 * MiB + 123);
    const fh = await open(join(writer.dir, 'data.bin'), 'w');
    await fh.write(first, 0, first.length, 0);
    await fh.sync();
    await eventually('the reader seeing data.bin (first content)', async () => sha(await readFile(join(reader.dir, 'data.bin'))) === sha(first));

    // Overwrite part of it, fsync again (the handle is still open): the reader's next open sees it.
    const patch = randomBytes(100 * KiB);
    await fh.write(patch, 0, patch.length, 2 * MiB - 50);
    await fh.datasync();
    const second = Buffer.from(first);
    patch.copy(second, 2 * MiB - 50);
    await eventually('the reader seeing the patched data.bin', async () => sha(await readFile(join(reader.dir, 'data.bin'))) === sha(second));
    await fh.close();

    // A new file published by close, and a delete.
    await writeFile(join(writer.dir, 'note.txt'), 'hello from a');
    await eventually('the reader seeing note.txt', async () => (await readFile(join(reader.dir, 'note.txt'), 'utf8').catch(() => '')) === 'hello from a');
    await unlink(join(writer.dir, 'note.txt'));
    const dh = await open(writer.dir, 'r');
    await dh.sync();
    await dh.close();
    await eventually('the reader no longer seeing note.txt', async () => !readdirSync(reader.dir).includes('note.txt'));
    expect(sha(await readFile(join(reader.dir, 'data.bin')))).toBe(sha(second));
  });
});

describe('two mounts of one volume: close-to-open', () => {
  test('a file held open on the reader keeps its version while newer ones are adopted; the next open sees the newest', async () => {
    await using fx = await ChalkfsFixture.create();
    const { writer, reader } = await writerAndReader(fx, 'pinned', ['--block-size', '64KiB']);
    const v1 = randomBytes(2 * MiB);
    const v2 = randomBytes(2 * MiB);
    await writeFile(join(writer.dir, 'data.bin'), v1);
    await eventually('the reader seeing v1', async () => sha(await readFile(join(reader.dir, 'data.bin'))) === sha(v1));

    const held = await open(join(reader.dir, 'data.bin'), 'r');
    try {
      const head = Buffer.alloc(4 * KiB);
      await held.read(head, 0, head.length, 0);
      expect(head.equals(v1.subarray(0, 4 * KiB))).toBe(true);

      await writeFile(join(writer.dir, 'data.bin'), v2);
      await writeFile(join(writer.dir, 'marker'), 'v2 is out');
      await eventually('the reader adopting the version with the marker', async () => readdirSync(reader.dir).includes('marker'));

      // Every byte read through the held handle, including blocks never read before, is v1.
      const all = Buffer.alloc(v1.length);
      const { bytesRead } = await held.read(all, 0, all.length, 0);
      expect(bytesRead).toBe(v1.length);
      expect(sha(all)).toBe(sha(v1));
    } finally {
      await held.close();
    }
    await eventually('a new open seeing v2', async () => sha(await readFile(join(reader.dir, 'data.bin'))) === sha(v2));
  });
});

describe('two mounts of one volume: attributes cached by the reader', () => {
  test('once a new version is adopted, stat and open see its size and content right away, also while a process holds the file open; the holder keeps its size and bytes', async () => {
    await using fx = await ChalkfsFixture.create();
    const { writer, reader } = await writerAndReader(fx, 'attrs', ['--block-size', '64KiB']);
    const path = join(reader.dir, 'data.bin');
    const publish = async (content: Buffer, marker: string, file = 'data.bin') => {
      await writeFile(join(writer.dir, file), content);
      await writeFile(join(writer.dir, marker), marker);
      // The marker is written after data.bin, so a reader that sees it has adopted the new data.bin.
      await eventually(`the reader adopting ${marker}`, async () => readdirSync(reader.dir).includes(marker));
    };
    /** read(2) through a handle from offset 0 until end of file. */
    const readAll = async (fh: FileHandle) => {
      const chunks: Buffer[] = [];
      for (let offset = 0; ; ) {
        const { bytesRead, buffer } = await fh.read(Buffer.alloc(256 * KiB), 0, 256 * KiB, offset);
        if (bytesRead === 0) return Buffer.concat(chunks);
        chunks.push(buffer.subarray(0, bytesRead));
        offset += bytesRead;
      }
    };
    /** Everything a reader learns from one open: the size the kernel has, and the bytes. */
    const openAndRead = async () => {
      const fh = await open(path, 'r');
      try {
        return { size: (await fh.stat()).size, data: await readAll(fh) };
      } finally {
        await fh.close();
      }
    };

    const v1 = randomBytes(300 * KiB);
    await publish(v1, 'm1');
    // Many lookups and reads of one version: attributes and pages are cached now.
    for (let i = 0; i < 20; i++) expect(statSync(path).size).toBe(v1.length);
    for (let i = 0; i < 3; i++) expect(sha((await openAndRead()).data)).toBe(sha(v1));

    // A grown file whose first bytes changed too: the new size, and no page kept from v1.
    // The kernel is told to forget its names by a helper thread just after the adoption:
    // allow it a moment, well under the 1 s after which the kernel would ask for the
    // attributes again anyway (they were fetched just before publishing), so the check
    // fails if the kernel is never told.
    const moment = 300;
    const v2 = Buffer.concat([randomBytes(300 * KiB), randomBytes(333 * KiB)]);
    expect(statSync(path).size).toBe(v1.length);
    await publish(v2, 'm2');
    await eventually('stat seeing v2', async () => statSync(path).size === v2.length, moment);
    let seen = await openAndRead();
    expect(seen.size).toBe(v2.length);
    expect(sha(seen.data)).toBe(sha(v2));

    // Held open across a newer version (v3, shorter): the handle keeps v2, size and bytes,
    // while lookups and opens see v3 at once, under a kernel inode of its own (a new
    // st_ino, as for a file replaced by rename(2)); and after the close too.
    const held = await open(path, 'r');
    const heldIno = (await held.stat()).ino;
    const v3 = randomBytes(100 * KiB);
    try {
      await publish(v3, 'm3');
      await eventually('stat seeing v3 while v2 is held', async () => statSync(path).size === v3.length, moment);
      expect(statSync(path).ino).not.toBe(heldIno);
      seen = await openAndRead();
      expect(seen.size).toBe(v3.length);
      expect(sha(seen.data)).toBe(sha(v3));
      expect((await held.stat()).size).toBe(v2.length);
      expect(sha(await readAll(held))).toBe(sha(v2));
    } finally {
      await held.close();
    }
    for (let i = 0; i < 5; i++) {
      seen = await openAndRead();
      expect(seen.size).toBe(v3.length);
      expect(sha(seen.data)).toBe(sha(v3));
    }

    // Names below the root directory are forgotten as well (the kernel drops the unused
    // entries under the root's entries it is told to forget).
    await mkdir(join(writer.dir, 'app', 'db'), { recursive: true });
    const nestedFile = join('app', 'db', 'nested.bin');
    const nested = join(reader.dir, nestedFile);
    const n1 = randomBytes(10 * KiB);
    await publish(n1, 'm4', nestedFile);
    for (let i = 0; i < 5; i++) expect(sha(await readFile(nested))).toBe(sha(n1));
    const n2 = randomBytes(20 * KiB);
    expect(statSync(nested).size).toBe(n1.length);
    await publish(n2, 'm5', nestedFile);
    await eventually('stat of the nested file seeing n2', async () => statSync(nested).size === n2.length, moment);
    expect(sha(await readFile(nested))).toBe(sha(n2));
  });
});

describe('two mounts of one volume: read-only opens answered in C, without a trip into JavaScript', () => {
  test('repeated opens share one handle without a trip into JavaScript; a shared open held across a new version keeps its version, new opens get the new one, shared again', async () => {
    await using fx = await ChalkfsFixture.create();
    const { writer, reader } = await writerAndReader(fx, 'opens', ['--block-size', '64KiB']);
    const path = join(reader.dir, 'data.bin');
    const jsOpens = () => metricValue(reader, /^chalkfs_fuse_op_seconds_count\{.*op="open".*\}$/);
    const sharedOpens = () => metricValue(reader, /^chalkfs_fuse_native_cache_hits_total\{op="open",.*\}$/);
    const publish = async (content: Buffer, marker: string) => {
      await writeFile(join(writer.dir, 'data.bin'), content);
      await writeFile(join(writer.dir, marker), marker);
      await eventually(`the reader adopting ${marker}`, async () => readdirSync(reader.dir).includes(marker));
    };

    const v1 = randomBytes(200 * KiB);
    await publish(v1, 'm1');
    const jsBefore = await jsOpens();
    const sharedBefore = await sharedOpens();
    for (let i = 0; i < 40; i++) expect(sha(await readFile(path))).toBe(sha(v1));
    // The first open goes to JavaScript and shares its handle; the others are answered in C.
    expect((await jsOpens()) - jsBefore).toBeLessThanOrEqual(2);
    expect((await sharedOpens()) - sharedBefore).toBeGreaterThanOrEqual(38);

    // An open answered in C, held while v2 is adopted: it keeps reading v1, and new opens
    // get v2 (the first in JavaScript, on the new kernel inode of v2; the rest shared in C).
    const sharedHeld = await sharedOpens();
    const held = await open(path, 'r');
    expect(await sharedOpens()).toBe(sharedHeld + 1);
    const v2 = randomBytes(300 * KiB);
    try {
      await publish(v2, 'm2');
      const all = Buffer.alloc(v2.length);
      const { bytesRead } = await held.read(all, 0, all.length, 0);
      expect(sha(all.subarray(0, bytesRead))).toBe(sha(v1));
      await eventually('a new open seeing v2 while v1 is held', async () => sha(await readFile(path)) === sha(v2), 300);
      const sharedV2 = await sharedOpens();
      for (let i = 0; i < 5; i++) expect(sha(await readFile(path))).toBe(sha(v2));
      expect((await sharedOpens()) - sharedV2).toBeGreaterThanOrEqual(4);
    } finally {
      await held.close();
    }
    for (let i = 0; i < 5; i++) expect(sha(await readFile(path))).toBe(sha(v2));

    // And v2's handle is shared in turn, then dropped at v3 with no open held: the next
    // open sees v3 at once, every time.
    for (let i = 0; i < 5; i++) expect(sha(await readFile(path))).toBe(sha(v2));
    const v3 = randomBytes(100 * KiB);
    await publish(v3, 'm3');
    await eventually('stat seeing v3', async () => statSync(path).size === v3.length, 300);
    for (let i = 0; i < 5; i++) expect(sha(await readFile(path))).toBe(sha(v3));
  });
});

describe('a writer\'s attributes cached in C, without a trip into JavaScript', () => {
  test('after each write, truncate, chmod or rename, stat sees the change at once; the answers come from C, not JavaScript', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('wattrs');
    const writer = await fx.mount('wattrs', { extraArgs: ['--commit-ms', '3600000'] });
    const path = join(writer.dir, 'data.bin');
    const jsGetattrs = () => metricValue(writer, /^chalkfs_fuse_op_seconds_count\{.*op="getattr".*result="ok".*\}$/);
    const cGetattrs = () => metricValue(writer, /^chalkfs_fuse_native_cache_hits_total\{op="getattr",.*\}$/);

    const fh = await open(path, 'w+');
    try {
      const jsBefore = await jsGetattrs();
      const cBefore = await cGetattrs();
      let size = 0;
      for (let i = 0; i < 30; i++) {
        const chunk = randomBytes(1000 + i);
        await fh.write(chunk, 0, chunk.length, size);
        size += chunk.length;
        // Through the handle (fstat) and by path (stat): both see the write.
        expect((await fh.stat()).size).toBe(size);
        expect(statSync(path).size).toBe(size);
      }
      await fh.truncate(1234);
      expect(statSync(path).size).toBe(1234);
      await fh.chmod(0o600);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      // Getattrs after the writer's own changes were answered in C (the kernel asks for
      // attributes again after every write).
      expect((await cGetattrs()) - cBefore).toBeGreaterThanOrEqual(20);
      expect((await jsGetattrs()) - jsBefore).toBeLessThan(20);
    } finally {
      await fh.close();
    }
    await writeFile(join(writer.dir, 'other'), 'x');
    const { rename } = await import('node:fs/promises');
    await rename(path, join(writer.dir, 'renamed.bin'));
    expect(existsSync(path)).toBe(false);
    expect(statSync(join(writer.dir, 'renamed.bin')).size).toBe(1234);
    await rename(join(writer.dir, 'other'), join(writer.dir, 'renamed.bin'));
    expect(statSync(join(writer.dir, 'renamed.bin')).size).toBe(1);
  });
});

describe('block cache', () => {
  test('caches capped far below the data size still return correct data', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('small-cache', ['--block-size', '256KiB']);
    const writer = await fx.mount('small-cache');
    const files = [randomBytes(12 * MiB), randomBytes(8 * MiB + 4321)];
    for (const [i, data] of files.entries()) await writeFile(join(writer.dir, `f${i}`), data);
    await writer.unmount();

    const cacheDir = await fx.tempDir('tiny-cache');
    const m = await fx.mount('small-cache', { cacheDir, extraArgs: ['--cache-size', '1MiB', '--memory-cache-size', '1MiB'] });
    for (let round = 0; round < 2; round++) {
      for (const [i, data] of files.entries()) expect(sha(await readFile(join(m.dir, `f${i}`)))).toBe(sha(data));
    }
    // Random ranges, interleaved between the files, so blocks are evicted and fetched again.
    let state = 12345;
    const next = (n: number) => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % n;
    };
    for (let k = 0; k < 60; k++) {
      const i = next(files.length);
      const data = files[i]!;
      const offset = next(data.length);
      const length = 1 + next(700 * KiB);
      expect((await readAt(join(m.dir, `f${i}`), offset, length)).equals(data.subarray(offset, offset + length))).toBe(true);
    }
    const onDisk = cachedBlocks(cacheDir).reduce((sum, b) => sum + b.sizeBytes, 0);
    expect(onDisk).toBeLessThanOrEqual(1 * MiB);
  });

  test('a corrupted block in the disk cache is detected, deleted and refetched: reads stay correct', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('disk-corrupt', ['--block-size', '64KiB']);
    const data = randomBytes(640 * KiB);
    const cacheDir = await fx.tempDir('cache');
    let m = await fx.mount('disk-corrupt', { cacheDir });
    await writeFile(join(m.dir, 'f'), data);
    await m.unmount();
    // Fill the disk cache by reading through a fresh mount, then unmount (memory tier gone).
    m = await fx.mount('disk-corrupt', { cacheDir });
    expect(sha(await readFile(join(m.dir, 'f')))).toBe(sha(data));
    await m.unmount();

    const blocks = cachedBlocks(cacheDir);
    expect(blocks.length).toBe(10);
    const victims = [blocks[0]!, blocks[5]!];
    for (const v of victims) await writeFile(v.path, Buffer.alloc(v.sizeBytes, 0x5a));

    m = await fx.mount('disk-corrupt', { cacheDir });
    expect(sha(await readFile(join(m.dir, 'f')))).toBe(sha(data));
    const log = await m.log();
    for (const v of victims) expect(log).toContain(v.hash);
    expect(log).toMatch(/disk cache block failed verification/);
    // The corrupt files were replaced by good copies: written in the background, and
    // finished by the time the daemon has unmounted.
    await m.unmount();
    for (const v of victims) expect(sha(await readFile(v.path))).toBe(v.hash);
  });

  test('a corrupted block object in the bucket gives EIO on read and a log line, never wrong data', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('store-corrupt', ['--block-size', '64KiB']);
    const bad = randomBytes(200 * KiB);
    const good = randomBytes(100 * KiB);
    let m = await fx.mount('store-corrupt');
    await writeFile(join(m.dir, 'bad'), bad);
    await m.unmount();
    const badBlocks = (await fx.listKeys('volumes/store-corrupt/blocks/')).sort();
    expect(badBlocks.length).toBe(4);
    m = await fx.mount('store-corrupt');
    await writeFile(join(m.dir, 'good'), good);
    await m.unmount();

    // Overwrite the object holding the second block of "bad" (offset 64 KiB).
    const secondHash = createHash('sha256').update(bad.subarray(64 * KiB, 128 * KiB)).digest('hex');
    const key = `volumes/store-corrupt/blocks/${secondHash}`;
    expect(badBlocks).toContain(key);
    const original = (await fx.bucketStore().get(key)).body;
    const corrupted = Buffer.from(original);
    corrupted[1000] = corrupted[1000]! ^ 0xff;
    await fx.bucketStore().put(key, corrupted);

    m = await fx.mount('store-corrupt'); // fresh, empty cache
    // Read to the end, as `cat` does: a short read is followed by one that fails. (Node's
    // readFile stops at the first short read of a file of known size: it would return
    // 64 KiB without an error, so it cannot be used to see this.)
    await expect(readToEnd(join(m.dir, 'bad'))).rejects.toMatchObject({ code: 'EIO' });
    await expect(readAt(join(m.dir, 'bad'), 64 * KiB + 10, 100)).rejects.toMatchObject({ code: 'EIO' });
    // Blocks that are intact still read, in the same file and in others.
    expect((await readAt(join(m.dir, 'bad'), 0, 64 * KiB)).equals(bad.subarray(0, 64 * KiB))).toBe(true);
    expect((await readAt(join(m.dir, 'bad'), 128 * KiB, 72 * KiB)).equals(bad.subarray(128 * KiB))).toBe(true);
    expect(sha(await readFile(join(m.dir, 'good')))).toBe(sha(good));
    const log = await m.log();
    expect(log).toContain(secondHash);
    expect(log).toMatch(/corrupt|failed verification/);
    // The corrupt block never reached the disk cache.
    expect(cachedBlocks(m.cacheDir).map((b) => b.hash)).not.toContain(secondHash);

    // Repairing the object in the bucket makes the file readable again.
    await fx.bucketStore().put(key, original);
    expect(sha(await readToEnd(join(m.dir, 'bad')))).toBe(sha(bad));
  });
});
