// The ObjectStore contract (test/support/object-store-contract.ts) against S3ObjectStore
// on the run's MinIO, a fresh bucket per test: the reference the in-memory store used by
// unit tests (test/unit/object-store-contract.test.ts) must match; and one chalkfs root
// under a prefix of a bucket shared with another root (CHALKFS_BUCKET=bucket/prefix).
import { inject } from 'vitest';
import { S3ObjectStore, defaultS3Timeouts } from '../../chalkfs/store/s3-object-store.js';
import { PrefixedObjectStore } from '../../chalkfs/store/prefixed-object-store.js';
import { uniqueBucket } from '../support/chalkfs-fixture.js';
import { describeObjectStoreContract } from '../support/object-store-contract.js';

describeObjectStoreContract('S3ObjectStore on MinIO', async () => {
  const minio = inject('minio');
  const store = new S3ObjectStore({ ...minio, region: 'us-east-1', bucket: uniqueBucket('contract'), ...defaultS3Timeouts });
  await store.ensureBucket();
  return { store, close: async () => store.destroy() };
});

describeObjectStoreContract('PrefixedObjectStore on MinIO, beside another root', async () => {
  const minio = inject('minio');
  const bucket = new S3ObjectStore({ ...minio, region: 'us-east-1', bucket: uniqueBucket('contract'), ...defaultS3Timeouts });
  await bucket.ensureBucket();
  for (const key of ['volumes/v/head.json', 'team/b/volumes/v/head.json', 'team/ab/volumes/v/head.json', 'team/a0']) await bucket.put(key, Buffer.from('neighbour'));
  return { store: new PrefixedObjectStore(bucket, 'team/a/'), close: async () => bucket.destroy() };
});
