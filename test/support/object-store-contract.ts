/*
 * The ObjectStore contract: what chalkfs relies on from its store, written once against
 * the interface and run against every implementation (the in-memory store and the fault
 * wrapper in test/unit/object-store-contract.test.ts, S3ObjectStore on MinIO in
 * test/integration/s3-object-store-contract.test.ts). The unit tests of the layers above
 * run on MemoryObjectStore; these tests are what makes that stand-in honest.
 *
 * What matters, and who relies on it: create-only PUT (`ifNoneMatch: '*'`) decides a
 * version's commit and a volume's creation (meta/volume-repository.ts); replace-this-etag
 * PUT (`ifMatch`) is the writer lease's fencing (lease/writer-lease.ts) and the presence
 * record's renewal (meta/presence.ts); ordered, paged listing with `startAfter` finds new
 * versions; listing's `lastModified` is garbage collection's grace period
 * (history/volume-history.ts); `listPrefixes` lists volumes; not-found is how a missing
 * object is told apart from a failure.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectStore, PutCondition } from '../../chalkfs/store/object-store.js';
import { kindOf } from './error-kind.js';

/** A fresh, empty store for one test, and how to let it go. */
export interface ContractStore {
  store: ObjectStore;
  close(): Promise<void>;
}

const text = (s: string) => Buffer.from(s, 'utf8');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Puts `keys` (body: the key itself), `concurrency` at a time. */
async function putAll(store: ObjectStore, keys: string[], concurrency = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      await store.put(key, text(key));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Eight writers put to `key` at once under `condition`: each one's outcome, and the body that won. */
async function race(store: ObjectStore, key: string, condition: PutCondition): Promise<{ outcomes: string[]; stored: string; winner: string | undefined }> {
  const bodies = Array.from({ length: 8 }, (_, i) => `writer ${i}`);
  const outcomes = await Promise.all(bodies.map((body) => kindOf(store.put(key, text(body), condition))));
  return { outcomes, stored: (await store.get(key)).body.toString(), winner: bodies[outcomes.indexOf('none')] };
}

/** Opens a store before each test of the calling describe block (handed to `use`) and closes it after. */
export function withStoreEachTest(open: () => Promise<ContractStore>, use: (store: ObjectStore) => void): void {
  let current: ContractStore | undefined;
  beforeEach(async () => {
    current = await open();
    use(current.store);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
}

export function describeObjectStoreContract(name: string, open: () => Promise<ContractStore>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    withStoreEachTest(open, (opened) => (store = opened));

    describe('get and put', () => {
      it('a put object reads back byte for byte, with the etag the put returned', async () => {
        const { etag } = await store.put('volumes/v/volume.json', text('{"a":1}'));
        expect(etag).not.toBe('');
        const got = await store.get('volumes/v/volume.json');
        expect(got.body.toString()).toBe('{"a":1}');
        expect(got.etag).toBe(etag);
      });

      it('a key never written: get rejects with not-found', async () => {
        expect(await kindOf(store.get('volumes/v/head.json'))).toBe('not-found');
        await store.put('volumes/v/head.jsonx', text('x'));
        await store.put('volumes/v/head.jso', text('x'));
        expect(await kindOf(store.get('volumes/v/head.json'))).toBe('not-found');
      });

      it('a plain put replaces: the new body and a new etag', async () => {
        const first = await store.put('k', text('one'));
        const second = await store.put('k', text('two'));
        expect(second.etag).not.toBe(first.etag);
        const got = await store.get('k');
        expect(got.body.toString()).toBe('two');
        expect(got.etag).toBe(second.etag);
      });

      it('an empty body reads back as an empty buffer', async () => {
        const { etag } = await store.put('empty', Buffer.alloc(0));
        const got = await store.get('empty');
        expect(Buffer.isBuffer(got.body)).toBe(true);
        expect(got.body.length).toBe(0);
        expect(got.etag).toBe(etag);
        expect((await store.list('empty')).map((o) => [o.key, o.sizeBytes])).toEqual([['empty', 0]]);
      });

      it('every byte value reads back unchanged', async () => {
        const body = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
        await store.put('binary', body);
        expect((await store.get('binary')).body.equals(body)).toBe(true);
      });

      it('a large body (8 MiB and a byte: a block of a big block size) reads back byte for byte', async () => {
        const body = randomBytes(8 * 1024 * 1024 + 1);
        await store.put('volumes/v/blocks/large', body);
        const got = await store.get('volumes/v/blocks/large');
        expect(got.body.length).toBe(body.length);
        expect(sha256(got.body)).toBe(sha256(body));
        expect((await store.list('volumes/v/blocks/')).map((o) => o.sizeBytes)).toEqual([body.length]);
      });

      it('the store keeps its own bytes: changing the buffer put, or the buffer got, changes nothing stored', async () => {
        const body = text('original');
        await store.put('k', body);
        body.fill(0x21);
        const got = await store.get('k');
        expect(got.body.toString()).toBe('original');
        got.body.fill(0x21);
        expect((await store.get('k')).body.toString()).toBe('original');
      });
    });

    describe('delete', () => {
      it('a deleted key is gone from get and list; its neighbours stay', async () => {
        await store.put('d/a', text('a'));
        await store.put('d/b', text('b'));
        await store.delete('d/a');
        expect(await kindOf(store.get('d/a'))).toBe('not-found');
        expect((await store.list('d/')).map((o) => o.key)).toEqual(['d/b']);
      });

      it('deleting a key that does not exist succeeds (a retried delete is harmless)', async () => {
        expect(await kindOf(store.delete('never-written'))).toBe('none');
        await store.put('k', text('k'));
        await store.delete('k');
        expect(await kindOf(store.delete('k'))).toBe('none');
      });
    });

    describe('create-only put (ifNoneMatch: *)', () => {
      it('creates a key that does not exist', async () => {
        const { etag } = await store.put('volumes/v/versions/0000000000000001', text('v1'), { ifNoneMatch: '*' });
        const got = await store.get('volumes/v/versions/0000000000000001');
        expect(got.body.toString()).toBe('v1');
        expect(got.etag).toBe(etag);
      });

      it('a key that exists: rejects with precondition and leaves the object as it was', async () => {
        await store.put('k', text('first'), { ifNoneMatch: '*' });
        expect(await kindOf(store.put('k', text('second'), { ifNoneMatch: '*' }))).toBe('precondition');
        expect((await store.get('k')).body.toString()).toBe('first');
        // The same content is no exception: the key exists, that is all that counts.
        expect(await kindOf(store.put('k', text('first'), { ifNoneMatch: '*' }))).toBe('precondition');
      });

      it('a key written by a plain put counts as existing too', async () => {
        await store.put('k', text('plain'));
        expect(await kindOf(store.put('k', text('create'), { ifNoneMatch: '*' }))).toBe('precondition');
        expect((await store.get('k')).body.toString()).toBe('plain');
      });

      it('after a delete the key can be created again', async () => {
        await store.put('k', text('first'), { ifNoneMatch: '*' });
        await store.delete('k');
        await store.put('k', text('again'), { ifNoneMatch: '*' });
        expect((await store.get('k')).body.toString()).toBe('again');
      });

      it('racing creates of one key: exactly one wins, the others reject with precondition', async () => {
        const { outcomes, stored, winner } = await race(store, 'volumes/v/versions/0000000000000002', { ifNoneMatch: '*' });
        expect(outcomes.filter((o) => o === 'none')).toHaveLength(1);
        expect(outcomes.filter((o) => o !== 'none')).toEqual(Array(7).fill('precondition'));
        expect(stored).toBe(winner);
      });
    });

    describe('replace-this-version put (ifMatch)', () => {
      it('with the current etag: replaces, and returns the etag get then sees', async () => {
        const first = await store.put('volumes/v/lease.json', text('held by a'), { ifNoneMatch: '*' });
        const second = await store.put('volumes/v/lease.json', text('renewed by a'), { ifMatch: first.etag });
        expect(second.etag).not.toBe(first.etag);
        const got = await store.get('volumes/v/lease.json');
        expect(got.body.toString()).toBe('renewed by a');
        expect(got.etag).toBe(second.etag);
        await store.put('volumes/v/lease.json', text('renewed again'), { ifMatch: got.etag });
        expect((await store.get('volumes/v/lease.json')).body.toString()).toBe('renewed again');
      });

      it('with an etag that is no longer current: rejects with precondition and leaves the object as it was', async () => {
        const first = await store.put('k', text('one'));
        await store.put('k', text('two'));
        expect(await kindOf(store.put('k', text('three'), { ifMatch: first.etag }))).toBe('precondition');
        expect((await store.get('k')).body.toString()).toBe('two');
      });

      it('with an etag the key never had: rejects with precondition', async () => {
        await store.put('k', text('one'));
        const other = await store.put('other', text('other content'));
        expect(await kindOf(store.put('k', text('two'), { ifMatch: other.etag }))).toBe('precondition');
        expect((await store.get('k')).body.toString()).toBe('one');
      });

      it('on a key that does not exist (deleted or never written): rejects with not-found', async () => {
        const { etag } = await store.put('k', text('one'));
        await store.delete('k');
        expect(await kindOf(store.put('k', text('two'), { ifMatch: etag }))).toBe('not-found');
        expect(await kindOf(store.get('k'))).toBe('not-found');
        expect(await kindOf(store.put('never-written', text('x'), { ifMatch: etag }))).toBe('not-found');
        expect(await kindOf(store.get('never-written'))).toBe('not-found');
      });

      it('racing replaces of one etag: exactly one wins, the others reject with precondition', async () => {
        const { etag } = await store.put('volumes/v/lease.json', text('expired'));
        const { outcomes, stored, winner } = await race(store, 'volumes/v/lease.json', { ifMatch: etag });
        expect(outcomes.filter((o) => o === 'none')).toHaveLength(1);
        expect(outcomes.filter((o) => o !== 'none')).toEqual(Array(7).fill('precondition'));
        expect(stored).toBe(winner);
      });
    });

    describe('list', () => {
      it('keys under the prefix in lexicographic order, with their sizes; nothing outside it', async () => {
        // Neighbours on both sides of "v/" ('.' sorts before '/', '0' after). No object named
        // "v" itself: MinIO then lists nothing under "v/" (S3 lists both); chalkfs never stores
        // a key that is another key's directory.
        for (const key of ['v/b/2', 'v/a', 'v/b/10', 'v/b/1', 'v/c', 'w/a', 'u', 'v.x', 'v0']) await store.put(key, text(key));
        const listed = await store.list('v/');
        expect(listed.map((o) => o.key)).toEqual(['v/a', 'v/b/1', 'v/b/10', 'v/b/2', 'v/c']);
        expect(listed.map((o) => o.sizeBytes)).toEqual([3, 5, 6, 5, 3]);
      });

      it('a prefix is a string prefix, not a directory: "v/ab" lists "v/ab/x" and "v/abc"', async () => {
        for (const key of ['v/ab/x', 'v/abc', 'v/a', 'v/b']) await store.put(key, text(key));
        expect((await store.list('v/ab')).map((o) => o.key)).toEqual(['v/ab/x', 'v/abc']);
        expect((await store.list('')).map((o) => o.key)).toEqual(['v/a', 'v/ab/x', 'v/abc', 'v/b']);
      });

      it('no key under the prefix: an empty list', async () => {
        await store.put('v/a', text('a'));
        expect(await store.list('w/')).toEqual([]);
      });

      it('startAfter: only the keys after it, also when it names no key', async () => {
        const keys = [1, 2, 3, 4, 5].map((seq) => `volumes/v/versions/${String(seq).padStart(16, '0')}`);
        await putAll(store, keys);
        expect((await store.list('volumes/v/versions/', { startAfter: keys[1] })).map((o) => o.key)).toEqual(keys.slice(2));
        expect((await store.list('volumes/v/versions/', { startAfter: `${keys[1]}x` })).map((o) => o.key)).toEqual(keys.slice(2));
        expect(await store.list('volumes/v/versions/', { startAfter: keys[4] })).toEqual([]);
      });

      it('limit: the first keys in order', async () => {
        await putAll(store, ['p/e', 'p/d', 'p/c', 'p/b', 'p/a']);
        expect((await store.list('p/', { limit: 2 })).map((o) => o.key)).toEqual(['p/a', 'p/b']);
        expect((await store.list('p/', { startAfter: 'p/b', limit: 2 })).map((o) => o.key)).toEqual(['p/c', 'p/d']);
        expect((await store.list('p/', { limit: 10 })).map((o) => o.key)).toEqual(['p/a', 'p/b', 'p/c', 'p/d', 'p/e']);
      });

      it('lastModified is when the object was last put (garbage collection counts its grace from it)', async () => {
        const before = Date.now();
        await store.put('t/a', text('a'));
        const after = Date.now();
        const [listed] = await store.list('t/');
        expect(listed!.lastModified).toBeInstanceOf(Date);
        // S3 keeps whole seconds: allow one either side.
        expect(listed!.lastModified.getTime()).toBeGreaterThanOrEqual(before - 1_000);
        expect(listed!.lastModified.getTime()).toBeLessThanOrEqual(after + 1_000);
      });

      it('more keys than one page of S3 (1000): every key, in order, with startAfter and limit across the page boundary', async () => {
        const keys = Array.from({ length: 1003 }, (_, i) => `many/${String(i).padStart(4, '0')}/block`);
        await putAll(store, keys);
        await store.put('manz', text('after'));
        expect((await store.list('many/')).map((o) => o.key)).toEqual(keys);
        expect((await store.list('many/', { limit: 1001 })).map((o) => o.key)).toEqual(keys.slice(0, 1001));
        expect((await store.list('many/', { startAfter: keys[1] })).map((o) => o.key)).toEqual(keys.slice(2));
        expect((await store.list('many/', { startAfter: keys[998], limit: 3 })).map((o) => o.key)).toEqual(keys.slice(999, 1002));
        expect(await store.listPrefixes('many/')).toEqual(keys.map((k) => k.slice('many/'.length, -'block'.length)));
      });
    });

    describe('listPrefixes', () => {
      it('the distinct next path segments under the prefix, each ending in "/", in order', async () => {
        for (const key of ['volumes/b/volume.json', 'volumes/a/volume.json', 'volumes/a/versions/0000000000000001', 'volumes/c/d/e', 'volumes/loose', 'other/x/y']) {
          await store.put(key, text(key));
        }
        expect(await store.listPrefixes('volumes/')).toEqual(['a/', 'b/', 'c/']);
        expect(await store.listPrefixes('volumes/a/')).toEqual(['versions/']);
        expect(await store.listPrefixes('')).toEqual(['other/', 'volumes/']);
      });

      it('no sub-path under the prefix: an empty list', async () => {
        await store.put('volumes/loose', text('x'));
        expect(await store.listPrefixes('volumes/')).toEqual([]);
        expect(await store.listPrefixes('nothing/')).toEqual([]);
      });
    });
  });
}
