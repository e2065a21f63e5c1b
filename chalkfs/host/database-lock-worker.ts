// The worker thread of host/database-lock-helper.ts: opens a database file on the daemon's
// own mount and takes SQLite's EXCLUSIVE lock on it, or for a WAL database the lock its
// readers take on the served -shm (host/sqlite-locks.ts); or only asks whether another
// open holds EXCLUSIVE on a database (a writer mount's probe). It runs off
// the thread that serves FUSE on purpose: opening a file on the mount sends requests that
// thread must answer, so the daemon would deadlock on its own mount otherwise.
import { closeSync, openSync, readlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { HeldLocks } from './lock-acquisition.js';
import { acquireDatabaseExclusive, acquireUnreliableWalExclusive, exclusiveHeld } from './sqlite-locks.js';
import type { HelperReply, HelperRequest } from './database-lock-helper.js';

const port = parentPort!;
const held = new Map<number, { locks: HeldLocks; fd: number }>();

function letGo(id: number): void {
  const hold = held.get(id);
  if (hold === undefined) return;
  held.delete(id);
  try {
    hold.locks.release();
  } finally {
    closeSync(hold.fd);
  }
}

async function hold(request: Extract<HelperRequest, { type: 'hold' }>): Promise<HelperReply> {
  const { id, path, timeoutMs, retryMs, locks } = request;
  // For writing: a write lock needs it. The daemon lets this thread, and nobody else, open
  // a file of a read-only mount for writing, and still refuses every write through it.
  const fd = openSync(path, 'r+');
  try {
    const acquire = locks === 'wal-readers' ? acquireUnreliableWalExclusive : acquireDatabaseExclusive;
    const got = await acquire(fd, { timeoutMs, retryMs });
    if (!got.acquired) {
      closeSync(fd);
      return { type: 'busy', id, waitedMs: got.waitedMs, blockers: got.blockers.map((b) => ({ lock: b.lock, pid: b.holder?.pid ?? 0 })) };
    }
    held.set(id, { locks: got.held, fd });
    return { type: 'held', id, waitedMs: got.waitedMs };
  } catch (err) {
    if (!held.has(id)) closeSync(fd);
    throw err;
  }
}

/** Read-only: a lock query needs no write access, and this open takes no lock. */
function probe(request: Extract<HelperRequest, { type: 'probe' }>): HelperReply {
  const fd = openSync(request.path, 'r');
  try {
    return { type: 'probed', id: request.id, exclusiveHeld: exclusiveHeld(fd) };
  } finally {
    closeSync(fd);
  }
}

port.on('message', (request: HelperRequest) => {
  if (request.type === 'release') return letGo(request.id);
  if (request.type === 'probe') {
    let reply: HelperReply;
    try {
      reply = probe(request);
    } catch (err) {
      reply = { type: 'failed', id: request.id, message: err instanceof Error ? err.message : String(err) };
    }
    return port.postMessage(reply);
  }
  if (request.type === 'stop') {
    for (const id of [...held.keys()]) letGo(id);
    return port.close();
  }
  hold(request).then(
    (reply) => port.postMessage(reply),
    (err: unknown) => port.postMessage({ type: 'failed', id: request.id, message: err instanceof Error ? err.message : String(err) } satisfies HelperReply),
  );
});

// The id the kernel gives this thread's requests (the thread's, not the process's).
const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
port.postMessage({ type: 'ready', tid } satisfies HelperReply);
