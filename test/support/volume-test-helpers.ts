/*
 * Helpers shared by the unit tests of WriterVolume and ReaderVolume (writer-*.test.ts,
 * reader-volume.test.ts, sqlite-journal-commits.test.ts): a test volume on a
 * fault-injecting store (chalkfs/store/faulty-object-store.ts), writer leases released
 * after each test, and the small steps tests repeat (create and commit a file, read it
 * back, the error kind of a call).
 */
import { afterEach, expect, vi } from 'vitest';
import { pino } from 'pino';
import { WriterLease } from '../../chalkfs/lease/writer-lease.js';
import { FaultyObjectStore } from '../../chalkfs/store/faulty-object-store.js';
import type { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import type { ObjectStore } from '../../chalkfs/store/object-store.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import type { MountMode } from '../../chalkfs/vfs/open-volume.js';
import type { VolumeOptions } from '../../chalkfs/vfs/volume-options.js';
import type { Invalidator, VolumeView } from '../../chalkfs/vfs/volume-view.js';
import type { WriterVolume } from '../../chalkfs/vfs/writer-volume.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { closeTestMounts, newTestVolume } from './test-volume.js';

/** The test volume's block size and owner (test-volume.ts), under the short names these tests use. */
export { testBlockSize as bs, testOwner as owner } from './test-volume.js';
export const reading = { write: false };
export const writing = { write: true };
export const leaseTtlMs = 9000;
/** Keys of version objects, for faults aimed at version PUTs and GETs. */
export const versionKey = /\/versions\//;

const leases: WriterLease[] = [];

/** Registers the cleanup every volume test file needs: mounts closed, leases released, real timers. */
export function cleanUpAfterEach(): void {
  afterEach(async () => {
    await closeTestMounts();
    for (const l of leases.splice(0)) await l.release();
    vi.useRealTimers();
  });
}

export async function takeLease(store: ObjectStore, mountId: string, clock: { now: number } = { now: Date.now() }): Promise<WriterLease> {
  const lease = await WriterLease.acquire({ store, volume: 'vol', holder: { host: `${mountId}-host`, pid: 1, mountId }, ttlMs: leaseTtlMs, logger: silentLogger(), clock: () => clock.now, isLocalProcessAlive: () => true });
  leases.push(lease);
  return lease;
}

/** A logger whose JSON lines land in `lines`. */
export function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

/** Every PUT fails with `io` (the store is down for writes) until the returned function is called. */
export function failPuts(store: FaultyObjectStore): () => void {
  return store.inject({ op: 'put', fault: { kind: 'fail', error: 'io' } });
}

/** Version PUTs land in the store but report a timeout (a lost response) until the returned function is called. */
export function loseVersionPutResponses(store: FaultyObjectStore): () => void {
  return store.inject({ op: 'put', key: versionKey, fault: { kind: 'lose-response' } });
}

/** A test volume on a FaultyObjectStore; `mount(mode, mountId?, pinnedSeq?, extra?)`. */
export async function newVolume(options: Partial<Omit<VolumeOptions, 'mode'>> = {}) {
  const volume = await newTestVolume((memory) => new FaultyObjectStore(memory), { commitOutcomeTimeoutMs: 300, maxPatchBytesPerBlock: 0, patchBudgetBytes: 0, ...options });
  const mount = <M extends MountMode>(mode: M, mountId?: string, pinnedSeq?: number, extra: Partial<Omit<VolumeOptions, 'mode'>> = {}) => {
    // Only a pinned mount reads an older version: a read-only one given a version would read the newest.
    if (pinnedSeq !== undefined && mode !== 'pinned') throw new Error(`a ${mode} test mount does not take a version (use 'pinned')`);
    return volume.mount(mode, { mountId, pinnedSeq, ...extra });
  };
  return { ...volume, mount };
}

export { kindOf } from './error-kind.js';

/**
 * Opens `path` for reading where the volume has all it needs in memory: synchronously,
 * as the FUSE layer's fast path expects (a promise here fails the test).
 */
export function openNow(v: VolumeView, path: string): number {
  const fh = v.open(path, reading);
  if (typeof fh !== 'number') throw new Error(`open of ${path} did not answer synchronously`);
  return fh;
}

export async function readFile(v: VolumeView, path: string): Promise<Buffer> {
  const fh = await v.open(path, reading);
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
export async function createCommitted(rw: WriterVolume, path: string, content: string): Promise<void> {
  const fh = rw.create(path, 0o644);
  await rw.write(fh, Buffer.from(content), 0);
  rw.release(fh);
  await rw.fsync(path);
}

/** Replaces a committed file's content and commits it (open, truncate, write, close, fsync). */
export async function rewriteCommitted(rw: WriterVolume, path: string, content: string): Promise<void> {
  const fh = rw.open(path, writing);
  await rw.truncate(path, 0);
  await rw.write(fh, Buffer.from(content), 0);
  rw.release(fh);
  await rw.fsync(path);
}

export function versionKeys(memory: MemoryObjectStore): string[] {
  return [...memory.objects.keys()].filter((k) => k.startsWith(storeKeys.versionsPrefix('vol'))).sort();
}

/** An Invalidator that runs `fn`, as the FUSE layer's would empty its caches. */
export function invalidatorOf(fn: () => void): Invalidator {
  return { attributesMayChange: fn };
}
