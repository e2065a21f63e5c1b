// How big the FUSE requests of bulk reads and writes are: 1 MiB (max_write, and the
// max_pages libfuse derives from it, which bounds reads too), so a 1 MiB block moves in
// one request each way instead of eight (issue 16). Counted with the daemon's own
// per-operation counters; the bytes are checked too.
import { describe, expect, test } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { metricValue } from '../support/mount-metrics.js';

const MiB = 1 << 20;
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const ops = (op: string) => new RegExp(`^chalkfs_fuse_op_seconds_count\\{.*op="${op}".*\\}$`);

describe('bulk requests of 1 MiB', () => {
  test('one 4 MiB write reaches the daemon as 4 writes; a fresh mount reads it back in at most 8 reads', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('bulk');
    const writer = await fx.mount('bulk');
    const data = randomBytes(4 * MiB);
    const before = await metricValue(writer, ops('write'));
    const out = await open(join(writer.dir, 'big.bin'), 'w');
    try {
      const { bytesWritten } = await out.write(data, 0, data.length, 0);
      expect(bytesWritten).toBe(data.length);
      await out.sync();
    } finally {
      await out.close();
    }
    expect((await metricValue(writer, ops('write'))) - before).toBe(4);

    const reader = await fx.addHost('host-b').mount('bulk', { readOnly: true });
    const readsBefore = await metricValue(reader, ops('read'));
    const back = Buffer.alloc(data.length);
    const input = await open(join(reader.dir, 'big.bin'), 'r');
    try {
      let done = 0;
      while (done < back.length) {
        const { bytesRead } = await input.read(back, done, back.length - done, done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      expect(done).toBe(data.length);
    } finally {
      await input.close();
    }
    expect(sha(back)).toBe(sha(data));
    const reads = (await metricValue(reader, ops('read'))) - readsBefore;
    expect(reads).toBeGreaterThanOrEqual(4);
    expect(reads).toBeLessThanOrEqual(8);
  });
});
