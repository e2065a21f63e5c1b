// The ObjectStore contract (test/support/object-store-contract.ts) against the stores
// unit tests build on: the in-memory store, the fault wrapper with no fault injected
// (it must pass every call through unchanged), and one root of a shared bucket (the
// prefix wrapper, with another root, a look-alike prefix and unprefixed keys beside it,
// none of which may show through). The same suite runs against MinIO in
// test/integration/s3-object-store-contract.test.ts.
import { FaultyObjectStore } from '../../chalkfs/store/faulty-object-store.js';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { PrefixedObjectStore } from '../../chalkfs/store/prefixed-object-store.js';
import { describeObjectStoreContract } from '../support/object-store-contract.js';

const noCleanup = async () => {};

describeObjectStoreContract('MemoryObjectStore', async () => ({ store: new MemoryObjectStore(), close: noCleanup }));
describeObjectStoreContract('FaultyObjectStore without faults', async () => ({ store: new FaultyObjectStore(new MemoryObjectStore()), close: noCleanup }));
describeObjectStoreContract('PrefixedObjectStore in a shared bucket', async () => {
  const bucket = new MemoryObjectStore();
  for (const key of ['volumes/v/head.json', 'volumes/v/blocks/b', 'team/b/volumes/v/head.json', 'team/ab/volumes/v/head.json', 'team/a0', 'team/a']) {
    await bucket.put(key, Buffer.from('neighbour'));
  }
  return { store: new PrefixedObjectStore(bucket, 'team/a/'), close: noCleanup };
});
