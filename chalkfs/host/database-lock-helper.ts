// A worker thread that takes SQLite's locks on a database file of the daemon's own mount
// (host/database-lock-worker.ts), so a follower can switch the file between its readers'
// read transactions (docs/CONSISTENCY.md, "Readers on other hosts"), and so a writer can
// ask whether a local process is inside a write transaction on a database with no journal
// on disk (vfs/sqlite/journalless-databases.ts). A FUSE request
// carries the id of the calling thread (the kernel's task_pid of `current`), so the
// mount recognises this helper's opens by `isHelper(pid)`: the worker's thread id, not
// `process.pid`.
import { Worker } from 'node:worker_threads';
import { ChalkError } from '../util/chalk-error.js';

export type HelperRequest =
  | { type: 'hold'; id: number; path: string; locks: HeldLocksKind; timeoutMs: number; retryMs: number }
  | { type: 'release'; id: number }
  | { type: 'probe'; id: number; path: string }
  | { type: 'stop' };

/**
 * `rollback`: EXCLUSIVE on a rollback-journal database at `path`; `wal-readers`:
 * WAL_READ_LOCK(0) on the served read-only `-shm` at `path` (host/sqlite-locks.ts).
 */
export type HeldLocksKind = 'rollback' | 'wal-readers';

export type HelperReply =
  | { type: 'ready'; tid: number }
  | { type: 'held'; id: number; waitedMs: number }
  | { type: 'busy'; id: number; waitedMs: number; blockers: { lock: string; pid: number }[] }
  | { type: 'probed'; id: number; exclusiveHeld: boolean }
  | { type: 'failed'; id: number; message: string };

export type HoldOutcome =
  | { held: true; waitedMs: number; release(): void }
  | { held: false; waitedMs: number; blockers: { lock: string; pid: number }[] };

export interface HoldWait {
  timeoutMs: number;
  retryMs: number;
}

export class DatabaseLockHelper {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: HelperReply) => void }>();
  private stopped = false;

  private constructor(
    private readonly worker: Worker,
    /** The thread id the helper's requests arrive with. */
    readonly tid: number,
  ) {
    worker.on('message', (reply: HelperReply) => {
      if (reply.type === 'ready') return;
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiting?.resolve(reply);
    });
    worker.on('exit', () => {
      for (const [id, waiting] of this.pending) waiting.resolve({ type: 'failed', id, message: 'the lock helper thread ended' });
      this.pending.clear();
    });
    worker.unref();
  }

  static async start(): Promise<DatabaseLockHelper> {
    const worker = new Worker(new URL('./database-lock-worker.js', import.meta.url));
    const tid = await new Promise<number>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (reply: HelperReply) => (reply.type === 'ready' ? resolve(reply.tid) : reject(new Error(`unexpected ${reply.type}`))));
    });
    return new DatabaseLockHelper(worker, tid);
  }

  private async request(make: (id: number) => HelperRequest): Promise<HelperReply> {
    if (this.stopped) throw new ChalkError('io', 'the lock helper is stopped');
    const id = this.nextId++;
    return new Promise<HelperReply>((resolve) => {
      this.pending.set(id, { resolve });
      this.worker.postMessage(make(id));
    });
  }

  isHelper(pid: number): boolean {
    return pid === this.tid;
  }

  /** Takes `locks` on the file at `path` (on the mount), with a bounded wait. */
  async hold(path: string, locks: HeldLocksKind, wait: HoldWait): Promise<HoldOutcome> {
    const reply = await this.request((id) => ({ type: 'hold', id, path, locks, ...wait }));
    switch (reply.type) {
      case 'held':
        return { held: true, waitedMs: reply.waitedMs, release: () => this.stopped || this.worker.postMessage({ type: 'release', id: reply.id } satisfies HelperRequest) };
      case 'busy':
        return { held: false, waitedMs: reply.waitedMs, blockers: reply.blockers };
      default:
        throw new ChalkError('io', `taking the locks of ${path} failed: ${reply.type === 'failed' ? reply.message : reply.type}`);
    }
  }

  /** Whether another open of the rollback-journal database at `path` (on the mount) holds EXCLUSIVE now. */
  async exclusiveHeld(path: string): Promise<boolean> {
    const reply = await this.request((id) => ({ type: 'probe', id, path }));
    if (reply.type === 'probed') return reply.exclusiveHeld;
    throw new ChalkError('io', `asking for the locks of ${path} failed: ${reply.type === 'failed' ? reply.message : reply.type}`);
  }

  /** Lets go of every lock and closes every file the helper has open on the mount, then ends it. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage({ type: 'stop' } satisfies HelperRequest);
    await exited;
  }
}
