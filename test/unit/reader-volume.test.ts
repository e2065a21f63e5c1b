/*
 * ReaderVolume: a follower adopts the writer's new versions, keeps open files at the
 * version they opened (a new content generation for the newest, or a pin for SQLite
 * files), tells its Invalidator before any answer changes, shares handles only when
 * safe; a pinned mount serves one version. Every change is refused.
 */
import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, reading, writing, newVolume, kindOf, openNow, readFile, createCommitted, rewriteCommitted, invalidatorOf } from '../support/volume-test-helpers.js';

cleanUpAfterEach();

describe('ReaderVolume', () => {
  it('writes on a read-only mount fail with read-only', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await createCommitted(rw, '/f', 'x');
    const ro = await mount('read-only');
    expect(await kindOf(() => ro.mkdir('/d', 0o755))).toBe('read-only');
    expect(await kindOf(() => ro.create('/g', 0o644))).toBe('read-only');
    expect(await kindOf(() => ro.open('/f', writing))).toBe('read-only');
    expect(await kindOf(() => ro.unlink('/f'))).toBe('read-only');
    expect(await kindOf(() => ro.rename('/f', '/h'))).toBe('read-only');
    expect(await kindOf(() => ro.truncate('/f', 0))).toBe('read-only');
    expect(await kindOf(() => ro.chmod('/f', 0o600))).toBe('read-only');
    expect(ro.readdir('/')).toEqual(['.', '..', 'f']);
  });


  it('adopts the writer\'s new version on refresh; open handles keep the old one, under its generation, and every later open gets the new one', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await createCommitted(rw, '/f', 'old content');

    const ro = await mount('read-only');
    expect(ro.versionSeq).toBe(2);
    expect(ro.getattr('/f').size).toBe(11);
    const pinned = openNow(ro, '/f');

    const fh = rw.open('/f', writing);
    await rw.truncate('/f', 0);
    await rw.write(fh, Buffer.from('new, longer content'), 0);
    rw.release(fh);
    rw.create('/g', 0o644);
    await rw.fsync('/f');

    expect(await ro.refresh()).toBe(true);
    expect(ro.versionSeq).toBe(rw.versionSeq);
    expect(await ro.refresh()).toBe(false);
    expect(ro.readdir('/').sort()).toEqual(['.', '..', 'f', 'g']);
    // The handle opened before adoption keeps reading the old content, which the kernel's
    // node of generation 0 stands for; the newest is served at a new generation (a new node).
    const out = Buffer.alloc(64);
    expect(await ro.read(pinned, out, 64, 0)).toBe(11);
    expect(out.subarray(0, 11).toString()).toBe('old content');
    expect(ro.getattr('/f', 0).size).toBe(11);
    expect(ro.getattr('/f')).toMatchObject({ size: 19, generation: 1 });
    expect((await readFile(ro, '/f')).toString()).toBe('new, longer content');
    // The kernel's old node may open again while the holder holds its content (a /proc/PID/fd open).
    const again = await ro.open('/f', { write: false, generation: 0 });
    expect(out.subarray(0, await ro.read(again, out, 64, 0)).toString()).toBe('old content');
    ro.release(again);
    ro.release(pinned);
    // Once nobody holds it, the old node is stale: the kernel looks the name up again.
    expect(await kindOf(() => ro.open('/f', { write: false, generation: 0 }))).toBe('stale');
    expect(await kindOf(() => ro.getattr('/f', 0))).toBe('stale');
    expect(ro.getattr('/f')).toMatchObject({ size: 19, generation: 1 });
    expect((await readFile(ro, '/f')).toString()).toBe('new, longer content');
  });

  it('a version that leaves a held file unchanged gives it no new generation', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await createCommitted(rw, '/f', 'same');
    const ro = await mount('read-only');
    const held = openNow(ro, '/f');
    await createCommitted(rw, '/g', 'other');
    expect(await ro.refresh()).toBe(true);
    expect(ro.getattr('/f').generation).toBeUndefined();
    ro.release(held);
  });

  it('tells its attribute listener just before any getattr answer changes: new version, a new generation at open', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    rw.release(rw.create('/f', 0o644));
    const publish = (content: string) => rewriteCommitted(rw, '/f', content);
    await publish('v1');
    const ro = await mount('read-only');

    // A cache of getattr answers that the listener empties, as the FUSE binding keeps in C (lowlevel-mount.ts).
    const cache = new Map<string, number>();
    const sizesSeenByListener: number[] = [];
    ro.setInvalidator(invalidatorOf(() => {
      sizesSeenByListener.push(ro.getattr('/f').size);
      cache.clear();
    }));
    const lookup = (path: string): number => {
      const hit = cache.get(path);
      if (hit !== undefined) return hit;
      const size = ro.getattr(path).size;
      cache.set(path, size);
      return size;
    };
    const cacheAgrees = () => {
      for (const [path, size] of cache) expect(ro.getattr(path).size).toBe(size);
    };

    expect(lookup('/f')).toBe(2);
    await publish('v2 longer');
    expect(await ro.refresh()).toBe(true);
    // Called before the version changed: the listener still saw the old size.
    expect(sizesSeenByListener).toEqual([2]);
    cacheAgrees();
    expect(lookup('/f')).toBe(9);

    // The kernel looked the file up (v2), then a new version came, then open(2) on the
    // node it looked up: the open serves what the lookup reported, at that node's
    // generation, and the newest gets a new generation (the kernel's next lookup makes a
    // new node), so the cache must not keep the answer of before.
    await publish('v3 is longer still');
    expect(await ro.refresh()).toBe(true);
    const fh = await ro.open('/f', { write: false, generation: 0 });
    expect(sizesSeenByListener).toEqual([2, 9, 18]);
    const out = Buffer.alloc(64);
    expect(out.subarray(0, await ro.read(fh, out, 64, 0)).toString()).toBe('v2 longer');
    expect(ro.getattr('/f', 0).size).toBe(9);
    expect(ro.getattr('/f')).toMatchObject({ size: 18, generation: 1 });
    cacheAgrees();
    expect(lookup('/f')).toBe(18);
    // Releasing changes no answer of the newest.
    ro.release(fh);
    expect(sizesSeenByListener).toHaveLength(3);
    cacheAgrees();

    // Opens and releases of the newest leave the cache alone.
    ro.release(openNow(ro, '/f'));
    expect(sizesSeenByListener).toHaveLength(3);
    cacheAgrees();
  });

  it('shares only read-only handles of the version\'s own inode, and lets the attribute listener release idle shared handles', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await createCommitted(rw, '/f', 'v1');
    expect(rw.shareable(rw.open('/f', reading))).toBe(false);
    const rewrite = (content: string) => rewriteCommitted(rw, '/f', content);

    const ro = await mount('read-only');
    // The FUSE layer's model: handles shared until the listener is called; those with no
    // open left are released from inside it (lowlevel-mount.ts), the others when closed.
    const shared = new Map<number, number>(); // fh -> opens the kernel holds
    const retired = new Map<number, number>(); // no longer shared, still open
    ro.setInvalidator(invalidatorOf(() => {
      for (const [fh, opens] of [...shared]) {
        shared.delete(fh);
        if (opens === 0) ro.release(fh);
        else retired.set(fh, opens);
      }
    }));
    const openShared = (): number => {
      for (const [fh, opens] of shared) {
        shared.set(fh, opens + 1);
        return fh;
      }
      const fh = openNow(ro, '/f');
      if (ro.shareable(fh)) shared.set(fh, 1);
      return fh;
    };
    const closeShared = (fh: number) => {
      if (shared.has(fh)) return void shared.set(fh, shared.get(fh)! - 1);
      const left = (retired.get(fh) ?? 1) - 1;
      if (left > 0) return void retired.set(fh, left);
      retired.delete(fh);
      ro.release(fh);
    };
    const readVia = async (fh: number) => {
      const out = Buffer.alloc(64);
      return out.subarray(0, await ro.read(fh, out, 64, 0)).toString();
    };

    const a = openShared();
    expect(shared.has(a)).toBe(true);
    expect(openShared()).toBe(a);
    closeShared(a);
    closeShared(a);
    expect(ro.status().openHandles).toBe(1); // idle, still shared

    // A new version with no open held: the idle handle is released inside the listener
    // and nothing stays pinned.
    await rewrite('v2 longer');
    expect(await ro.refresh()).toBe(true);
    expect(ro.status().openHandles).toBe(0);
    expect(ro.getattr('/f').size).toBe(9);

    // A new version while a shared open is held: that handle keeps v2 (generation 0) and
    // the newest is served at a new generation; opens of the newest are shared again, an
    // open of the older generation (its node) never is.
    const held = openShared();
    expect(await readVia(held)).toBe('v2 longer');
    await rewrite('v3 is longer still');
    expect(await ro.refresh()).toBe(true);
    expect(retired.has(held)).toBe(true);
    expect(await readVia(held)).toBe('v2 longer');
    expect(ro.getattr('/f')).toMatchObject({ size: 18, generation: 1 }); // the kernel's lookup: a new node
    const during = openShared();
    expect(ro.shareable(during)).toBe(true);
    expect(await readVia(during)).toBe('v3 is longer still');
    const older = await ro.open('/f', { write: false, generation: 0 });
    expect(ro.shareable(older)).toBe(false);
    expect(await readVia(older)).toBe('v2 longer');
    ro.release(older);
    closeShared(during);
    closeShared(held);
    expect(ro.status().openHandles).toBe(1); // `during`: idle, still shared
    expect(ro.getattr('/f').size).toBe(18);
    expect(openShared()).toBe(during);
  });

  it('after an open database switches to the served version, a new open gets that version too, not the one the kernel was told before', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await createCommitted(rw, '/db', sqliteLike('version one'));
    const ro = await mount('read-only');
    expect(ro.getattr('/db').size).toBe(512); // what the kernel was told
    const held = await ro.open('/db', reading); // a long-lived connection (its header is read first)
    await rewriteCommitted(rw, '/db', sqliteLike('version two, longer'));
    expect(await ro.refresh()).toBe(true);
    // The live switch (sqlite/live-databases.ts) under SQLite's EXCLUSIVE: every handle now
    // serves the version served, and the kernel's pages and attributes of the file are dropped.
    const ino = ro.filesBehind()[0]!.ino;
    expect(ro.switchToServed(ino)).toBe(true);
    // A new open (open→query→close) before any getattr: it must not pin the file back at
    // version one, which would mix two versions' pages in the kernel's cache of one inode.
    const fresh = await ro.open('/db', reading);
    const out = Buffer.alloc(35);
    expect(out.subarray(16, await ro.read(fresh, out, 35, 0)).toString()).toBe('version two, longer');
    expect(out.subarray(16, await ro.read(held, out, 35, 0)).toString()).toBe('version two, longer');
    expect(ro.getattr('/db').generation).toBeUndefined();
    expect(ro.filesBehind()).toEqual([]);
    ro.release(fresh);
    ro.release(held);
  });

  it('handle numbers wrap around without reusing one still open', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await createCommitted(rw, '/f', 'x');
    const ro = await mount('read-only');
    const first = openNow(ro, '/f');
    (ro as unknown as { handles: { nextFh: number } }).handles.nextFh = 0xfffffff0;
    expect(openNow(ro, '/f')).toBe(0xfffffff0);
    const wrapped = openNow(ro, '/f');
    expect(wrapped).not.toBe(first);
    expect(wrapped).toBe(first + 1);
  });

  it('does not adopt a version with a hot journal', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    const ro = await mount('read-only');
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]), 0);
    await rw.commit('test');
    expect(await ro.refresh()).toBe(false);
    expect(ro.versionSeq).toBe(1);
    await rw.ftruncate(j, 0);
    await rw.commit('test');
    expect(await ro.refresh()).toBe(true);
    expect(ro.versionSeq).toBe(3);
  });

  it('a pinned mount serves its version and refuses writes', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, Buffer.from('v2'), 0);
    await rw.fsync('/f');
    await rw.write(fh, Buffer.from('v3'), 0);
    await rw.fsync('/f');
    const v = await mount('pinned', 'pinned', 2);
    expect(v.versionSeq).toBe(2);
    expect(await kindOf(() => mount('pinned', 'pinned', 99))).toBe('not-found');
    expect((await readFile(v, '/f')).toString()).toBe('v2');
    expect(await kindOf(() => v.create('/x', 0o644))).toBe('read-only');
  });
});

/** A 512-byte file whose header says SQLite (what a follower pins rather than giving it a new generation), holding `text` after the magic. */
function sqliteLike(text: string): string {
  return `SQLite format 3\u0000${text}`.padEnd(512, ' ');
}
