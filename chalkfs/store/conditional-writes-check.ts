/*
 * chalkfs is only safe on a store that honours S3's conditional PUTs: `If-None-Match: *`
 * (create-only) decides commits, volume creation and taking the writer lease;
 * `If-Match: <etag>` (replace this version) renews the lease and fences a deposed writer.
 * A store that accepts the headers and ignores them would let two writers overwrite each
 * other silently, so `volume create` checks once, on a probe object of its own under
 * `probes/` (docs/FORMAT.md), and refuses with one line naming the missing feature.
 */
import { randomUUID } from 'node:crypto';
import { ChalkError, isChalkError } from '../util/chalk-error.js';
import type { ObjectStore } from './object-store.js';

export const probePrefix = 'probes/';

const needed = 'chalkfs needs it for commits and the writer lease; use a store with S3 conditional writes (AWS S3, MinIO, Cloudflare R2, Ceph RGW)';

/** Rejects with a `config` error naming the first conditional write the store does not honour. */
export async function checkConditionalWrites(store: ObjectStore): Promise<void> {
  const key = `${probePrefix}conditional-writes-${randomUUID()}`;
  const missing = (feature: string) => new ChalkError('config', `the store ${store.description} does not honour ${feature}: ${needed}`);
  /** True when the put was refused with `precondition`; other failures propagate. */
  const refused = (put: Promise<unknown>) => put.then(() => false, (err: unknown) => { if (isChalkError(err, 'precondition')) return true; throw err; });
  try {
    const { etag } = await store.put(key, Buffer.from('first'), { ifNoneMatch: '*' });
    if (!(await refused(store.put(key, Buffer.from('second'), { ifNoneMatch: '*' })))) throw missing('If-None-Match: * on PUT (create only)');
    if (!(await refused(store.put(key, Buffer.from('third'), { ifMatch: '"0123456789abcdef0123456789abcdef"' })))) throw missing('If-Match on PUT (replace only the given ETag): a PUT with a stale ETag replaced the object');
    if (await refused(store.put(key, Buffer.from('fourth'), { ifMatch: etag }))) throw missing('If-Match on PUT (replace only the given ETag): a PUT with the current ETag was refused');
  } catch (err) {
    // The check's own failure is the news; the probe is removed as well as can be.
    await store.delete(key).catch(() => undefined);
    throw err;
  }
  await store.delete(key);
}
