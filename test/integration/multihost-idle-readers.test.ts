// An idle read-only mount costs almost nothing: it asks for the next version with one
// GET per idle interval and never LISTs; once the volume changes it follows at the
// active interval again. Counted with the daemon's own store metrics.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChalkfsFixture, type Mount } from '../support/chalkfs-fixture.js';
import { waitFor } from '../support/multihost-children.js';

/** Store requests of one operation so far, summed over results, from a mount's /metrics. */
async function storeRequests(mount: Mount, op: string): Promise<number> {
  const status = JSON.parse((await mount.host.cliOk(['status', '--json'])).stdout) as { mountpoint: string; metricsUrl: string }[];
  const record = status.find((m) => m.mountpoint === mount.dir);
  if (!record) throw new Error(`no status for ${mount.dir}`);
  const text = await (await fetch(record.metricsUrl)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('chalkfs_store_request_seconds_count{') && l.includes(`op="${op}"`))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('an idle read-only mount', () => {
  it('polls with one GET per idle interval and no LIST, and still follows the writer when the volume changes', { timeout: 120_000 }, async () => {
    await using fx = await ChalkfsFixture.create();
    const volume = 'idle';
    await fx.createVolume(volume);
    const writer = await fx.mount(volume);
    await writeFile(join(writer.dir, 'a.txt'), 'first');
    await writer.unmount();

    const readerHost = fx.addHost('reader');
    const idleMs = 300;
    // Active at 50 ms: idle after 40 active intervals (2 s), then one poll per 300 ms.
    const reader = await readerHost.mount(volume, { readOnly: true, extraArgs: ['--refresh-ms', '50', '--idle-refresh-ms', String(idleMs)] });
    expect(await readFile(join(reader.dir, 'a.txt'), 'utf8')).toBe('first');
    await sleep(3_000);

    const before = { list: await storeRequests(reader, 'list'), get: await storeRequests(reader, 'get') };
    const windowStart = Date.now();
    await sleep(3_000);
    const after = { list: await storeRequests(reader, 'list'), get: await storeRequests(reader, 'get') };
    const windowMs = Date.now() - windowStart;
    console.log(`idle reader over ${windowMs} ms: ${after.get - before.get} GETs, ${after.list - before.list} LISTs`);
    expect(after.list - before.list).toBe(0);
    // One GET per idle interval (a 404 for the next version), and a head read now and then.
    expect(after.get - before.get).toBeGreaterThan(0);
    expect(after.get - before.get).toBeLessThanOrEqual(Math.ceil(windowMs / idleMs) + 2);

    // The volume changes: the reader notices within an idle interval and follows.
    const writerAgain = await fx.mount(volume);
    await writeFile(join(writerAgain.dir, 'a.txt'), 'second');
    await waitFor('the reader to see the new content', 30_000, async () => (await readFile(join(reader.dir, 'a.txt'), 'utf8')) === 'second', 100);
    await writerAgain.unmount();
    await reader.unmount();
  });
});
