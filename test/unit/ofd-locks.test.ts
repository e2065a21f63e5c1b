// The open-file-description lock primitive (native/src/file_locks.cc, chalkfs/host/ofd-locks.ts)
// against the classic POSIX locks a real SQLite connection (better-sqlite3) takes, on a
// temporary file on local disk: the premise of taking SQLite's locks from the daemon.
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findBlocker, tryLock, unlock } from '../../chalkfs/host/ofd-locks.js';
import { PENDING_BYTE, SHARED_FIRST, SHARED_SIZE } from '../../chalkfs/host/sqlite-locks.js';
import { loadNativeAddon, nativeAddonPath } from '../../chalkfs/util/native-addon.js';
import { OpenFiles } from '../support/sqlite-lock-fixtures.js';

const shared = { start: SHARED_FIRST, lengthBytes: SHARED_SIZE };
const pending = { start: PENDING_BYTE, lengthBytes: 1 };

let dir: string;
let dbPath: string;
const files = new OpenFiles();
const open = (): number => files.open(dbPath);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chalkfs-ofd-'));
  dbPath = join(dir, 'db.sqlite');
  const db = new Database(dbPath);
  db.exec('CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1);');
  db.close();
});

afterEach(() => {
  files.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('OFD locks', () => {
  it('conflict between two opens of one process, and are dropped when their open closes', () => {
    const a = openSync(dbPath, 'r+');
    const b = open();
    expect(tryLock(a, 'write', pending)).toBe(true);
    expect(tryLock(b, 'read', pending)).toBe(false);
    expect(findBlocker(b, 'read', pending)).toEqual({ type: 'write', start: PENDING_BYTE, lengthBytes: 1, pid: -1 });
    expect(findBlocker(a, 'write', pending)).toBeNull(); // an open never blocks itself
    closeSync(a);
    expect(tryLock(b, 'read', pending)).toBe(true);
    expect(tryLock(open(), 'read', pending)).toBe(true); // read locks share
    unlock(b, pending);
  });

  it('are refused by the POSIX SHARED lock of a SQLite read transaction, which names its pid', () => {
    const reader = new Database(dbPath);
    const fd = open();
    reader.exec('BEGIN');
    reader.prepare('SELECT v FROM t').get();
    expect(tryLock(fd, 'write', shared)).toBe(false);
    expect(findBlocker(fd, 'write', shared)).toEqual({ type: 'read', start: SHARED_FIRST, lengthBytes: SHARED_SIZE, pid: process.pid });
    reader.exec('COMMIT');
    expect(tryLock(fd, 'write', shared)).toBe(true);
    unlock(fd, shared);
    reader.close();
  });

  it('refuse SQLite its POSIX locks: a write lock on PENDING makes a new read transaction SQLITE_BUSY', () => {
    const fd = open();
    expect(tryLock(fd, 'write', pending)).toBe(true);
    const reader = new Database(dbPath, { timeout: 0 });
    expect(() => reader.prepare('SELECT v FROM t').get()).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
    unlock(fd, pending);
    expect(reader.prepare('SELECT v FROM t').get()).toEqual({ v: 1 });
    reader.close();
  });

  it('are held by the open, so a worker thread can hold one for the daemon', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const fs = require('node:fs');
      const { fileLocks } = require(workerData.addon);
      const fd = fs.openSync(workerData.db, 'r+');
      parentPort.postMessage(fileLocks.setLock(fd, 'write', workerData.start, 1));
      parentPort.once('message', () => { fs.closeSync(fd); parentPort.postMessage('closed'); });`;
    const worker = new Worker(code, { eval: true, workerData: { addon: nativeAddonPath, db: dbPath, start: PENDING_BYTE } });
    const messages: unknown[] = [];
    const next = () => new Promise<unknown>((resolve) => worker.once('message', resolve));
    messages.push(await next());
    const fd = open();
    const heldByWorker = findBlocker(fd, 'read', pending);
    const closed = next();
    worker.postMessage('close');
    messages.push(await closed);
    await worker.terminate();
    expect(messages).toEqual([true, 'closed']);
    expect(heldByWorker).toEqual({ type: 'write', start: PENDING_BYTE, lengthBytes: 1, pid: -1 });
    expect(findBlocker(fd, 'read', pending)).toBeNull();
  });

  it('refuse a lock type or range the kernel would not take', () => {
    const { fileLocks } = loadNativeAddon<{ fileLocks: { setLock(...args: unknown[]): boolean } }>();
    const fd = open();
    expect(() => fileLocks.setLock(fd, 'exclusive', 0, 1)).toThrow(/lock type/);
    expect(() => fileLocks.setLock(fd, 'read', -1, 1)).toThrow(/start must be a whole number/);
    expect(() => fileLocks.setLock(fd, 'read', 0.5, 1)).toThrow(/start must be a whole number/);
    expect(() => tryLock(987654, 'read', pending)).toThrow(expect.objectContaining({ kind: 'io', cause: expect.objectContaining({ errno: 9 }) }));
  });
});
