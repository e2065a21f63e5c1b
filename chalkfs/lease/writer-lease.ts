// The writer lease as a running thing: acquiring, renewing, releasing and fencing against
// the store (the rules it follows are the pure functions in lease-rules.ts).
import type { Logger } from 'pino';
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import type { ObjectStore } from '../store/object-store.js';
import { storeKeys } from '../meta/store-keys.js';
import { decodeMeta, encodeMeta } from '../meta/format.js';
import { decideAcquire, decideRecovery, fresh, released, renewed, safeUntil, type LeaseHolder, type LeaseRecord } from './lease-rules.js';

const leaseFormat = 'chalkfs-lease/1';

export interface WriterLeaseOptions {
  store: ObjectStore;
  volume: string;
  holder: LeaseHolder;
  ttlMs: number;
  logger: Logger;
  clock?: () => number;
  isLocalProcessAlive: (pid: number) => boolean;
  /** Called once if this mount is fenced: another mount holds the lease, or fence() was called. */
  onLost?: (reason: string) => void;
}

/** The lease object as stored: a record, or (corrupt) none; the etag either way. */
interface StoredLease {
  record?: LeaseRecord;
  etag: string;
  corrupt?: ChalkError;
}

/**
 * The single-writer lease of a volume: one object, created with If-None-Match and
 * renewed with If-Match every ttl/3, so two mounts can never both believe they hold it
 * for longer than the clock-skew margin. A holder that cannot renew in time stops
 * writing (held() turns false) before anyone else may take over, and keeps trying: when
 * the store answers again it renews its own lease, takes again one nobody holds, and is
 * fenced for good only by a lease another mount holds (docs/CONSISTENCY.md).
 */
export class WriterLease {
  private etag: string;
  private record: LeaseRecord;
  private timer: NodeJS.Timeout | undefined;
  /** Released or fenced: no more renewals. */
  private stopped = false;
  private fencedReason: string | undefined;
  private retaken = 0;
  /** When renewals started failing (undefined while they succeed). */
  private failingSince: number | undefined;
  private unsafeLogged = false;
  private running: Promise<void> | undefined;
  private readonly clock: () => number;

  private constructor(
    private readonly options: WriterLeaseOptions,
    record: LeaseRecord,
    etag: string,
  ) {
    this.record = record;
    this.etag = etag;
    this.clock = options.clock ?? Date.now;
  }

  static async read(store: ObjectStore, volume: string): Promise<{ record: LeaseRecord; etag: string } | undefined> {
    const stored = await readStored(store, volume);
    if (stored?.corrupt) throw stored.corrupt;
    return stored?.record ? { record: stored.record, etag: stored.etag } : undefined;
  }

  static async acquire(options: WriterLeaseOptions): Promise<WriterLease> {
    const clock = options.clock ?? Date.now;
    const key = storeKeys.lease(options.volume);
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await readStored(options.store, options.volume);
      // A damaged lease protects nothing: replace it, but only that very object (If-Match),
      // never a lease another mount wrote after this one read the damaged one.
      if (current?.corrupt) options.logger.error({ key, err: current.corrupt }, 'lease object is corrupt; replacing it');
      const now = clock();
      const decision = decideAcquire(current?.record, options.holder, now, options.isLocalProcessAlive);
      if (decision.action === 'refuse') {
        const h = decision.holder;
        throw new ChalkError(
          'lease-held',
          `volume ${options.volume} is mounted read-write by host ${h.host} pid ${h.pid} since ${new Date(decision.since).toISOString()} ` +
            `(lease expires ${new Date(decision.expiresAt).toISOString()} unless renewed); mount it --read-only, or unmount it there`,
        );
      }
      const record = fresh(options.volume, options.holder, now, options.ttlMs);
      try {
        const condition = current ? { ifMatch: current.etag } : { ifNoneMatch: '*' as const };
        const { etag } = await options.store.put(key, encodeMeta(leaseFormat, record), condition);
        if (decision.action === 'take-over') options.logger.warn({ volume: options.volume, previous: current?.record?.holder, reason: decision.reason }, 'took over the writer lease');
        const lease = new WriterLease(options, record, etag);
        lease.schedule(lease.renewIntervalMs());
        return lease;
      } catch (err) {
        // Someone else wrote the lease between our read and write (or our own write landed
        // and its answer was lost, which the next read shows as this mount's): decide again.
        if (!isChalkError(err, 'precondition') && !isChalkError(err, 'not-found') && !isChalkError(err, 'timeout')) throw err;
      }
    }
    throw new ChalkError('lease-held', `volume ${options.volume}: another mount is taking the writer lease at the same time`);
  }

  /** True while writes are safe: not fenced or released, and renewed recently enough. */
  held(): boolean {
    return !this.stopped && this.clock() < safeUntil(this.record);
  }

  /** Why this mount may never write again, once it is fenced. */
  get fenced(): string | undefined {
    return this.fencedReason;
  }

  /**
   * How often the lease was taken again after it had lapsed (gone or expired when the
   * store answered again). Another writer may have committed meanwhile: a writer checks
   * the volume's history before its next commit whenever this changes.
   */
  get retakes(): number {
    return this.retaken;
  }

  /**
   * This mount must never write again (e.g. its history forked): stop renewing, and give
   * the lease up if it is still this mount's, so another mount can take it at once.
   */
  async fence(reason: string): Promise<void> {
    if (this.stopped) return;
    this.markFenced(reason);
    await this.running;
    await this.giveUp();
  }

  private markFenced(reason: string): void {
    this.stop();
    this.fencedReason = reason;
    this.options.logger.error({ volume: this.options.volume, reason }, 'fenced: this mount no longer accepts writes and no longer renews the writer lease');
    this.options.onLost?.(reason);
  }

  async release(): Promise<void> {
    if (this.stopped) return;
    this.stop();
    await this.running;
    await this.giveUp();
  }

  private stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Marks the lease released with If-Match, so it never touches a lease another mount took. */
  private async giveUp(): Promise<void> {
    const key = storeKeys.lease(this.options.volume);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await this.bounded(this.options.store.put(key, encodeMeta(leaseFormat, released(this.record, this.clock())), { ifMatch: this.etag }));
          return;
        } catch (err) {
          if (!isChalkError(err, 'precondition') && !isChalkError(err, 'not-found') && !isChalkError(err, 'timeout')) throw err;
          // Our etag is stale (a renewal landed unseen) or the lease is another mount's now.
          const current = await this.bounded(readStored(this.options.store, this.options.volume));
          if (current?.record?.holder.mountId !== this.options.holder.mountId || current.record.releasedAt !== undefined) return;
          this.record = current.record;
          this.etag = current.etag;
        }
      }
      throw new ChalkError('io', 'the lease kept changing');
    } catch (err) {
      this.options.logger.warn({ volume: this.options.volume, err }, 'could not release the writer lease; it will expire');
    }
  }

  private renewIntervalMs(): number {
    return Math.max(50, Math.floor(this.options.ttlMs / 3));
  }

  /** While renewals fail: retry often, so writes resume soon after the store answers. */
  private retryIntervalMs(): number {
    return Math.max(50, Math.min(1_000, Math.floor(this.options.ttlMs / 10)));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.renew().finally(() => (this.running = undefined));
    }, delayMs);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    let ok = false;
    try {
      ok = await this.renewOrRecover();
    } catch (err) {
      this.noteFailure(err);
    }
    if (ok) this.noteSuccess();
    this.schedule(ok ? this.renewIntervalMs() : this.retryIntervalMs());
  }

  /** One round: renew with If-Match; if that does not plainly succeed, read the lease and act on it. */
  private async renewOrRecover(): Promise<boolean> {
    const key = storeKeys.lease(this.options.volume);
    try {
      await this.putRecord(renewed(this.record, this.clock()), { ifMatch: this.etag });
      return true;
    } catch (err) {
      // 412 or 404: the etag is not the stored one. Anything else: the outcome is unknown
      // (the renewal may have landed). Either way the stored lease says what happened.
      if (this.stopped) return false;
      this.noteFailure(err);
    }
    const current = await this.bounded(readStored(this.options.store, this.options.volume));
    if (this.stopped) return false;
    const decision = decideRecovery(current?.record, this.options.holder, this.clock());
    switch (decision.action) {
      case 'adopt':
        // Ours, as this mount last wrote it (its expiry was set before that write was sent,
        // so believing it is safe): adopt its etag and renew from there.
        this.record = current!.record!;
        this.etag = current!.etag;
        await this.putRecord(renewed(this.record, this.clock()), { ifMatch: this.etag });
        return true;
      case 'retake':
        await this.putRecord(fresh(this.options.volume, this.options.holder, this.clock(), this.options.ttlMs), current ? { ifMatch: current.etag } : { ifNoneMatch: '*' });
        this.retaken++;
        this.options.logger.warn({ volume: this.options.volume, key, previous: current?.record?.holder }, 'took the writer lease again after it had lapsed; the volume history is checked before the next commit');
        return true;
      case 'fenced': {
        const h = decision.holder;
        this.markFenced(`the writer lease was taken by host ${h.host} pid ${h.pid} (mount ${h.mountId})`);
        return false;
      }
    }
  }

  private async putRecord(record: LeaseRecord, condition: { ifMatch: string } | { ifNoneMatch: '*' }): Promise<void> {
    const { etag } = await this.bounded(this.options.store.put(storeKeys.lease(this.options.volume), encodeMeta(leaseFormat, record), condition));
    if (this.stopped) return;
    this.record = record;
    this.etag = etag;
  }

  private noteFailure(err: unknown): void {
    const now = this.clock();
    if (this.failingSince === undefined) {
      this.failingSince = now;
      this.options.logger.warn({ volume: this.options.volume, err }, 'could not renew the writer lease; retrying');
    }
    if (!this.held() && !this.unsafeLogged && !this.stopped) {
      this.unsafeLogged = true;
      this.options.logger.error(
        { volume: this.options.volume, failingForMs: now - this.failingSince, err },
        'the writer lease is no longer safely held: writes are refused until the store answers and the lease is renewed',
      );
    }
  }

  private noteSuccess(): void {
    if (this.failingSince === undefined) return;
    this.options.logger.warn({ volume: this.options.volume, failedForMs: this.clock() - this.failingSince }, 'renewed the writer lease again; writes resume');
    this.failingSince = undefined;
    this.unsafeLogged = false;
  }

  /**
   * A store call that hangs must not hold the loop up (the store adapter's own timeouts
   * are not the lease's business): past one renewal interval, stop waiting. Whatever the
   * call does later is harmless, every lease write being conditional.
   */
  private bounded<T>(call: Promise<T>): Promise<T> {
    const limitMs = this.renewIntervalMs();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ChalkError('timeout', `writer lease: the store did not answer within ${limitMs} ms`)), limitMs);
      timer.unref();
      call.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }
}

async function readStored(store: ObjectStore, volume: string): Promise<StoredLease | undefined> {
  const key = storeKeys.lease(volume);
  let stored;
  try {
    stored = await store.get(key);
  } catch (err) {
    if (isChalkError(err, 'not-found')) return undefined;
    throw err;
  }
  try {
    return { record: decodeMeta<LeaseRecord>(leaseFormat, stored.body, key), etag: stored.etag };
  } catch (err) {
    if (!isChalkError(err, 'corrupt')) throw err;
    return { etag: stored.etag, corrupt: err };
  }
}
