// The delta log contract (test/support/delta-log-contract.ts) against S3ObjectStore on the
// run's MinIO, a fresh bucket per test: what the in-memory store passes in
// test/unit/delta-log-contract.test.ts, on a real S3 API (conditional PUTs, listings).
import { inject } from 'vitest';
import { S3ObjectStore, defaultS3Timeouts } from '../../chalkfs/store/s3-object-store.js';
import { uniqueBucket } from '../support/chalkfs-fixture.js';
import { describeDeltaLogContract } from '../support/delta-log-contract.js';

describeDeltaLogContract('S3ObjectStore on MinIO', async () => {
  const minio = inject('minio');
  const store = new S3ObjectStore({ ...minio, region: 'us-east-1', bucket: uniqueBucket('deltalog'), ...defaultS3Timeouts });
  await store.ensureBucket();
  return { store, close: async () => store.destroy() };
});
