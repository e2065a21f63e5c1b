/*
 * What the peer targets (s3fs, rclone) need of the bench's MinIO: its address, credentials
 * and bucket, and a way to see that an upload has landed, since both peers upload in the
 * background after a write returns.
 */
/** What a peer target needs to know about the MinIO server it mounts. */
export interface PeerStore {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  bucket: string;
  /** Size of an object in the bucket, or undefined when it does not exist. */
  objectSize(key: string): Promise<number | undefined>;
}

/** Polls until the peer has uploaded `key` with the expected size. */
export async function awaitObject(store: PeerStore, key: string, sizeBytes: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: number | undefined;
  while (Date.now() < deadline) {
    seen = await store.objectSize(key);
    if (seen === sizeBytes) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${key} did not reach the bucket ${store.bucket} within ${timeoutMs} ms (size seen: ${seen ?? 'none'}, expected ${sizeBytes})`);
}
