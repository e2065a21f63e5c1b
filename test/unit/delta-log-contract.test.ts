// The delta log contract (test/support/delta-log-contract.ts) on the in-memory store; the
// same suite runs against MinIO in test/integration/delta-log-contract.test.ts.
import { MemoryObjectStore } from '../../chalkfs/store/memory-object-store.js';
import { describeDeltaLogContract } from '../support/delta-log-contract.js';

describeDeltaLogContract('MemoryObjectStore', async () => ({ store: new MemoryObjectStore(), close: async () => {} }));
