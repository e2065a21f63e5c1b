/*
 * The only interface through which chalkfs reaches its object store. Implementations:
 * S3ObjectStore (any S3-compatible endpoint) and MemoryObjectStore (unit tests); wrappers
 * PrefixedObjectStore (a root under a bucket prefix), InstrumentedObjectStore (metrics)
 * and FaultyObjectStore (injected failures, unit tests). test/support/object-store-contract.ts
 * checks that they all behave as S3 does. Every method rejects with a ChalkError:
 * not-found, precondition, access-denied, timeout or io.
 */
export interface ObjectInfo {
  key: string;
  sizeBytes: number;
  lastModified: Date;
}

export interface StoredObject {
  body: Buffer;
  etag: string;
}

export interface PutCondition {
  /** Only create: fails with `precondition` when the key exists. */
  ifNoneMatch?: '*';
  /** Only replace this exact version: `precondition` when another version is there, `not-found` when none is (as S3 and MinIO answer). */
  ifMatch?: string;
  /**
   * Not a condition: the body's SHA-256 (hex) when the caller already has it (a block's
   * name), so the S3 adapter signs it instead of hashing the body again; S3 checks it.
   */
  contentSha256?: string;
}

export interface ObjectStore {
  /** A short description for logs and errors (endpoint and bucket; never credentials). */
  readonly description: string;
  get(key: string): Promise<StoredObject>;
  put(key: string, body: Buffer, condition?: PutCondition): Promise<{ etag: string }>;
  delete(key: string): Promise<void>;
  /** Keys under `prefix` in lexicographic order, those after `startAfter` only. */
  list(prefix: string, options?: { startAfter?: string; limit?: number }): Promise<ObjectInfo[]>;
  /** The distinct next path segments under `prefix` ("a/", "b/"), like directories. */
  listPrefixes(prefix: string): Promise<string[]>;
}

/** Operation labels used by metrics and fault injection. */
export type StoreOperation = 'get' | 'put' | 'delete' | 'list';
