import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic against in-memory stores; needs no MinIO, no FUSE, no
// Docker) and `integration` (real MinIO started once by the global setup, real FUSE
// mounts, real Docker). `npx vitest run --project unit` runs the first alone.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests mount FUSE filesystems and start servers; running files in
    // parallel on a 2-core machine only adds noise, so files run one at a time.
    fileParallelism: false,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: ['test/support/global-minio.ts'] },
      },
    ],
  },
});
