/*
 * A store wrapper for the daemon's metrics: every request counted and timed by operation
 * (chalkfs_store_request_seconds) and the bytes of bodies read and stored counted, so `chalkfs status` and Prometheus see the store's
 * latency as the mount experiences it.
 */
import type { Metrics } from '../util/metrics.js';
import type { ObjectInfo, ObjectStore, PutCondition, StoredObject, StoreOperation } from './object-store.js';

/** Wraps a store to count and time every request (chalkfs_store_request_seconds). */
export class InstrumentedObjectStore implements ObjectStore {
  readonly description: string;

  constructor(
    private readonly inner: ObjectStore,
    private readonly metrics: Metrics,
  ) {
    this.description = inner.description;
  }

  async get(key: string): Promise<StoredObject> {
    const object = await this.time('get', () => this.inner.get(key));
    this.metrics.storeReceivedBytes.inc(object.body.length);
    return object;
  }

  async put(key: string, body: Buffer, condition?: PutCondition): Promise<{ etag: string }> {
    const stored = await this.time('put', () => this.inner.put(key, body, condition));
    // Counted once stored: a failed PUT may not have sent its body, and is retried as another.
    this.metrics.storeSentBytes.inc(body.length);
    return stored;
  }

  delete(key: string): Promise<void> {
    return this.time('delete', () => this.inner.delete(key));
  }

  list(prefix: string, options?: { startAfter?: string; limit?: number }): Promise<ObjectInfo[]> {
    return this.time('list', () => this.inner.list(prefix, options));
  }

  listPrefixes(prefix: string): Promise<string[]> {
    return this.time('list', () => this.inner.listPrefixes(prefix));
  }

  private async time<T>(op: StoreOperation, fn: () => Promise<T>): Promise<T> {
    const end = this.metrics.storeRequests.startTimer({ op });
    try {
      const result = await fn();
      end({ result: 'ok' });
      return result;
    } catch (err) {
      end({ result: (err as { kind?: string }).kind ?? 'error' });
      throw err;
    }
  }
}
