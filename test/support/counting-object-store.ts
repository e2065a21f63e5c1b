/*
 * An ObjectStore wrapper for unit tests that records every request by operation and key,
 * as the store would see them: what a mount costs, counted from the store's side.
 */
import type { ObjectInfo, ObjectStore, PutCondition, StoreOperation, StoredObject } from '../../chalkfs/store/object-store.js';

export interface CountedRequest {
  op: StoreOperation;
  key: string;
  atMs: number;
}

export class CountingObjectStore implements ObjectStore {
  readonly description: string;
  readonly requests: CountedRequest[] = [];

  constructor(
    private readonly inner: ObjectStore,
    private readonly clock: () => number = Date.now,
  ) {
    this.description = `counting(${inner.description})`;
  }

  /** Requests made in [fromMs, toMs), by operation. */
  between(fromMs: number, toMs: number): Record<StoreOperation, number> & { total: number } {
    const out = { get: 0, put: 0, delete: 0, list: 0, total: 0 };
    for (const r of this.requests) {
      if (r.atMs < fromMs || r.atMs >= toMs) continue;
      out[r.op]++;
      out.total++;
    }
    return out;
  }

  get(key: string): Promise<StoredObject> {
    this.record('get', key);
    return this.inner.get(key);
  }

  put(key: string, body: Buffer, condition?: PutCondition): Promise<{ etag: string }> {
    this.record('put', key);
    return this.inner.put(key, body, condition);
  }

  delete(key: string): Promise<void> {
    this.record('delete', key);
    return this.inner.delete(key);
  }

  list(prefix: string, options?: { startAfter?: string; limit?: number }): Promise<ObjectInfo[]> {
    this.record('list', prefix);
    return this.inner.list(prefix, options);
  }

  listPrefixes(prefix: string): Promise<string[]> {
    this.record('list', prefix);
    return this.inner.listPrefixes(prefix);
  }

  private record(op: StoreOperation, key: string): void {
    this.requests.push({ op, key, atMs: this.clock() });
  }
}
