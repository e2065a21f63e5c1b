import type { Logger } from 'pino';
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import type { ObjectStore } from '../store/object-store.js';
import { storeKeys } from '../meta/store-keys.js';
import { decodeMeta, encodeMeta } from '../meta/format.js';
import { decideAcquire, fresh, renewed, safeUntil, type LeaseHolder, type LeaseRecord } from './lease-rules.js';

const leaseFormat = 'chalkfs-lease/1';

export interface WriterLeaseOptions {
  store: ObjectStore;
  volume: string;
  holder: LeaseHolder;
  ttlMs: number;
  logger: Logger;
  clock?: () => number;
  isLocalProcessAlive: (pid: number) => boolean;
  /** Called once if the lease is lost (taken over, or not renewed in time). */
  onLost?: (reason: string) => void;
}

/**
 * The single-writer lease of a volume: one object, created with If-None-Match and
 * renewed with If-Match every ttl/3, so two mounts can never both believe they hold it
 * for longer than the clock-skew margin. A holder that cannot renew in time stops
 * writing (held() turns false) before anyone else may take over.
 */
export class WriterLease {
  private etag: string;
  private record: LeaseRecord;
  private timer: NodeJS.Timeout | undefined;
  private lost = false;
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
    const key = storeKeys.lease(volume);
    try {
      const { body, etag } = await store.get(key);
      return { record: decodeMeta<LeaseRecord>(leaseFormat, body, key), etag };
    } catch (err) {
      if (isChalkError(err, 'not-found')) return undefined;
      throw err;
    }
  }

  static async acquire(options: WriterLeaseOptions): Promise<WriterLease> {
    const clock = options.clock ?? Date.now;
    const key = storeKeys.lease(options.volume);
    for (let attempt = 0; attempt < 3; attempt++) {
      let current: { record: LeaseRecord; etag: string } | undefined;
      try {
        current = await WriterLease.read(options.store, options.volume);
      } catch (err) {
        if (!isChalkError(err, 'corrupt')) throw err;
        // A damaged lease protects nothing: remove it and decide again.
        options.logger.error({ key, err: (err as Error).message }, 'lease object is corrupt; deleting it');
        await options.store.delete(key);
        continue;
      }
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
        const condition = decision.action === 'create' || !current ? { ifNoneMatch: '*' as const } : { ifMatch: current.etag };
        const { etag } = await options.store.put(key, encodeMeta(leaseFormat, record), condition);
        if (decision.action === 'take-over') options.logger.warn({ volume: options.volume, previous: current?.record.holder, reason: decision.reason }, 'took over the writer lease');
        const lease = new WriterLease(options, record, etag);
        lease.schedule();
        return lease;
      } catch (err) {
        if (!isChalkError(err, 'precondition')) throw err;
        // Someone else wrote the lease between our read and write: decide again.
      }
    }
    throw new ChalkError('lease-held', `volume ${options.volume}: another mount is taking the writer lease at the same time`);
  }

  /** True while writes are safe: not lost, and renewed recently enough. */
  held(): boolean {
    return !this.lost && this.clock() < safeUntil(this.record);
  }

  holder(): LeaseHolder {
    return this.record.holder;
  }

  async release(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lost) return;
    this.lost = true;
    try {
      const current = await WriterLease.read(this.options.store, this.options.volume);
      if (current?.record.holder.mountId === this.options.holder.mountId) await this.options.store.delete(storeKeys.lease(this.options.volume));
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'could not release the writer lease; it will expire');
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.renew(), Math.max(50, Math.floor(this.options.ttlMs / 3)));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    if (this.lost) return;
    const next = renewed(this.record, this.clock());
    try {
      const { etag } = await this.options.store.put(storeKeys.lease(this.options.volume), encodeMeta(leaseFormat, next), { ifMatch: this.etag });
      this.record = next;
      this.etag = etag;
    } catch (err) {
      if (isChalkError(err, 'precondition') || isChalkError(err, 'not-found')) {
        this.markLost('the lease object was replaced by another mount');
        return;
      }
      this.options.logger.warn({ err: (err as Error).message }, 'could not renew the writer lease; retrying');
      if (!this.held()) {
        this.markLost('the lease could not be renewed before it expired');
        return;
      }
    }
    if (!this.lost) this.schedule();
  }

  private markLost(reason: string): void {
    if (this.lost) return;
    this.lost = true;
    this.options.logger.error({ volume: this.options.volume, reason }, 'lost the writer lease; this mount no longer accepts writes');
    this.options.onLost?.(reason);
  }
}
