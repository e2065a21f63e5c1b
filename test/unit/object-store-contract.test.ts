// The ObjectStore contract (test/support/object-store-contract.ts) against the stores
// unit tests build on: the in-memory store, and the fault wrapper with no fault injected
// (it must pass every call through unchanged). The same suite runs against MinIO in
// test/integration/s3-object-store-contract.test.ts.
import { FaultyObjectStore } from '../../chalkfs/store/faulty-object-store.js';
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { describeObjectStoreContract } from '../support/object-store-contract.js';

const noCleanup = async () => {};

describeObjectStoreContract('MemoryObjectStore', async () => ({ store: new MemoryObjectStore(), close: noCleanup }));
describeObjectStoreContract('FaultyObjectStore without faults', async () => ({ store: new FaultyObjectStore(new MemoryObjectStore()), close: noCleanup }));
