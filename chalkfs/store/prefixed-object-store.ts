/*
 * One chalkfs root inside a shared bucket (CHALKFS_BUCKET=bucket/prefix): every key the
 * layers above use is relative to the root, and this wrapper adds the prefix on the way
 * in and strips it from listings on the way out. A wrapper rather than a prefix inside
 * S3ObjectStore: the S3 adapter builds keys in two places (the SDK calls and SignedGet),
 * this is one, and it runs on MemoryObjectStore so the ObjectStore contract suite checks
 * it without S3. The store's format (docs/FORMAT.md) is unchanged under a prefix.
 */
import type { ObjectInfo, ObjectStore, PutCondition, StoredObject } from './object-store.js';

export class PrefixedObjectStore implements ObjectStore {
  readonly description: string;

  /** `prefix` ends with "/" (see parseBucketSetting in store-config.ts). */
  constructor(
    private readonly inner: ObjectStore,
    readonly prefix: string,
  ) {
    this.description = `${inner.description}/${prefix.slice(0, -1)}`;
  }

  get(key: string): Promise<StoredObject> {
    return this.inner.get(this.prefix + key);
  }

  put(key: string, body: Buffer, condition?: PutCondition): Promise<{ etag: string }> {
    return this.inner.put(this.prefix + key, body, condition);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(this.prefix + key);
  }

  async list(prefix: string, options: { startAfter?: string; limit?: number } = {}): Promise<ObjectInfo[]> {
    const startAfter = options.startAfter === undefined ? undefined : this.prefix + options.startAfter;
    const found = await this.inner.list(this.prefix + prefix, { ...options, startAfter });
    return found.map((o) => ({ ...o, key: o.key.slice(this.prefix.length) }));
  }

  /** Already relative to the prefix asked for, so nothing to strip. */
  listPrefixes(prefix: string): Promise<string[]> {
    return this.inner.listPrefixes(this.prefix + prefix);
  }
}
