/*
 * WriterVolume when history may fork: another writer's version, a lapsed and retaken
 * lease, and version PUTs whose outcome is unknown. The mount is fenced (never writes
 * again) rather than replace a version that may have been seen.
 */
import { describe, expect, it, vi } from 'vitest';
import { versionFormat } from '../../chalkfs/meta/format.js';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { FaultyObjectStore } from '../../chalkfs/store/faulty-object-store.js';
import { cleanUpAfterEach, owner, writing, versionKey, takeLease, capturingLogger, newVolume, kindOf, createCommitted, versionKeys } from '../support/volume-test-helpers.js';

cleanUpAfterEach();

describe('WriterVolume (fencing)', () => {
  it('a commit that loses the conditional PUT to another writer fences the mount', async () => {
    const { repo, mount } = await newVolume();
    const rw = await mount('read-write', 'mine');
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, Buffer.from('mine'), 0);
    // Another writer takes version 2 first.
    const other = Namespace.empty(owner, 1);
    other.createFile('/theirs', 0o644, owner, 1);
    await repo.writeVersion({ format: versionFormat, volume: 'vol', seq: 2, parentSeq: 1, createdAt: 'x', writer: { host: 'other-host', pid: 9, mountId: 'theirs' }, consistent: true, ...other.snapshot() });
    expect(await kindOf(() => rw.fsync('/f'))).toBe('read-only');
    expect(rw.status().fenced).toMatch(/other-host/);
    expect(await kindOf(() => rw.write(fh, Buffer.from('more'), 4))).toBe('read-only');
    expect(await kindOf(() => rw.mkdir('/d', 0o755))).toBe('read-only');
    expect(await kindOf(() => rw.commit('again'))).toBe('read-only');
    // The other writer's version stands.
    expect(Namespace.fromRecord(await repo.readVersion('vol', 2)).tryResolve('/theirs')).toBeDefined();
    expect(await repo.versionsAfter('vol', 0)).toEqual([1, 2]);
  });

  it('a mount fenced by a version another writer wrote stops renewing its lease and gives it up: another writer takes over at once', async () => {
    const { repo, store, mount } = await newVolume();
    const lease = await takeLease(store, 'mine');
    const rw = await mount('read-write', 'mine', undefined, { lease });
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, Buffer.from('mine'), 0);
    const other = Namespace.empty(owner, 1);
    await repo.writeVersion({ format: versionFormat, volume: 'vol', seq: 2, parentSeq: 1, createdAt: 'x', writer: { host: 'other-host', pid: 9, mountId: 'theirs' }, consistent: true, ...other.snapshot() });
    expect(await kindOf(() => rw.fsync('/f'))).toBe('read-only');
    expect(lease.held()).toBe(false);
    expect(lease.fenced).toMatch(/other-host/);
    // Not renewed any more, and released: a third mount need not wait for it to expire.
    const next = await takeLease(store, 'third');
    expect(next.held()).toBe(true);
  });

  it('after its lease lapsed and was taken again, a writer checks history first: a version another writer wrote meanwhile fences it, even with version N+1 gone (gc)', async () => {
    vi.useFakeTimers();
    const { repo, memory, mount } = await newVolume();
    const clock = { now: 1_000_000 };
    const faulty = new FaultyObjectStore(memory);
    const lease = await takeLease(faulty, 'mine', clock);
    const rw = await mount('read-write', 'mine', undefined, { lease });
    await createCommitted(rw, '/f', 'v2');
    const fh = rw.open('/f', writing);
    // The store stops answering the lease loop for longer than the lease.
    faulty.inject({ op: 'put', fault: { kind: 'fail', error: 'timeout' } });
    faulty.inject({ op: 'get', fault: { kind: 'fail', error: 'io' } });
    for (let i = 0; i < 36; i++) {
      clock.now += 500;
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(lease.held()).toBe(false);
    expect(await kindOf(() => rw.write(fh, Buffer.from('refused'), 0))).not.toBe('none');
    // Meanwhile another writer took the lease, wrote versions 3 and 4 and released it; gc removed 3.
    const theirs = await takeLease(memory, 'theirs', clock);
    for (const seq of [3, 4]) {
      const ns = Namespace.empty(owner, 1);
      await repo.writeVersion({ format: versionFormat, volume: 'vol', seq, parentSeq: seq - 1, createdAt: 'x', writer: { host: 'theirs-host', pid: 9, mountId: 'theirs' }, consistent: true, ...ns.snapshot() });
    }
    await theirs.release();
    await memory.delete(storeKeys.version('vol', 3));
    faulty.heal();
    for (let i = 0; i < 6; i++) {
      clock.now += 500;
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(lease.held()).toBe(true);
    expect(lease.retakes).toBe(1);
    await rw.write(fh, Buffer.from('mine'), 0);
    rw.release(fh);
    expect(await kindOf(() => rw.fsync('/f'))).toBe('read-only');
    expect(rw.status().fenced).toMatch(/theirs-host/);
    expect(await repo.versionsAfter('vol', 0)).toEqual([1, 2, 4]);
  });

  it('closing a fenced mount says, at error level, which uncommitted changes it drops', async () => {
    const { repo, mount } = await newVolume();
    const { lines, logger } = capturingLogger();
    const rw = await mount('read-write', 'mine', undefined, { logger });
    const fh = rw.create('/lost.bin', 0o644);
    await rw.write(fh, Buffer.alloc(5000, 1), 0);
    const other = Namespace.empty(owner, 1);
    await repo.writeVersion({ format: versionFormat, volume: 'vol', seq: 2, parentSeq: 1, createdAt: 'x', writer: { host: 'other-host', pid: 9, mountId: 'theirs' }, consistent: true, ...other.snapshot() });
    expect(await kindOf(() => rw.fsync('/lost.bin'))).toBe('read-only');
    rw.release(fh);
    await rw.close();
    const dropped = lines.find((l) => l.level === 50 && /uncommitted/.test(String(l.msg)));
    expect(dropped, JSON.stringify(lines)).toBeDefined();
    expect(dropped).toMatchObject({ paths: ['/lost.bin'], lastCommittedSeq: 1 });
    expect(dropped!.lostBytes).toBeGreaterThanOrEqual(5000);
    expect(String(dropped!.reason)).toMatch(/other-host/);
  });
});

describe('WriterVolume (version PUT with an unknown outcome)', () => {
  const faultyVolume = () => newVolume({ commitOutcomeTimeoutMs: 400 });

  it('answer lost, then the store does not answer reads for a while: the commit waits and succeeds', async () => {
    const { store, mount } = await faultyVolume();
    const rw = await mount('read-write');
    rw.mkdir('/d', 0o755);
    store.inject({ op: 'put', key: versionKey, fault: { kind: 'lose-response' }, times: 1 });
    const reads = store.inject({ op: 'get', key: versionKey, fault: { kind: 'fail', error: 'timeout' }, times: 2 });
    await rw.fsync('/');
    reads();
    expect(store.injected).toEqual([1, 2]);
    expect(rw.versionSeq).toBe(2);
    rw.mkdir('/e', 0o755);
    await rw.fsync('/');
    expect(rw.versionSeq).toBe(3);
  });

  it('answer lost and the store unreachable past the bound: the commit fails, and the landed version is never replaced by a different one', async () => {
    const { store, memory, repo, mount } = await faultyVolume();
    const rw = await mount('read-write');
    const ro = await mount('read-only');
    rw.mkdir('/d', 0o755);
    store.inject({ op: 'put', key: versionKey, fault: { kind: 'lose-response' }, times: 1 });
    store.inject({ op: 'get', key: versionKey, fault: { kind: 'fail', error: 'io' } });
    store.inject({ op: 'put', key: versionKey, fault: { kind: 'fail', error: 'io' } });
    expect(await kindOf(() => rw.fsync('/'))).toBe('io');
    store.heal();
    // The version landed; a reader adopts it.
    expect(await ro.refresh()).toBe(true);
    expect(ro.readdir('/')).toContain('d');
    // The application was told the commit failed and undoes its change: the next commit
    // finds version 2 there (ours, other bytes) and fences the mount instead of replacing it.
    rw.rmdir('/d');
    expect(await kindOf(() => rw.fsync('/'))).toBe('read-only');
    expect(await kindOf(() => rw.mkdir('/e', 0o755))).toBe('read-only');
    expect(versionKeys(memory)).toHaveLength(2);
    expect(Namespace.fromRecord(await repo.readVersion('vol', 2)).tryResolve('/d')).toBeDefined();
    expect(await ro.refresh()).toBe(false);
  });

  it('a version PUT that never reached the store, and is absent when asked: the commit fails and the next one writes it', async () => {
    const { store, memory, repo, mount } = await faultyVolume();
    const rw = await mount('read-write');
    rw.mkdir('/d', 0o755);
    const puts = store.inject({ op: 'put', key: versionKey, fault: { kind: 'fail', error: 'io' } });
    expect(await kindOf(() => rw.fsync('/'))).toBe('io');
    puts();
    expect(versionKeys(memory)).toHaveLength(1);
    await rw.fsync('/');
    expect(rw.versionSeq).toBe(2);
    expect(Namespace.fromRecord(await repo.readVersion('vol', 2)).tryResolve('/d')).toBeDefined();
  });

  it('a lost attempt that lands after the commit was reported failed fences the mount instead of being replaced', async () => {
    const { store, memory, repo, mount } = await faultyVolume();
    const rw = await mount('read-write', 'writer-1');
    rw.mkdir('/d', 0o755);
    // Every PUT of version 2 fails without landing; reads say it is absent.
    const puts = store.inject({ op: 'put', key: versionKey, fault: { kind: 'fail', error: 'timeout' } });
    expect(await kindOf(() => rw.fsync('/'))).toBe('io');
    puts();
    // ...and then one of those attempts lands after all (a late copy on the network).
    const record = await repo.readVersion('vol', 1);
    await repo.writeVersion({ ...record, seq: 2, parentSeq: 1, writer: { host: 'h', pid: 1, mountId: 'writer-1' } });
    rw.rmdir('/d'); // the application undoes its change
    expect(await kindOf(() => rw.fsync('/'))).toBe('read-only');
    expect(versionKeys(memory)).toHaveLength(2);
  });
});
