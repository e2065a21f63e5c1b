// An idle read-only mount costs almost nothing: it asks for the next version with one
// GET per idle interval, renews its presence, and never LISTs; once the volume changes
// it follows at the active interval again. Counted from the store's side: the reader
// host reaches MinIO through a proxy that records every request line.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { waitFor } from '../support/multihost-children.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A LIST is a GET of the bucket itself (path-style), with the listing in the query. */
const isList = (line: string) => /^GET \/[^/?\s]+\/?(\?\S*)? HTTP/.test(line);

describe('an idle read-only mount', () => {
  it('makes one request per idle interval plus its presence renewals, no LIST, and still follows the writer when the volume changes', { timeout: 120_000 }, async () => {
    const proxy = await FaultProxy.start(inject('minio').endpoint);
    await using fx = await ChalkfsFixture.create();
    fx.defer(() => proxy.close());
    const volume = 'idle';
    await fx.createVolume(volume);
    const writer = await fx.mount(volume);
    await writeFile(join(writer.dir, 'a.txt'), 'first');
    await writer.unmount();

    const readerHost = fx.addHost('reader');
    const idleMs = 300;
    const presenceMs = 1000;
    // Active at 50 ms: idle after 40 active intervals (2 s), then one poll per 300 ms.
    const reader = await readerHost.mount(volume, {
      readOnly: true,
      extraArgs: ['--refresh-ms', '50', '--idle-refresh-ms', String(idleMs)],
      env: { CHALKFS_S3_ENDPOINT: proxy.endpoint, CHALKFS_PRESENCE_INTERVAL_MS: String(presenceMs) },
    });
    expect(await readFile(join(reader.dir, 'a.txt'), 'utf8')).toBe('first');
    await sleep(3_000);

    const from = proxy.requests.length;
    const windowStart = Date.now();
    await sleep(4_000);
    const seen = proxy.requests.slice(from);
    const windowMs = Date.now() - windowStart;
    console.log(`idle reader over ${windowMs} ms, at the store: ${seen.length} requests\n${seen.join('\n')}`);
    expect(seen.filter(isList)).toEqual([]);
    // One GET per idle poll (a 404 for the next version, or the head hint in its place),
    // and per presence interval a PUT of the presence object and a GET of volume.json.
    const polls = seen.filter((l) => /\/versions\/|\/head\.json/.test(l));
    const presence = seen.filter((l) => /\/presence\/|\/volume\.json/.test(l));
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.length).toBeLessThanOrEqual(Math.ceil(windowMs / idleMs) + 1);
    expect(presence.length).toBeGreaterThan(0);
    expect(presence.length).toBeLessThanOrEqual(2 * (Math.ceil(windowMs / presenceMs) + 1));
    expect(seen.length).toBe(polls.length + presence.length);

    // The volume changes: the reader notices within an idle interval and follows.
    const writerAgain = await fx.mount(volume);
    await writeFile(join(writerAgain.dir, 'a.txt'), 'second');
    await waitFor('the reader to see the new content', 30_000, async () => (await readFile(join(reader.dir, 'a.txt'), 'utf8')) === 'second', 100);
    await writerAgain.unmount();
    await reader.unmount();
  });
});
