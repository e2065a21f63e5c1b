// The bench's mixed write-heavy workload (bench/mixed-workload.ts), its step selection
// (--workloads) and its target check, on a local temporary directory.
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mixedPhases, runMixedWorkload, type MixedWorkloadSize } from '../../bench/mixed-workload.js';
import { selectSteps, targetSteps } from '../../bench/run-target-workloads.js';
import { checkBulkTargets } from '../../bench/target-checks.js';
import type { TargetResult } from '../../bench/bench-metrics.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-mixed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const size: MixedWorkloadSize = { smallInserts: 20, bulkRows: 2_000, smallUpdates: 10, smallDeletes: 10, queries: 20 };

describe('runMixedWorkload', () => {
  it('does the same work in DELETE and WAL mode, timing every phase', () => {
    const del = runMixedWorkload(join(dir, 'd.db'), 'delete', size, 6);
    const wal = runMixedWorkload(join(dir, 'w.db'), 'wal', size, 6);
    expect(del.checksum).toBe(wal.checksum);
    expect(Object.keys(del.phasesMs)).toEqual(mixedPhases(size).map((p) => p.name));
    expect(del.transactions).toBe(20 + 10 + 10 + 10); // small ones + 2 tables, bulk, 2 indexes, 4 big statements, drop + reindex
    expect(new Database(join(dir, 'w.db')).pragma('journal_mode', { simple: true })).toBe('wal');
    expect(new Database(join(dir, 'd.db')).pragma('journal_mode', { simple: true })).toBe('delete');
  });

  it('leaves a database with its index rebuilt and the dropped one gone', () => {
    runMixedWorkload(join(dir, 'i.db'), 'delete', size, 7);
    const db = new Database(join(dir, 'i.db'), { readonly: true });
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name").all();
    expect(indexes).toEqual([{ name: 'items_owner' }]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('refuses to reuse a database that already has its tables', () => {
    const path = join(dir, 'twice.db');
    runMixedWorkload(path, 'delete', size, 6);
    expect(existsSync(path)).toBe(true);
    expect(() => runMixedWorkload(path, 'delete', size, 6)).toThrow(/already exists/);
  });
});

describe('selectSteps', () => {
  it('runs every step without a list, and install plus the listed ones in run order with one', () => {
    expect(selectSteps(undefined)).toEqual([...targetSteps]);
    expect(selectSteps('plain file,mixed')).toEqual(['install', 'mixed', 'plain file']);
  });
  it('names the steps when given an unknown one', () => {
    expect(() => selectSteps('mixd')).toThrow(/unknown workload "mixd".*mixed/);
  });
});

describe('mixed workload target check', () => {
  const result = (name: TargetResult['name'], cells: TargetResult['cells']): TargetResult => ({ name, setup: {}, cells, details: {} });
  it('is met within 2× local and missed beyond, per journal mode', () => {
    const checks = checkBulkTargets(
      [result('local', { 'mixed.delete': { value: 100 }, 'mixed.wal': { value: 100 } }), result('chalkfs', { 'mixed.delete': { value: 190 }, 'mixed.wal': { value: 250 } })],
      undefined,
      undefined,
    );
    expect(checks.find((c) => c.target.includes('(DELETE)'))?.status).toBe('met');
    expect(checks.find((c) => c.target.includes('(WAL)'))?.status).toBe('missed');
  });
});

describe('bulk target checks', () => {
  const result = (name: TargetResult['name'], cells: TargetResult['cells']): TargetResult => ({ name, setup: {}, cells, details: {} });
  it('name the most the cores give at the daemon and store CPU per MB, when both were measured', () => {
    const chalk = result('chalkfs', { 'cat.cold': { value: 300 }, 'cpu.cat': { value: 3 }, 'storecpu.cat': { value: 2 }, 'copyin.plain': { value: 150 }, 'cpu.copyin': { value: 6 } });
    const checks = checkBulkTargets([result('s3fs', { 'cat.cold': { value: 500 }, 'copyin.plain': { value: 100 } }), chalk], undefined, { put: [{ objectBytes: 1, MBps: 300 }], get: [] } as never, { cores: 2 });
    expect(checks.find((c) => c.target.startsWith('cold cat'))?.detail).toMatch(/CPU per MB: daemon 3(\.00)? \+ store 2(\.00)? ms, so 2 cores give at most 400 MB\/s$/);
    expect(checks.find((c) => c.target.startsWith('copy-in'))?.detail).not.toMatch(/CPU per MB/); // no store figure
  });

  /** s3fs, the FUSE floor and chalkfs with every figure a CPU bound needs (cat and copy-in). */
  const boundFixture = () => ({
    s3fs: result('s3fs', { 'cat.cold': { value: 100 }, 'copyin.plain': { value: 100 } }),
    floor: result('fuse-floor', { 'cpu.cat': { value: 0.5 }, 'cpu.copyin': { value: 1 } }),
    chalk: result('chalkfs', {
      'cat.cold': { value: 150 },
      'cpu.cat': { value: 3 },
      'storecpu.cat': { value: 2 },
      'clientcpu.cat': { value: 0.5 },
      'copyin.plain': { value: 100 },
      'cpu.copyin': { value: 5 },
      'storecpu.copyin': { value: 7 },
      'clientcpu.copyin': { value: 1.5 },
    }),
  });

  it('name the CPU bound (client + store + FUSE floor daemon + hash) and whether the target lies past it', () => {
    const { s3fs, floor, chalk } = boundFixture();
    const curl = { put: [{ objectBytes: 1, MBps: 200 }], get: [] } as never;
    const checks = checkBulkTargets([s3fs, floor, chalk], undefined, curl, { cores: 2, hashMsPerMB: 1 });
    // cat: 2000 / (0.5 + 2 + 0.5 + 1) = 500 MB/s, and the target is 2× s3fs = 200
    expect(checks.find((c) => c.target.startsWith('cold cat'))?.detail).toMatch(
      /; CPU bound: 2 cores \/ \(client 0\.50 \+ store 2(\.00)? \+ FUSE floor daemon 0\.50 \+ SHA-256 1(\.00)? ms\/MB\) = 500 MB\/s; the target, 200 MB\/s, lies within it$/,
    );
    // copy-in: 2000 / (1.5 + 7 + 1 + 1) = 190 MB/s, and the target is 2× s3fs = 200
    expect(checks.find((c) => c.target.startsWith('copy-in'))?.detail).toMatch(/= 190 MB\/s; the target, 200 MB\/s, lies past it$/);
    // Without the floor's figure or the hash cost there is no bound, only today's ceiling.
    const noFloor = checkBulkTargets([s3fs, chalk], undefined, curl, { cores: 2, hashMsPerMB: 1 });
    expect(noFloor.find((c) => c.target.startsWith('cold cat'))?.detail).not.toMatch(/CPU bound/);
    const noHash = checkBulkTargets([s3fs, floor, chalk], undefined, curl, { cores: 2 });
    expect(noHash.find((c) => c.target.startsWith('cold cat'))?.detail).toMatch(/give at most 400 MB\/s$/);
  });

  it("name the bound at the store's cheapest request shape curl measured, with the store's cost split per request and per MB", () => {
    const { s3fs, floor, chalk } = boundFixture();
    const curl = {
      put: [
        { objectBytes: 1 << 20, MBps: 200, storeCpuMsPerMB: 7 },
        { objectBytes: 8 << 20, MBps: 300, storeCpuMsPerMB: 3.5 },
      ],
      get: [
        { rangeBytes: 1 << 20, coldMBps: 500, warmMBps: 900, coldStoreCpuMsPerMB: 2 },
        { rangeBytes: 8 << 20, coldMBps: 700, warmMBps: 900, coldStoreCpuMsPerMB: 4 },
      ],
      putCost: { msPerRequest: 4, msPerMB: 3 },
      coldGetCost: undefined,
    } as never;
    const checks = checkBulkTargets([s3fs, floor, chalk], undefined, curl, { cores: 2, hashMsPerMB: 1 });
    // copy-in: the target is 70% of curl's 300 MB/s = 210; at 8 MiB PUTs 2000 / (1.5 + 3.5 + 1 + 1) = 286 MB/s lies past it,
    // chalkfs's own bound (190) does not
    expect(checks.find((c) => c.target.startsWith('copy-in'))?.detail).toMatch(
      /= 190 MB\/s; the target, 210 MB\/s, lies past it; at the store's cheapest shape in this run, curl's 8\.0MiB PUTs at 3\.50 ms\/MB \(the store: 4(\.00)? ms per request \+ 3(\.00)? ms per MB\): 286 MB\/s; the target, 210 MB\/s, lies within it$/,
    );
    // cat: the cheaper shape is the 1 MiB one here (2 ms/MB), which is chalkfs's own cost, so the same 500 MB/s; no fit
    expect(checks.find((c) => c.target.startsWith('cold cat'))?.detail).toMatch(/curl's cold 1\.0MiB ranged GETs at 2(\.00)? ms\/MB: 500 MB\/s; the target, 200 MB\/s, lies within it$/);
  });

  it("add the least transfer curl spent (its own CPU per MB) to the daemon's part of both bounds", () => {
    const { s3fs, floor, chalk } = boundFixture();
    const curl = {
      put: [
        { objectBytes: 1 << 20, MBps: 200, storeCpuMsPerMB: 7, clientCpuMsPerMB: 1.2 },
        { objectBytes: 8 << 20, MBps: 300, storeCpuMsPerMB: 3.5, clientCpuMsPerMB: 0.5 },
      ],
      get: [
        { rangeBytes: 1 << 20, coldMBps: 500, warmMBps: 900, coldStoreCpuMsPerMB: 2, coldClientCpuMsPerMB: 0.3 },
        { rangeBytes: 8 << 20, coldMBps: 700, warmMBps: 900, coldStoreCpuMsPerMB: 4, coldClientCpuMsPerMB: 0.2 },
      ],
    } as never;
    const checks = checkBulkTargets([s3fs, floor, chalk], undefined, curl, { cores: 2, hashMsPerMB: 1 });
    // copy-in: 2000 / (1.5 + 7 + 1 + 1 + 0.5) = 182 MB/s; at 8 MiB PUTs 2000 / (1.5 + 3.5 + 1 + 1 + 0.5) = 267
    expect(checks.find((c) => c.target.startsWith('copy-in'))?.detail).toMatch(
      /CPU bound: 2 cores \/ \(client 1\.50 \+ store 7(\.00)? \+ FUSE floor daemon 1(\.00)? \+ SHA-256 1(\.00)? \+ sending to the store 0\.50 ms\/MB\) = 182 MB\/s; the target, 210 MB\/s, lies past it; at the store's cheapest shape in this run, curl's 8\.0MiB PUTs at 3\.50 ms\/MB: 267 MB\/s; the target, 210 MB\/s, lies within it$/,
    );
    // cat: 2000 / (0.5 + 2 + 0.5 + 1 + 0.2) = 476 MB/s, the cheapest GET shape being chalkfs's own cost
    expect(checks.find((c) => c.target.startsWith('cold cat'))?.detail).toMatch(
      /\+ SHA-256 1(\.00)? \+ receiving from the store 0\.20 ms\/MB\) = 476 MB\/s; the target, 200 MB\/s, lies within it; at the store's cheapest shape in this run, curl's cold 1\.0MiB ranged GETs at 2(\.00)? ms\/MB: 476 MB\/s/,
    );
  });

  it("name the store floor's copy-in at each object size and whether the target lies past its fastest", () => {
    const { s3fs, floor, chalk } = boundFixture();
    const curl = { put: [{ objectBytes: 1, MBps: 200 }], get: [] } as never;
    const copy = (objectBytes: number, MBps: number) => ({ objectBytes, MBps, daemonCpuMsPerMB: 2.5, storeCpuMsPerMB: 5, clientCpuMsPerMB: 0.7, objects: 1 });
    const storeFloor = (fastest: number) => ({ source: 'fuse_floor.c', copies: [copy(1 << 20, 140), copy(8 << 20, fastest)] });
    const detail = (fastest: number) =>
      checkBulkTargets([s3fs, floor, chalk], undefined, curl, { cores: 2, hashMsPerMB: 1 }, storeFloor(fastest)).find((c) => c.target.startsWith('copy-in'))?.detail;
    // The target is 2× s3fs = 200 MB/s.
    expect(detail(190)).toMatch(
      /; the store floor \(C: hash and PUT, nothing more\) in this run: 1\.0MiB objects 140 MB\/s \(daemon 2\.50 \+ store 5(\.00)? \+ client 0\.70 ms\/MB\), 8\.0MiB objects 190 MB\/s \(.*\); the target lies past its fastest$/,
    );
    expect(detail(210)).toMatch(/8\.0MiB objects 210 MB\/s \(.*\); the target lies within its fastest$/);
    // Without it, nothing is said of it.
    expect(checkBulkTargets([s3fs, floor, chalk], undefined, curl, { cores: 2, hashMsPerMB: 1 }).find((c) => c.target.startsWith('copy-in'))?.detail).not.toMatch(/store floor/);
  });

  it("judge the commit p50 against local + one PUT and name the FUSE floor's commit + one PUT", () => {
    const local = result('local', { 'write.p50': { value: 600 } });
    const chalk = result('chalkfs', { 'write.p50': { value: 6_500 } });
    const raw = { smallPut: { p50Us: 5_500 } } as never;
    const check = (floorP50: number) =>
      checkBulkTargets([local, result('fuse-floor', { 'write.p50': { value: floorP50 } }), chalk], raw, undefined).find((c) => c.target.startsWith('commit p50'));
    // limit 600 + 5500 = 6100; floor 500 + 5500 = 6000 is within it, floor 700 + 5500 = 6200 is past it
    expect(check(500)).toMatchObject({ status: 'missed' });
    expect(check(500)?.detail).toMatch(/vs limit 6100 µs .*; the FUSE floor's commit \+ one small PUT p50 = 6000 µs, and the limit lies within it$/);
    expect(check(700)?.detail).toMatch(/= 6200 µs, and the limit lies past it$/);
    expect(checkBulkTargets([local, chalk], raw, undefined).find((c) => c.target.startsWith('commit p50'))?.detail).not.toMatch(/floor/);
  });

  it('judge bulk insert against local disk and name the FUSE floor when it ran', () => {
    const local = result('local', { 'write.bulk': { value: 200 }, 'mixed.delete': { value: 100 }, 'mixed.wal': { value: 100 } });
    const floor = result('fuse-floor', { 'write.bulk': { value: 150 }, 'mixed.delete': { value: 300 } });
    const chalk = result('chalkfs', { 'write.bulk': { value: 170 }, 'mixed.delete': { value: 800 }, 'mixed.wal': { value: 900 } });
    const checks = checkBulkTargets([local, floor, chalk], undefined, undefined);
    const bulk = checks.find((c) => c.target.startsWith('bulk insert'));
    expect(bulk?.status).toBe('missed');
    expect(bulk?.detail).toBe('170 vs 200 rows/s local = 0.85×; the FUSE floor: 150 rows/s = 0.75× local');
    expect(checks.find((c) => c.target.includes('(DELETE)'))?.detail).toMatch(/; the FUSE floor: 300 ms = 3\.00× local$/);
    expect(checks.find((c) => c.target.includes('(WAL)'))?.detail).not.toMatch(/FUSE floor/); // the floor has no WAL figure
    // With the store's small PUT p50, chalkfs's transaction count and the floor's time: the floor + one PUT per transaction.
    const durable = { ...chalk, details: { mixed: { delete: { transactions: 20 }, wal: { transactions: 5 } } } };
    const floorBoth = result('fuse-floor', { 'mixed.delete': { value: 90 }, 'mixed.wal': { value: 60 } });
    const raw = { smallPut: { p50Us: 6_000 } } as never;
    const withStore = checkBulkTargets([local, floorBoth, durable], raw, undefined);
    // DELETE: 90 + 20 × 6 = 210 ms, past the 200 ms target; WAL: 60 + 5 × 6 = 90 ms, within it
    expect(withStore.find((c) => c.target.includes('(DELETE)'))?.detail).toMatch(
      /; the FUSE floor: 90(\.0)? ms = 0\.90× local; each of its 20 write transactions is in the store before COMMIT returns: at least the FUSE floor's 90(\.0)? \+ 20 × small PUT p50 6(\.00)? ms = 210 ms = 2\.10× local; the target, 200 ms, lies past it$/,
    );
    expect(withStore.find((c) => c.target.includes('(WAL)'))?.detail).toMatch(/= 90(\.0)? ms = 0\.90× local; the target, 200 ms, lies within it$/);
    // Without the floor's figure there is no bound to name.
    expect(checkBulkTargets([local, durable], raw, undefined).find((c) => c.target.includes('(DELETE)'))?.detail).not.toMatch(/COMMIT/);
    const met = checkBulkTargets([local, result('chalkfs', { 'write.bulk': { value: 180 } })], undefined, undefined);
    expect(met.find((c) => c.target.startsWith('bulk insert'))?.status).toBe('met');
    expect(met.find((c) => c.target.startsWith('bulk insert'))?.detail).not.toMatch(/floor/);
  });
});
