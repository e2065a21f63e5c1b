import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { WriterLease } from '../../chalkfs/lease/writer-lease.js';
import { FaultyObjectStore } from '../../chalkfs/store/faulty-object-store.js';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import type { ObjectStore, PutCondition } from '../../chalkfs/store/object-store.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import { Namespace } from '../../chalkfs/meta/namespace.js';
import { encodeMeta, versionFormat, type FileInode } from '../../chalkfs/meta/format.js';
import { extentBytes } from '../../chalkfs/vfs/block-patches.js';
import { MountedVolume, type MountMode, type MountedVolumeOptions } from '../../chalkfs/vfs/mounted-volume.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { closeTestMounts, newTestVolume } from '../support/test-volume.js';
import { ChalkError, isChalkError, type ErrorKind } from '../../chalkfs/util/chalk-error.js';

const bs = 4096;
const owner = { uid: 1000, gid: 1000 };
const O_RDONLY = 0;
const O_RDWR = 2;

/** Wraps a store; puts fail with `io` while `failPuts` is set (a failure-injecting client). */
class FlakyStore implements ObjectStore {
  readonly description = 'flaky';
  failPuts = false;
  /** Puts of version objects land in the store but report a timeout (a lost response). */
  loseVersionPutResponses = false;
  constructor(readonly inner: ObjectStore) {}
  get(key: string) {
    return this.inner.get(key);
  }
  async put(key: string, body: Buffer, condition?: PutCondition) {
    if (this.failPuts) throw new ChalkError('io', `injected failure of put ${key}`);
    const result = await this.inner.put(key, body, condition);
    if (this.loseVersionPutResponses && key.includes('/versions/')) throw new ChalkError('timeout', `injected lost response of put ${key}`);
    return result;
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  list(prefix: string, options?: { startAfter?: string; limit?: number }) {
    return this.inner.list(prefix, options);
  }
  listPrefixes(prefix: string) {
    return this.inner.listPrefixes(prefix);
  }
}


const leases: WriterLease[] = [];

afterEach(async () => {
  await closeTestMounts();
  for (const l of leases.splice(0)) await l.release();
  vi.useRealTimers();
});

const leaseTtlMs = 9000;

async function takeLease(store: ObjectStore, mountId: string, clock: { now: number } = { now: Date.now() }): Promise<WriterLease> {
  const lease = await WriterLease.acquire({ store, volume: 'vol', holder: { host: `${mountId}-host`, pid: 1, mountId }, ttlMs: leaseTtlMs, logger: silentLogger(), clock: () => clock.now, isLocalProcessAlive: () => true });
  leases.push(lease);
  return lease;
}

/** A logger whose JSON lines land in `lines`. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

async function newVolume(patching: { maxPatchBytesPerBlock: number; patchBudgetBytes: number } = { maxPatchBytesPerBlock: 0, patchBudgetBytes: 0 }) {
  const volume = await newTestVolume((memory) => new FlakyStore(memory), { commitOutcomeTimeoutMs: 300, ...patching });
  const mount = (mode: MountMode, mountId?: string, pinnedSeq?: number, extra: Partial<MountedVolumeOptions> = {}) => volume.mount(mode, { mountId, pinnedSeq, ...extra });
  return { ...volume, mount };
}

async function kindOf(fn: () => unknown): Promise<ErrorKind | 'none'> {
  try {
    await fn();
    return 'none';
  } catch (err) {
    if (isChalkError(err)) return err.kind;
    throw err;
  }
}

async function readFile(v: MountedVolume, path: string): Promise<Buffer> {
  const fh = await v.open(path, O_RDONLY);
  try {
    const size = v.getattr(path).size;
    const out = Buffer.alloc(size);
    expect(await v.read(fh, out, size, 0)).toBe(size);
    return out;
  } finally {
    v.release(fh);
  }
}

/** Creates a file with `content` and commits it (create, write, close, fsync). */
async function createCommitted(rw: MountedVolume, path: string, content: string): Promise<void> {
  const fh = rw.create(path, 0o644);
  await rw.write(fh, Buffer.from(content), 0);
  rw.release(fh);
  await rw.fsync(path);
}

/** Replaces a committed file's content and commits it (open, truncate, write, close, fsync). */
async function rewriteCommitted(rw: MountedVolume, path: string, content: string): Promise<void> {
  const fh = rw.open(path, O_RDWR);
  await rw.truncate(path, 0);
  await rw.write(fh, Buffer.from(content), 0);
  rw.release(fh);
  await rw.fsync(path);
}

function versionKeys(memory: MemoryObjectStore): string[] {
  return [...memory.objects.keys()].filter((k) => k.startsWith(storeKeys.versionsPrefix('vol'))).sort();
}

describe('MountedVolume (read-write)', () => {
  it('create, write, fsync: a new version holding the data is in the store', async () => {
    const { repo, memory, mount } = await newVolume();
    const rw = await mount('read-write');
    expect(rw.versionSeq).toBe(1);
    rw.mkdir('/dir', 0o755);
    const fh = rw.create('/dir/f', 0o644);
    const payload = Buffer.alloc(bs + 100, 0x5a);
    expect(await rw.write(fh, payload, 0)).toBe(payload.length);
    await rw.fsync('/dir/f');
    expect(rw.versionSeq).toBe(2);
    const v2 = await repo.readVersion('vol', 2);
    expect(v2.consistent).toBe(true);
    const ns = Namespace.fromRecord(v2);
    const inode = ns.resolve('/dir/f').inode;
    expect(inode).toMatchObject({ type: 'file', sizeBytes: bs + 100 });
    for (const hash of (inode as { blocks: readonly string[] }).blocks) expect(memory.objects.has(storeKeys.block('vol', hash))).toBe(true);
    rw.release(fh);
    // A fresh mount reads the data back from the store.
    const ro = await mount('read-only');
    expect(await readFile(ro, '/dir/f')).toEqual(payload);
  });

  it('fsync with nothing changed writes no version', async () => {
    const { memory, mount } = await newVolume();
    const rw = await mount('read-write');
    await rw.fsync('/');
    expect(versionKeys(memory)).toHaveLength(1);
  });

  it('group commit: commits requested while one runs share the next one', async () => {
    const { memory, mount } = await newVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, Buffer.from('one'), 0);
    const first = rw.commit('a');
    await rw.write(fh, Buffer.from('two'), 3);
    const second = rw.commit('b');
    const third = rw.commit('c');
    expect(third).toBe(second);
    expect(await Promise.all([first, second, third])).toEqual([2, 3, 3]);
    expect(versionKeys(memory)).toHaveLength(3);
    // Two synchronous requests with nothing running share one commit too.
    await rw.write(fh, Buffer.from('three'), 6);
    const [x, y] = await Promise.all([rw.fsync('/f'), rw.fsync('/f')]);
    expect(x).toBe(y);
    expect(rw.versionSeq).toBe(4);
    expect(versionKeys(memory)).toHaveLength(4);
  });

  it('writes on a read-only mount fail with read-only', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await createCommitted(rw, '/f', 'x');
    const ro = await mount('read-only');
    expect(await kindOf(() => ro.mkdir('/d', 0o755))).toBe('read-only');
    expect(await kindOf(() => ro.create('/g', 0o644))).toBe('read-only');
    expect(await kindOf(() => ro.open('/f', O_RDWR))).toBe('read-only');
    expect(await kindOf(() => ro.unlink('/f'))).toBe('read-only');
    expect(await kindOf(() => ro.rename('/f', '/h'))).toBe('read-only');
    expect(await kindOf(() => ro.truncate('/f', 0))).toBe('read-only');
    expect(await kindOf(() => ro.chmod('/f', 0o600))).toBe('read-only');
    expect(ro.readdir('/')).toEqual(['.', '..', 'f']);
  });

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
    const fh = rw.open('/f', O_RDWR);
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

  it('dirty data survives a failed commit and is committed by the next', async () => {
    const { store, memory, repo, mount } = await newVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/f', 0o644);
    const payload = Buffer.alloc(3 * bs, 0x77);
    await rw.write(fh, payload, 0);
    store.failPuts = true;
    expect(await kindOf(() => rw.fsync('/f'))).toBe('io');
    expect(rw.versionSeq).toBe(1);
    expect(versionKeys(memory)).toHaveLength(1);
    // Still readable on this mount while uncommitted.
    const back = Buffer.alloc(payload.length);
    expect(await rw.read(fh, back, back.length, 0)).toBe(payload.length);
    expect(back).toEqual(payload);
    store.failPuts = false;
    await rw.fsync('/f');
    expect(rw.versionSeq).toBe(2);
    rw.release(fh);
    const inode = Namespace.fromRecord(await repo.readVersion('vol', 2)).resolve('/f').inode;
    expect(inode).toMatchObject({ sizeBytes: payload.length });
    const ro = await mount('read-only');
    expect(await readFile(ro, '/f')).toEqual(payload);
  });

  it('a namespace-only change survives a failed commit', async () => {
    const { store, repo, mount } = await newVolume();
    const rw = await mount('read-write');
    rw.mkdir('/d', 0o755);
    store.failPuts = true;
    expect(await kindOf(() => rw.fsync('/'))).toBe('io');
    store.failPuts = false;
    await rw.fsync('/');
    expect(rw.versionSeq).toBe(2);
    expect(Namespace.fromRecord(await repo.readVersion('vol', 2)).tryResolve('/d')).toBeDefined();
  });

  it('a version PUT whose answer is lost: the commit asks the store, finds its own version, and succeeds', async () => {
    const { store, memory, mount } = await newVolume();
    const rw = await mount('read-write');
    const fh = rw.create('/f', 0o644);
    await rw.write(fh, Buffer.from('first'), 0);
    store.loseVersionPutResponses = true;
    await rw.fsync('/f'); // version 2 landed: reporting a failure would let the application undo it
    store.loseVersionPutResponses = false;
    expect(rw.versionSeq).toBe(2);
    expect(versionKeys(memory)).toHaveLength(2);
    await rw.write(fh, Buffer.from(' second'), 5);
    await rw.fsync('/f');
    rw.release(fh);
    expect(rw.versionSeq).toBe(3);
    const ro = await mount('read-only');
    expect((await readFile(ro, '/f')).toString()).toBe('first second');
  });

  it('a version with a hot journal is written but not consistent; deleting the journal commits', async () => {
    const { repo, mount } = await newVolume();
    const rw = await mount('read-write');
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7, 1, 2, 3]), 0);
    await rw.commit('test');
    expect((await repo.readVersion('vol', 2)).consistent).toBe(false);
    rw.release(j);
    await rw.unlink('/db-journal');
    expect(rw.versionSeq).toBe(3);
    expect((await repo.readVersion('vol', 3)).consistent).toBe(true);
  });
});

describe('MountedVolume (SQLite-aware syncs)', () => {
  const magic = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);

  it('a DELETE-mode transaction (journal synced zeroed, then hot, then the database) is one commit, at the journal deletion', async () => {
    const { memory, mount } = await newVolume();
    const rw = await mount('read-write');
    const db = rw.create('/db', 0o644);
    await rw.write(db, Buffer.alloc(bs, 1), 0);
    await rw.fsync('/db');
    const before = versionKeys(memory).length;
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, Buffer.alloc(512), 0); // synchronous=FULL: header zeroed at first
    await rw.fsync('/db-journal');
    await rw.fsync('/');
    await rw.write(j, magic, 0);
    await rw.fsync('/db-journal');
    await rw.write(db, Buffer.alloc(100, 2), 0);
    await rw.fsync('/db');
    expect(versionKeys(memory)).toHaveLength(before);
    rw.release(j);
    await rw.unlink('/db-journal');
    expect(versionKeys(memory)).toHaveLength(before + 1);
    rw.release(db);
  });

  it('a PERSIST-mode journal zeroed after being hot commits at its sync', async () => {
    const { memory, mount } = await newVolume();
    const rw = await mount('read-write');
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, Buffer.concat([magic, Buffer.alloc(504, 3)]), 0);
    await rw.fsync('/db-journal');
    const before = versionKeys(memory).length;
    await rw.write(j, Buffer.alloc(8), 0);
    await rw.fsync('/db-journal');
    expect(versionKeys(memory)).toHaveLength(before + 1);
    rw.release(j);
  });
});

describe('MountedVolume (block patches)', () => {
  const blockKeys = (memory: MemoryObjectStore) => [...memory.objects.keys()].filter((k) => k.startsWith(storeKeys.blocksPrefix('vol'))).sort();

  it('a small change to a committed block commits as one version PUT, with the bytes inline, and reads back elsewhere', async () => {
    const { repo, memory, mount } = await newVolume({ maxPatchBytesPerBlock: 512, patchBudgetBytes: 4096 });
    const rw = await mount('read-write');
    const fh = rw.create('/db', 0o644);
    const original = Buffer.alloc(3 * bs, 0x11);
    await rw.write(fh, original, 0);
    await rw.fsync('/db');
    const blocksBefore = blockKeys(memory);
    const keysBefore = memory.objects.size;
    await rw.write(fh, Buffer.from('page change'), bs + 100);
    await rw.fsync('/db');
    // Exactly one new object: the version (no block upload).
    expect(blockKeys(memory)).toEqual(blocksBefore);
    expect(memory.objects.size).toBe(keysBefore + 1);
    const record = await repo.readVersion('vol', rw.versionSeq);
    expect(record.format).toBe('chalkfs-version/2');
    const inode = Namespace.fromRecord(record).resolve('/db').inode as FileInode;
    expect(Object.keys(inode.patches ?? {})).toEqual(['1']);
    const expected = Buffer.from(original);
    expected.write('page change', bs + 100);
    expect(await readFile(await mount('read-only'), '/db')).toEqual(expected);
    rw.release(fh);
  });

  it('past the patch budget, the most-patched blocks are folded back into whole blocks', async () => {
    const { repo, memory, mount } = await newVolume({ maxPatchBytesPerBlock: 1024, patchBudgetBytes: 1500 });
    const rw = await mount('read-write');
    const fh = rw.create('/db', 0o644);
    const expected = Buffer.alloc(4 * bs);
    for (let i = 0; i < 4; i++) expected.fill(0x41 + i, i * bs, (i + 1) * bs);
    await rw.write(fh, expected, 0);
    await rw.fsync('/db');
    for (let i = 0; i < 4; i++) {
      const change = Buffer.alloc(600, 0x30 + i);
      await rw.write(fh, change, i * bs);
      change.copy(expected, i * bs);
      await rw.fsync('/db');
    }
    const inode = Namespace.fromRecord(await repo.readVersion('vol', rw.versionSeq)).resolve('/db').inode as FileInode;
    const patchBytes = Object.values(inode.patches ?? {}).reduce((sum, e) => sum + extentBytes(e), 0);
    // Each fold leaves at most half the budget; the commit after it may add one patch.
    expect(patchBytes).toBeLessThanOrEqual(750 + 1024);
    expect(blockKeys(memory).length).toBeGreaterThan(4);
    expect(await readFile(await mount('read-only'), '/db')).toEqual(expected);
    rw.release(fh);
  });

  it('still reads versions of format chalkfs-version/1', async () => {
    const { repo, mount } = await newVolume();
    const v1 = await repo.readVersion('vol', 1);
    const body = encodeMeta('chalkfs-version/1', { ...v1, format: 'chalkfs-version/1', seq: 2, parentSeq: 1 });
    await repo.store.put(storeKeys.version('vol', 2), body);
    const ro = await mount('read-only');
    expect(ro.versionSeq).toBe(2);
  });
});

describe('MountedVolume (journal deletion)', () => {
  it('a journal deletion whose commit fails is undone: the journal stays, hot, with its unsynced content', async () => {
    const { store, mount } = await newVolume();
    const rw = await mount('read-write');
    const header = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7, 7, 7, 7]);
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, header, 0);
    rw.release(j);
    store.failPuts = true;
    expect(await kindOf(() => rw.unlink('/db-journal'))).toBe('io');
    store.failPuts = false;
    expect(rw.getattr('/db-journal').size).toBe(header.length);
    expect(await readFile(rw, '/db-journal')).toEqual(header);
    await rw.unlink('/db-journal');
    expect(await kindOf(() => rw.getattr('/db-journal'))).toBe('not-found');
  });

  it('a journal whose block awaits upload keeps it through a deletion commit that fails (never dropped as unreferenced meanwhile)', async () => {
    const { store, mount } = await newVolume();
    const rw = await mount('read-write');
    const hot = Buffer.alloc(bs, 7);
    hot.set([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, hot, 0);
    rw.release(j);
    // The store is down: a commit seals the journal's block, which waits for upload...
    store.failPuts = true;
    expect(await kindOf(() => rw.commit('periodic'))).toBe('io');
    // ...and the journal's deletion (SQLite's commit point) fails and is undone.
    expect(await kindOf(() => rw.unlink('/db-journal'))).toBe('io');
    store.failPuts = false;
    expect(await readFile(rw, '/db-journal')).toEqual(hot);
    await rw.unlink('/db-journal');
    expect(await kindOf(() => rw.getattr('/db-journal'))).toBe('not-found');
  });
});

describe('MountedVolume (journal renamed away)', () => {
  it('renaming a journal to a non-journal name (libfuse\'s .fuse_hidden) commits before returning; a failed commit puts both names back', async () => {
    const { store, memory, mount } = await newVolume();
    const rw = await mount('read-write');
    const header = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7, 7, 7, 7]);
    const j = rw.create('/db-journal', 0o644);
    await rw.write(j, header, 0);
    await rw.commit('test');
    const versionsBefore = versionKeys(memory).length;

    // Failing: nothing moved, the journal is still there with its content.
    await createCommitted(rw, '/.fuse_hidden0000000100000001', 'in the way');
    store.failPuts = true;
    expect(await kindOf(() => rw.rename('/db-journal', '/.fuse_hidden0000000100000001'))).toBe('io');
    store.failPuts = false;
    expect(await readFile(rw, '/db-journal')).toEqual(header);
    expect((await readFile(rw, '/.fuse_hidden0000000100000001')).toString()).toBe('in the way');

    // Succeeding: a new version, without the journal, is durable when rename returns.
    const committedBefore = versionKeys(memory).length;
    await rw.rename('/db-journal', '/.fuse_hidden0000000100000002');
    expect(versionKeys(memory).length).toBe(committedBefore + 1);
    expect(committedBefore).toBeGreaterThan(versionsBefore);
    const ro = await mount('read-only');
    expect(await kindOf(() => ro.getattr('/db-journal'))).toBe('not-found');
    expect(await readFile(ro, '/.fuse_hidden0000000100000002')).toEqual(header);
    rw.release(j);

    // Renames between journal names, or of other files, do not commit.
    const plain = versionKeys(memory).length;
    await rw.rename('/.fuse_hidden0000000100000002', '/other');
    expect(versionKeys(memory).length).toBe(plain);
  });
});

describe('MountedVolume (read-only follower)', () => {
  it('adopts the writer\'s new version on refresh, and pins open handles to the old one', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await createCommitted(rw, '/f', 'old content');

    const ro = await mount('read-only');
    expect(ro.versionSeq).toBe(2);
    expect(ro.getattr('/f').size).toBe(11);
    const pinned = ro.open('/f', O_RDONLY);

    const fh = rw.open('/f', O_RDWR);
    await rw.truncate('/f', 0);
    await rw.write(fh, Buffer.from('new, longer content'), 0);
    rw.release(fh);
    rw.create('/g', 0o644);
    await rw.fsync('/f');

    expect(await ro.refresh()).toBe(true);
    expect(ro.versionSeq).toBe(rw.versionSeq);
    expect(await ro.refresh()).toBe(false);
    expect(ro.readdir('/').sort()).toEqual(['.', '..', 'f', 'g']);
    // The handle opened before adoption keeps reading the old content, and the file
    // keeps its old size until that handle is released.
    const out = Buffer.alloc(64);
    expect(await ro.read(pinned, out, 64, 0)).toBe(11);
    expect(out.subarray(0, 11).toString()).toBe('old content');
    expect(ro.getattr('/f').size).toBe(11);
    ro.release(pinned);
    expect(ro.getattr('/f').size).toBe(19);
    expect((await readFile(ro, '/f')).toString()).toBe('new, longer content');
  });

  it('tells its attribute listener just before any getattr answer changes: new version, pin at open, unpin at release', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    rw.release(rw.create('/f', 0o644));
    const publish = (content: string) => rewriteCommitted(rw, '/f', content);
    await publish('v1');
    const ro = await mount('read-only');

    // A cache of getattr answers that the listener empties, as fuse-mount.ts keeps in C.
    const cache = new Map<string, number>();
    const sizesSeenByListener: number[] = [];
    ro.onAttributesChanged(() => {
      sizesSeenByListener.push(ro.getattr('/f').size);
      cache.clear();
    });
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

    // The kernel looked the file up (v2), then a new version came, then open(2): the
    // open pins what the lookup reported, and the cache must not keep the newer answer.
    await publish('v3 is longer still');
    expect(await ro.refresh()).toBe(true);
    const fh = ro.open('/f', O_RDONLY);
    // Called before the pin: until then getattr answered with the newest version.
    expect(sizesSeenByListener).toEqual([2, 9, 18]);
    expect(lookup('/f')).toBe(9);
    cacheAgrees();
    // The last release unpins: the next lookup sees the newest version.
    ro.release(fh);
    expect(sizesSeenByListener).toEqual([2, 9, 18, 9]);
    cacheAgrees();
    expect(lookup('/f')).toBe(18);

    // Opens and releases that change no pin leave the cache alone.
    ro.release(ro.open('/f', O_RDONLY));
    expect(sizesSeenByListener).toHaveLength(4);
    cacheAgrees();
  });

  it('shares only read-only handles of the version\'s own inode, and lets the attribute listener release idle shared handles', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await createCommitted(rw, '/f', 'v1');
    expect(rw.shareable(rw.open('/f', O_RDONLY))).toBe(false);
    const rewrite = (content: string) => rewriteCommitted(rw, '/f', content);

    const ro = await mount('read-only');
    // The FUSE layer's model: handles shared until the listener is called; those with no
    // open left are released from inside it (fuse-mount.ts), the others when closed.
    const shared = new Map<number, number>(); // fh -> opens the kernel holds
    const retired = new Map<number, number>(); // no longer shared, still open
    ro.onAttributesChanged(() => {
      for (const [fh, opens] of [...shared]) {
        shared.delete(fh);
        if (opens === 0) ro.release(fh);
        else retired.set(fh, opens);
      }
    });
    const openShared = (): number => {
      for (const [fh, opens] of shared) {
        shared.set(fh, opens + 1);
        return fh;
      }
      const fh = ro.open('/f', O_RDONLY);
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

    // A new version while a shared open is held: that handle keeps v2 and pins the file;
    // opens meanwhile get the pinned inode, which is never shared.
    const held = openShared();
    expect(await readVia(held)).toBe('v2 longer');
    await rewrite('v3 is longer still');
    expect(await ro.refresh()).toBe(true);
    expect(retired.has(held)).toBe(true);
    expect(await readVia(held)).toBe('v2 longer');
    const during = openShared();
    expect(ro.shareable(during)).toBe(false);
    expect(await readVia(during)).toBe('v2 longer');
    closeShared(during);
    closeShared(held);
    expect(ro.status().openHandles).toBe(0);
    expect(ro.getattr('/f').size).toBe(18);
    const after = openShared();
    expect(ro.shareable(after)).toBe(true);
    expect(await readVia(after)).toBe('v3 is longer still');
  });

  it('handle numbers wrap around without reusing one still open', async () => {
    const { mount } = await newVolume();
    const rw = await mount('read-write');
    await createCommitted(rw, '/f', 'x');
    const ro = await mount('read-only');
    const first = ro.open('/f', O_RDONLY);
    (ro as unknown as { nextFh: number }).nextFh = 0xfffffff0;
    expect(ro.open('/f', O_RDONLY)).toBe(0xfffffff0);
    const wrapped = ro.open('/f', O_RDONLY);
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

describe('MountedVolume (version PUT with an unknown outcome)', () => {
  async function faultyVolume() {
    const volume = await newTestVolume((memory) => new FaultyObjectStore(memory), { commitOutcomeTimeoutMs: 400 });
    const mount = (mode: MountMode, mountId?: string) => volume.mount(mode, { mountId });
    return { ...volume, mount };
  }
  const versionKey = /\/versions\//;

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
