// The check `volume create` runs (chalkfs/store/conditional-writes-check.ts): a store that
// honours S3's conditional PUTs passes and keeps no probe; one that ignores either
// condition, or refuses a PUT with the current ETag, fails with one line naming it.
import { describe, expect, it } from 'vitest';
import { checkConditionalWrites } from '../../chalkfs/store/conditional-writes-check.js';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { PrefixedObjectStore } from '../../chalkfs/store/prefixed-object-store.js';
import type { PutCondition } from '../../chalkfs/store/object-store.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

/** A store that drops conditions (`drop` says which), as a store without the feature does. */
class ConditionDroppingStore extends MemoryObjectStore {
  constructor(private readonly drop: (condition: PutCondition) => PutCondition) {
    super();
  }
  override put(key: string, body: Buffer, condition: PutCondition = {}): Promise<{ etag: string }> {
    return super.put(key, body, this.drop(condition));
  }
}

async function failure(store: MemoryObjectStore): Promise<Error> {
  const err = await checkConditionalWrites(store).then(() => undefined, (e: unknown) => e);
  expect(isChalkError(err, 'config'), String(err)).toBe(true);
  expect((err as Error).message).not.toContain('\n');
  expect(store.objects.size).toBe(0);
  return err as Error;
}

describe('checkConditionalWrites', () => {
  it('a store with conditional writes passes and keeps no probe object (also under a prefix)', async () => {
    const store = new MemoryObjectStore();
    await checkConditionalWrites(store);
    await checkConditionalWrites(new PrefixedObjectStore(store, 'root/'));
    expect(store.objects.size).toBe(0);
    expect(store.requestCounts.put).toBe(8);
  });

  it('If-None-Match ignored: names create-only writes', async () => {
    const err = await failure(new ConditionDroppingStore(({ ifMatch }) => ({ ifMatch })));
    expect(err.message).toBe('the store memory does not honour If-None-Match: * on PUT (create only): chalkfs needs it for commits and the writer lease; use a store with S3 conditional writes (AWS S3, MinIO, Cloudflare R2, Ceph RGW)');
  });

  it('If-Match ignored: names replace-this-ETag writes', async () => {
    const err = await failure(new ConditionDroppingStore(({ ifNoneMatch }) => ({ ifNoneMatch })));
    expect(err.message).toMatch(/^the store memory does not honour If-Match on PUT \(replace only the given ETag\): a PUT with a stale ETag replaced the object: chalkfs needs it/);
  });

  it('every condition ignored: the first one is named', async () => {
    expect((await failure(new ConditionDroppingStore(() => ({})))).message).toContain('If-None-Match: *');
  });

  it('If-Match refused even with the current ETag (an ETag the store does not compare as given): named too', async () => {
    const err = await failure(new ConditionDroppingStore((c) => (c.ifMatch && !c.ifMatch.startsWith('"0123') ? { ifMatch: `"${c.ifMatch}"` } : c)));
    expect(err.message).toContain('a PUT with the current ETag was refused');
  });
});
