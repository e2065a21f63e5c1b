// FileData (vfs/file-data.ts) over an in-memory block cache: writes and reads across
// blocks, holes, truncation, and what sealing dirty blocks produces.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BlockCache } from '../../chalkfs/cache/block-cache.js';
import { FileData } from '../../chalkfs/vfs/file-data.js';
import { blockHash, type FileInode } from '../../chalkfs/meta/format.js';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { extentBytes } from '../../chalkfs/vfs/block-patches.js';

const bs = 16;

function setup(blockSize = bs, maxPatchBytesPerBlock = 0) {
  const stored = new Map<string, Buffer>();
  const fetches: string[] = [];
  const fetcher = async (hash: string) => {
    fetches.push(hash);
    const data = stored.get(hash);
    if (!data) throw new Error(`no block ${hash}`);
    return Buffer.from(data);
  };
  const cache = new BlockCache(1 << 20, undefined, silentLogger());
  const data = new FileData(blockSize, cache, fetcher, maxPatchBytesPerBlock);
  // FileData never changes an inode: as in a mount, the namespace applies what it reports.
  const ns = Namespace.empty({ uid: 0, gid: 0 }, 0);
  const { inode } = ns.createFile('/f', 0o644, { uid: 0, gid: 0 }, 0);
  const write = async (chunk: Buffer, offset: number) => {
    await data.write(1, inode, chunk, offset, () => ns.extendTo(inode, offset + chunk.length));
  };
  const truncate = async (sizeBytes: number) => {
    const oldSizeBytes = inode.sizeBytes;
    ns.setSize(inode, sizeBytes, blockSize);
    await data.truncated(1, inode, oldSizeBytes);
  };
  /** Seals and applies the seal; returns the blocks a commit would upload (every pending one). */
  const seal = () => {
    ns.applySeal(inode, data.seal(1, inode));
    return data.pendingBlocks();
  };
  /** Seals, "uploads" into the map and confirms: what a commit does. */
  const commit = async (confirm = true) => {
    const sealed = seal();
    for (const b of sealed) stored.set(b.hash, Buffer.from(b.data));
    if (confirm) for (const b of data.pendingBlocks()) await data.confirmUploaded(b.hash);
    return sealed;
  };
  /** What a mount on another host serving this inode's last sealed state would read. */
  const readElsewhere = async (node = inode) => {
    const decoded = JSON.parse(JSON.stringify(node)) as FileInode;
    const other = new FileData(blockSize, new BlockCache(1 << 20, undefined, silentLogger()), fetcher, maxPatchBytesPerBlock);
    const out = Buffer.alloc(decoded.sizeBytes);
    await other.read(1, decoded, out, out.length, 0);
    return out;
  };
  return { stored, fetches, cache, data, inode, write, truncate, seal, commit, readElsewhere };
}

async function readAll(data: FileData, inode: FileInode, ino = 1): Promise<Buffer> {
  const out = Buffer.alloc(inode.sizeBytes + 10, 0xee);
  const n = await data.read(ino, inode, out, out.length, 0);
  expect(n).toBe(inode.sizeBytes);
  return out.subarray(0, n);
}

describe('FileData', () => {
  it('writes at offsets and reads across block boundaries', async () => {
    const { data, inode, write } = setup();
    await write(Buffer.from('hello world, this spans blocks!'), 5);
    expect(inode.sizeBytes).toBe(36);
    const all = await readAll(data, inode);
    expect(all.subarray(0, 5)).toEqual(Buffer.alloc(5));
    expect(all.subarray(5).toString()).toBe('hello world, this spans blocks!');
    const part = Buffer.alloc(10);
    expect(await data.read(1, inode, part, 10, 12)).toBe(10);
    expect(part.toString()).toBe('orld, this');
    expect(await data.read(1, inode, part, 10, 36)).toBe(0);
    expect(await data.read(1, inode, part, 10, 30)).toBe(6);
  });

  it('reads a sparse hole as zeros and seals it as null', async () => {
    const { data, inode, commit, write } = setup();
    await write(Buffer.from('end'), 5 * bs);
    const all = await readAll(data, inode);
    expect(all.subarray(0, 5 * bs)).toEqual(Buffer.alloc(5 * bs));
    const sealed = await commit();
    expect(sealed).toHaveLength(1);
    expect(inode.blocks.slice(0, 5)).toEqual([null, null, null, null, null]);
    expect(inode.blocks[5]).toBe(blockHash(Buffer.from('end')));
  });

  it('truncate down then up reads zeros in the regrown part', async () => {
    const { data, inode, commit, write, truncate } = setup();
    await write(Buffer.alloc(3 * bs, 0x41), 0);
    await commit();
    await truncate(bs + 3);
    await truncate(3 * bs);
    const all = await readAll(data, inode);
    expect(all.subarray(0, bs + 3)).toEqual(Buffer.alloc(bs + 3, 0x41));
    expect(all.subarray(bs + 3)).toEqual(Buffer.alloc(2 * bs - 3));
    await commit();
    expect(await readAll(data, inode)).toEqual(all);
  });

  it('truncate down then up of uncommitted data reads zeros too', async () => {
    const { data, inode, write, truncate } = setup();
    await write(Buffer.alloc(3 * bs, 0x42), 0);
    await truncate(5);
    expect(data.dirtyBytes).toBe(bs);
    await truncate(2 * bs);
    const all = await readAll(data, inode);
    expect(all).toEqual(Buffer.concat([Buffer.alloc(5, 0x42), Buffer.alloc(2 * bs - 5)]));
  });

  it('seal hashes dirty blocks, moves them to pending and keeps them readable', async () => {
    const { data, inode, stored, fetches, write, seal } = setup();
    await write(Buffer.alloc(bs + 4, 0x61), 0);
    expect(data.dirtyInodes()).toEqual([1]);
    expect(data.dirtyBytes).toBe(2 * bs);
    const sealed = seal();
    expect(data.dirtyInodes()).toEqual([]);
    expect(data.dirtyBytes).toBe(0);
    expect(sealed.map((b) => b.hash)).toEqual([blockHash(Buffer.alloc(bs, 0x61)), blockHash(Buffer.alloc(4, 0x61))]);
    expect(sealed[1]!.data.length).toBe(4); // the last block is stored only up to EOF
    expect(inode.blocks).toEqual(sealed.map((b) => b.hash));
    expect(data.pendingBlocks().map((b) => b.hash).sort()).toEqual(sealed.map((b) => b.hash).sort());
    // Not yet in the store: reads are served from pending.
    expect(await readAll(data, inode)).toEqual(Buffer.alloc(bs + 4, 0x61));
    expect(fetches).toEqual([]);
    for (const b of sealed) {
      stored.set(b.hash, b.data);
      await data.confirmUploaded(b.hash);
    }
    expect(data.pendingBlocks()).toEqual([]);
  });

  it('seal reports what the block list becomes (hashes, holes, patches) and leaves the inode to the namespace', async () => {
    const { data, inode, write, commit } = setup(bs, 4);
    await write(Buffer.alloc(3 * bs, 0x61), 0);
    await commit();
    const before = JSON.stringify(inode);
    await write(Buffer.from('ab'), bs + 1);
    await write(Buffer.alloc(bs), 2 * bs);
    await write(Buffer.alloc(bs, 0x62), 3 * bs);
    const sizeBytes = inode.sizeBytes;
    const sealed = data.seal(1, inode);
    expect([...sealed.blocks]).toEqual([
      [1, { patch: [[1, Buffer.from('ab').toString('base64')]] }],
      [2, { hash: null }],
      [3, { hash: blockHash(Buffer.alloc(bs, 0x62)) }],
    ]);
    expect(sealed.blockCount).toBe(4);
    // Only the writes changed the inode (its size), not the seal.
    expect(JSON.parse(JSON.stringify(inode))).toEqual({ ...JSON.parse(before), sizeBytes: 4 * bs });
    expect(inode.sizeBytes).toBe(sizeBytes);
  });

  it('an all-zero dirty block seals to null, and trailing nulls are trimmed', async () => {
    const { inode, write, seal } = setup();
    await write(Buffer.alloc(2 * bs), 0);
    expect(seal()).toEqual([]);
    expect(inode.blocks).toEqual([]);
    expect(inode.sizeBytes).toBe(2 * bs);
  });

  it('reads committed blocks through the cache, fetching each once', async () => {
    const { inode, commit, fetches, stored, write } = setup();
    await write(Buffer.alloc(2 * bs, 0x33), 0);
    await commit();
    const other = setup();
    // A second mount with an empty cache over the same store.
    for (const [k, v] of stored) other.stored.set(k, v);
    const copy: FileInode = { ...inode, blocks: [...inode.blocks] };
    expect(await readAll(other.data, copy, 7)).toEqual(Buffer.alloc(2 * bs, 0x33));
    await readAll(other.data, copy, 7);
    expect(other.fetches).toEqual([inode.blocks[0]]); // identical blocks dedupe to one hash
    expect(fetches).toEqual([]);
  });

  it('a partial write into a committed block merges with its old content', async () => {
    const { data, inode, commit, write } = setup();
    await write(Buffer.from('0123456789abcdef'), 0);
    await commit();
    await write(Buffer.from('XY'), 4);
    expect((await readAll(data, inode)).toString()).toBe('0123XY6789abcdef');
  });

  it('readBytes hands out views of committed blocks, and a later write does not change them', async () => {
    const { data, inode, cache, commit, write } = setup();
    await write(Buffer.from('0123456789abcdef0123456789ABCDEF'), 0);
    await commit();
    const [view, ...more] = await data.readBytes(1, inode, 4, bs + 2);
    expect([view!.toString(), more]).toEqual(['2345', []]);
    expect(view!.buffer).toBe(cache.peek(inode.blocks[1]!)!.buffer); // no copy
    await write(Buffer.from('XY'), bs + 2);
    expect(view!.toString()).toBe('2345');
    expect(Buffer.concat(await data.readBytes(1, inode, 4, bs + 2)).toString()).toBe('XY45');
    // Across two blocks, one of them dirty: one new buffer.
    expect((await data.readBytes(1, inode, 6, bs - 2)).map(String)).toEqual(['ef01XY']);
    // Across two committed blocks: a view of each, no copy; past the end: cut at the end of the file.
    await commit();
    const across = await data.readBytes(1, inode, 6, bs - 2);
    expect(across.map(String)).toEqual(['ef', '01XY']);
    expect(across.map((v, i) => v.buffer === cache.peek(inode.blocks[i]!)!.buffer)).toEqual([true, true]);
    expect(Buffer.concat(await data.readBytes(1, inode, 10, 2 * bs - 3)).toString()).toBe('DEF');
  });

  it('a write of whole blocks keeps its own memory as the dirty blocks (no copy)', async () => {
    const { data, inode, write } = setup();
    const chunk = Buffer.alloc(3 * bs, 7);
    await write(chunk, 0);
    for (const index of [0, 1, 2]) {
      const block = data.peekBlock(1, inode, index)!;
      expect([block.buffer === chunk.buffer, block.byteOffset - chunk.byteOffset]).toEqual([true, index * bs]);
    }
  });

  it('memory given to two writes never backs two blocks: the second write is copied', async () => {
    const { data, inode, write, commit, readElsewhere } = setup();
    const chunk = Buffer.alloc(bs); // zeros: never offered for upload, so a later write lands in place
    await write(chunk, 0);
    await write(chunk, bs); // against the contract, but it must not alias block 0 and block 1
    await write(Buffer.from([9]), 3);
    const expected = Buffer.alloc(2 * bs);
    expected[3] = 9;
    expect(await readAll(data, inode)).toEqual(expected);
    await commit();
    expect(await readElsewhere()).toEqual(expected);
  });

  it('a partial block holds what it has, grows as writes reach further, and seals as the whole would', async () => {
    const mib = 1024 * 1024;
    const { data, inode, write, truncate, commit, readElsewhere } = setup(mib);
    await write(Buffer.alloc(5000, 1), 0);
    // The first 64 KiB step, not a whole block: a small file, or a SQLite journal.
    expect(data.peekBlock(1, inode, 0)!.length).toBe(64 * 1024);
    // Past a gap: the next step that holds it.
    await write(Buffer.alloc(10, 2), 300_000);
    expect(data.peekBlock(1, inode, 0)!.length).toBe(320 * 1024);
    // Grown by truncation past the buffer: the seal pads with zeros.
    await truncate(700_000);
    const expected = Buffer.alloc(700_000);
    expected.fill(1, 0, 5000);
    expected.fill(2, 300_000, 300_010);
    // equals, not toEqual: a diff of 700,000 bytes takes vitest minutes to print.
    expect((await readAll(data, inode)).equals(expected), 'read back').toBe(true);
    const [sealed] = await commit();
    expect(sealed!.hash).toBe(blockHash(expected));
    expect((await readElsewhere()).equals(expected), 'read on another mount').toBe(true);
  });

  it('a partial block written on from its end takes the whole block at once (a file growing page by page)', async () => {
    const { data, inode, write } = setup(1024 * 1024);
    for (let page = 0; page < 16; page++) await write(Buffer.alloc(4096, page + 1), page * 4096);
    expect(data.peekBlock(1, inode, 0)!.length).toBe(64 * 1024);
    await write(Buffer.alloc(4096, 17), 16 * 4096);
    expect(data.peekBlock(1, inode, 0)!.length).toBe(1024 * 1024);
    const expected = Buffer.concat(Array.from({ length: 17 }, (_, page) => Buffer.alloc(4096, page + 1)));
    expect((await readAll(data, inode)).equals(expected), 'read back').toBe(true);
  });

  it('a partial block made dirty again holds its patches past its base', async () => {
    const { data, inode, write, truncate, commit, readElsewhere } = setup(1024 * 1024, 6);
    await write(Buffer.alloc(100, 1), 0);
    await commit(); // the base: 100 bytes
    await truncate(200_000);
    await write(Buffer.from([9, 9, 9, 9]), 150_000);
    await commit(); // a patch at 150,000, far past the base's end
    expect(inode.patches?.[0]).toBeDefined();
    await write(Buffer.from([5]), 10);
    await commit();
    const expected = Buffer.alloc(200_000);
    expected.fill(1, 0, 100);
    expected[10] = 5;
    expected.fill(9, 150_000, 150_004);
    expect((await readAll(data, inode)).equals(expected), 'read back').toBe(true);
    expect((await readElsewhere()).equals(expected), 'read on another mount').toBe(true);
  });

  it('discard forgets dirty data of an inode', async () => {
    const { data, write } = setup();
    await write(Buffer.alloc(bs, 1), 0);
    data.discard(1);
    expect(data.dirtyBytes).toBe(0);
    expect(data.dirtyInodes()).toEqual([]);
  });

  // 16-byte blocks make many blocks per file; 256 KiB blocks make partial blocks whose
  // dirty buffers hold only their first 64 KiB steps and grow (dirty-block.ts).
  it.each([
    { patches: 'without patches', maxPatch: 0, bs },
    { patches: 'with patches of up to 6 bytes a block', maxPatch: 6, bs },
    { patches: 'without patches, 256 KiB blocks', maxPatch: 0, bs: 256 * 1024 },
    { patches: 'with patches of up to 6 bytes a block, 256 KiB blocks', maxPatch: 6, bs: 256 * 1024 },
  ])('matches a plain Buffer under random writes, truncates, commits (confirmed or pending), folds and reads, $patches (model-based)', async ({ maxPatch, bs }) => {
    type Op =
      | { kind: 'write'; offset: number; length: number; byte: number }
      | { kind: 'truncate'; size: number }
      | { kind: 'commit'; confirm: boolean }
      | { kind: 'fold'; index: number }
      | { kind: 'read'; offset: number; length: number };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), offset: fc.nat(6 * bs), length: fc.integer({ min: 1, max: 3 * bs }), byte: fc.integer({ min: 0, max: 255 }) }),
      // Small writes: the ones that become patches.
      fc.record({ kind: fc.constant('write' as const), offset: fc.nat(6 * bs), length: fc.integer({ min: 1, max: 4 }), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), size: fc.nat(7 * bs) }),
      fc.record({ kind: fc.constant('commit' as const), confirm: fc.boolean() }),
      fc.record({ kind: fc.constant('fold' as const), index: fc.nat(7) }),
      fc.record({ kind: fc.constant('read' as const), offset: fc.nat(8 * bs), length: fc.integer({ min: 1, max: 4 * bs }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops: Op[]) => {
        const { data, inode, commit, readElsewhere, write, truncate } = setup(bs, maxPatch);
        let model = Buffer.alloc(0);
        for (const o of ops) {
          if (o.kind === 'write') {
            const chunk = Buffer.alloc(o.length, o.byte);
            await write(chunk, o.offset);
            if (model.length < o.offset + o.length) model = Buffer.concat([model, Buffer.alloc(o.offset + o.length - model.length)]);
            chunk.copy(model, o.offset);
          } else if (o.kind === 'truncate') {
            await truncate(o.size);
            model = o.size <= model.length ? Buffer.from(model.subarray(0, o.size)) : Buffer.concat([model, Buffer.alloc(o.size - model.length)]);
          } else if (o.kind === 'commit') {
            // Unconfirmed commits leave blocks pending, as while an upload is in flight.
            await commit(o.confirm);
            const elsewhere = await readElsewhere();
            if (!elsewhere.equals(model)) throw new Error('another mount reading the sealed inode differs from the model');
          } else if (o.kind === 'fold') {
            await data.fold(1, inode, o.index);
          } else {
            const target = Buffer.alloc(o.length, 0xee);
            const n = await data.read(1, inode, target, o.length, o.offset);
            const expected = model.subarray(Math.min(o.offset, model.length), Math.min(o.offset + o.length, model.length));
            if (n !== expected.length || !target.subarray(0, n).equals(expected)) throw new Error(`read(${o.offset}, ${o.length}) differs from the model`);
            const bytes = Buffer.concat(await data.readBytes(1, inode, o.length, o.offset));
            if (!bytes.equals(expected)) throw new Error(`readBytes(${o.offset}, ${o.length}) differs from the model`);
          }
          if (inode.sizeBytes !== model.length) throw new Error(`size ${inode.sizeBytes}, model ${model.length}`);
        }
        await commit();
        const all = Buffer.alloc(model.length);
        await data.read(1, inode, all, model.length, 0);
        if (!all.equals(model)) throw new Error('final content differs from the model');
        if (inode.blocks.length > Math.ceil(model.length / bs)) throw new Error('block list longer than the file');
        if (!(await readElsewhere()).equals(model)) throw new Error('another mount differs from the model');
        for (const [index, extents] of Object.entries(inode.patches ?? {})) {
          if (maxPatch === 0) throw new Error('a patch was made with patches disabled');
          if (Number(index) >= inode.blocks.length || !inode.blocks[Number(index)]) throw new Error(`patch of block ${index} has no base`);
          if (extentBytes(extents) > maxPatch) throw new Error(`patch of block ${index} is over the limit`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
