import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-minio.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests mount FUSE filesystems and start servers; running files in
    // parallel on a 2-core machine only adds noise, so files run one at a time.
    fileParallelism: false,
    reporters: ['default'],
  },
});
