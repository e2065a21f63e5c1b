/*
 * An in-memory ObjectStore with S3's conditional-write semantics (checked against MinIO
 * by the ObjectStore contract suite), for unit tests of every layer above the store.
 * It counts requests per operation and reads per key, so tests can assert costs.
 */
import { createHash } from 'node:crypto';
import { ChalkError } from '../util/chalk-error.js';
import type { ObjectInfo, ObjectStore, PutCondition, StoredObject } from './object-store.js';

/** An in-memory ObjectStore with S3's conditional-write semantics, for unit tests. */
export class MemoryObjectStore implements ObjectStore {
  readonly description = 'memory';
  readonly objects = new Map<string, { body: Buffer; etag: string; lastModified: Date }>();
  readonly requestCounts = { get: 0, put: 0, delete: 0, list: 0 };
  /** Successful GETs per key (a GET of a missing key counts only in requestCounts). */
  readonly readsByKey = new Map<string, number>();

  async get(key: string): Promise<StoredObject> {
    this.requestCounts.get++;
    const obj = this.objects.get(key);
    if (!obj) throw new ChalkError('not-found', `store get memory/${key}: not found`);
    this.readsByKey.set(key, (this.readsByKey.get(key) ?? 0) + 1);
    return { body: Buffer.from(obj.body), etag: obj.etag };
  }

  async put(key: string, body: Buffer, condition: PutCondition = {}): Promise<{ etag: string }> {
    this.requestCounts.put++;
    const existing = this.objects.get(key);
    if (condition.ifNoneMatch === '*' && existing) throw new ChalkError('precondition', `store put memory/${key}: precondition failed`);
    if (condition.ifMatch !== undefined && existing?.etag !== condition.ifMatch) {
      throw new ChalkError(existing ? 'precondition' : 'not-found', `store put memory/${key}: precondition failed`);
    }
    const etag = `"${createHash('md5').update(body).digest('hex')}-${this.objects.size}-${Date.now()}"`;
    this.objects.set(key, { body: Buffer.from(body), etag, lastModified: new Date() });
    return { etag };
  }

  async delete(key: string): Promise<void> {
    this.requestCounts.delete++;
    this.objects.delete(key);
  }

  async list(prefix: string, options: { startAfter?: string; limit?: number } = {}): Promise<ObjectInfo[]> {
    this.requestCounts.list++;
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && (!options.startAfter || k > options.startAfter)).sort();
    return keys.slice(0, options.limit ?? keys.length).map((key) => {
      const obj = this.objects.get(key)!;
      return { key, sizeBytes: obj.body.length, lastModified: obj.lastModified };
    });
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    this.requestCounts.list++;
    const out = new Set<string>();
    for (const key of this.objects.keys()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash >= 0) out.add(rest.slice(0, slash + 1));
    }
    return [...out].sort();
  }
}
