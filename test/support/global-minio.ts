/*
 * One MinIO server for the whole test run, on a random loopback port with a temporary
 * data directory: the global setup of the `integration` project only (vitest.config.ts),
 * so unit tests run without a MinIO binary. Tests isolate themselves with a bucket each
 * (uniqueBucket in chalkfs-fixture.ts); tests that stop the store start a private server
 * of their own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startMinio } from '../../chalkfs/minio/minio-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    minio: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chalkfs-test-minio-'));
  const credentials = { accessKeyId: 'chalkfs-test', secretAccessKey: 'chalkfs-test-secret-key' };
  const server = await startMinio({ dataDir, credentials, logFile: join(dataDir, '..', `${dataDir.split('/').pop()}.log`) });
  project.provide('minio', { endpoint: server.endpoint, ...credentials });
  return async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
