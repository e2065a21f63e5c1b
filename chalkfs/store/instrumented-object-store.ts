/*
 * A store wrapper for the daemon's metrics: every request counted and timed by operation
 * (chalkfs_store_request_seconds), so `chalkfs status` and Prometheus see the store's
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

  get(key: string): Promise<StoredObject> {
    return this.time('get', () => this.inner.get(key));
  }

  put(key: string, body: Buffer, condition?: PutCondition): Promise<{ etag: string }> {
    return this.time('put', () => this.inner.put(key, body, condition));
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
