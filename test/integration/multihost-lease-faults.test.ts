// The writer lease under store faults, with real daemons: the writer's daemon reaches
// MinIO through the fault proxy (test/support/fault-proxy.ts), other hosts directly.
// A lost answer to a renewal, a store stall longer than the lease, a writer fenced after
// the stall, and two hosts that share a hostname.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ChalkfsFixture, type ChalkfsHost, type Mount } from '../support/chalkfs-fixture.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { processAlive, waitFor } from '../support/multihost-children.js';
import { WriterLease } from '../../chalkfs/lease/writer-lease.js';
import { encodeMeta } from '../../chalkfs/meta/format.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';

/** Runs a small script in a child process (never in the test process, which runs the proxy); errno code or result. */
function inChild(script: string, args: string[]): Promise<{ ok?: string; code?: string }> {
  const wrapped = `const fs=require('fs');const a=process.argv.slice(1);try{const r=(()=>{${script}})();process.stdout.write(JSON.stringify({ok:r??''}))}catch(e){process.stdout.write(JSON.stringify({code:e.code??String(e)}))}`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', wrapped, ...args], { timeout: 60_000 }, (err, stdout) => {
      if (err && !stdout) reject(new Error(`child failed: ${err.message}`));
      else resolve(JSON.parse(stdout) as { ok?: string; code?: string });
    });
  });
}

/** Creates or replaces a file, fsyncs it (a commit), closes it. */
const writeSynced = (path: string, text: string) => inChild(`const fd=fs.openSync(a[0],'w');fs.writeSync(fd,a[1]);fs.fsyncSync(fd);fs.closeSync(fd)`, [path, text]);
const readText = (path: string) => inChild(`return fs.readFileSync(a[0],'utf8')`, [path]);

interface LiveStatus {
  mountpoint: string;
  leaseHeld?: boolean;
  fenced?: string;
  error?: string;
}

async function liveStatus(mount: Mount): Promise<LiveStatus> {
  const all = JSON.parse((await mount.host.cliOk(['status', '--json'])).stdout) as LiveStatus[];
  const mine = all.find((s) => s.mountpoint === mount.dir);
  if (!mine) throw new Error(`no status for ${mount.dir}`);
  return mine;
}

/** A fixture whose hosts reach the store through a fault proxy; `direct` env reaches MinIO itself. */
async function proxiedFixture(): Promise<{ fx: ChalkfsFixture; proxy: FaultProxy; direct: Record<string, string> }> {
  const minio = inject('minio');
  const proxy = await FaultProxy.start(minio.endpoint);
  const fx = await ChalkfsFixture.create({ store: { ...minio, endpoint: proxy.endpoint } });
  fx.defer(() => proxy.close());
  return { fx, proxy, direct: { CHALKFS_S3_ENDPOINT: minio.endpoint } };
}

const leasePut = /^PUT \S+\/lease\.json/;
const leasePuts = (proxy: FaultProxy) => proxy.requests.filter((r) => leasePut.test(r)).length;

async function mountWhenFree(host: ChalkfsHost, volume: string, env: Record<string, string>, timeoutMs: number): Promise<Mount> {
  return waitFor(`a read-write mount of ${volume} on ${host.name}`, timeoutMs, async () => host.mount(volume, { env }).catch(() => undefined), 250);
}

describe('writer lease under store faults', () => {
  it('a lost answer to a renewal (the PUT landed, the retry got 412) leaves the writer writing', { timeout: 120_000 }, async () => {
    const { fx, proxy } = await proxiedFixture();
    await using _fx = fx;
    await fx.createVolume('lost-renewal');
    const writer = await fx.mount('lost-renewal', { extraArgs: ['--lease-ttl-ms', '3000'] });
    expect(await writeSynced(join(writer.dir, 'before.txt'), 'before')).toEqual({ ok: '' });

    // The next renewal reaches MinIO, then its connection is reset before the answer.
    proxy.addRule({ match: leasePut, action: { kind: 'reset-after-response' }, times: 1 });
    await waitFor('the renewal whose answer is lost', 15_000, () => proxy.rulesUsed(), 50);
    const after = leasePuts(proxy);
    // Two more renewal periods (1 s each) for the lease loop to act on it, either way.
    await waitFor('two more renewals, or the lease being given up', 15_000, async () => leasePuts(proxy) >= after + 2 || (await liveStatus(writer)).leaseHeld === false, 200);

    const status = await liveStatus(writer);
    expect(status.fenced, JSON.stringify(status)).toBeUndefined();
    expect(status.leaseHeld).toBe(true);
    expect(await writeSynced(join(writer.dir, 'after.txt'), 'after')).toEqual({ ok: '' });
    const lease = await WriterLease.read(fx.bucketStore(), 'lost-renewal');
    expect(lease?.record.holder.pid).toBe(writer.pid);
    await writer.unmount();
  });

  it('a store stall longer than the lease and than any store call: writes refused meanwhile, then the same mount writes again without a remount', { timeout: 180_000 }, async () => {
    const { fx, proxy, direct } = await proxiedFixture();
    await using _fx = fx;
    await fx.createVolume('stall');
    const writer = await fx.mount('stall'); // the default lease: 10 s
    expect(await writeSynced(join(writer.dir, 'before.txt'), 'before')).toEqual({ ok: '' });

    proxy.stall();
    const stalledAt = Date.now();
    await waitFor('the lease to be no longer safely held', 30_000, async () => (await liveStatus(writer)).leaseHeld === false, 200);
    const refusedAt = Date.now();
    // Never a write without the lease: refused at once (no hang).
    const refused = await writeSynced(join(writer.dir, 'during.txt'), 'during');
    expect(refused.code, JSON.stringify(refused)).toMatch(/^(EIO|EROFS)$/);
    // Stalled on until every renewal sent during the stall has given up (the store
    // client's own timeouts, 8 s) and the lease has expired by anyone's clock: what the
    // writer does next is what it decides when the store answers again, not a late answer.
    await new Promise((r) => setTimeout(r, 10_000));

    proxy.resume();
    const resumedAt = Date.now();
    await waitFor('the lease to be held again', 30_000, async () => (await liveStatus(writer)).leaseHeld === true, 200);
    const heldAt = Date.now();
    const written = await writeSynced(join(writer.dir, 'after.txt'), 'after');
    const writtenAt = Date.now();
    console.log(`stall ${resumedAt - stalledAt} ms: writes refused from ${refusedAt - stalledAt} ms into it until ${heldAt - stalledAt} ms (${heldAt - refusedAt} ms); lease held again ${heldAt - resumedAt} ms after the store came back; first committed write after ${writtenAt - resumedAt} ms`);
    expect(written).toEqual({ ok: '' });
    expect((await liveStatus(writer)).fenced).toBeUndefined();

    // The write is in the store: another host reads it.
    const reader = await fx.addHost('reader').mount('stall', { readOnly: true, env: direct });
    expect(await readText(join(reader.dir, 'after.txt'))).toEqual({ ok: 'after' });
    expect(await readText(join(reader.dir, 'during.txt'))).toEqual({ code: 'ENOENT' });
    await reader.unmount();
    await writer.unmount();
  });

  it('a writer fenced after a stall (another mount wrote meanwhile) stops renewing and gives the lease up: a third mount takes it at once', { timeout: 180_000 }, async () => {
    const { fx, proxy, direct } = await proxiedFixture();
    await using _fx = fx;
    await fx.createVolume('fenced');
    const a = await fx.mount('fenced', { extraArgs: ['--lease-ttl-ms', '3000'] });
    expect(await writeSynced(join(a.dir, 'a.txt'), 'a')).toEqual({ ok: '' });

    // A's store stalls past its lease; host B takes the lease over, commits, unmounts.
    proxy.stall();
    await waitFor('A to stop holding the lease', 30_000, async () => (await liveStatus(a)).leaseHeld === false, 200);
    const hostB = fx.addHost('host-b');
    const b = await mountWhenFree(hostB, 'fenced', direct, 30_000);
    expect(await writeSynced(join(b.dir, 'b.txt'), 'b')).toEqual({ ok: '' });
    await b.unmount();

    // The store is back for A: its lease was released by B, so A takes it again, but
    // its next commit finds B's version and A is fenced for good.
    proxy.resume();
    await waitFor('A to hold the lease again', 30_000, async () => (await liveStatus(a)).leaseHeld === true, 200);
    const afterFence = await writeSynced(join(a.dir, 'a2.txt'), 'a2');
    expect(afterFence.code).toBe('EROFS');
    const status = await liveStatus(a);
    expect(status.fenced).toMatch(/written by/);
    expect(status.leaseHeld).toBe(false);

    // A third host takes the lease while A is still mounted, without waiting for a TTL
    // (a fenced A that kept renewing would refuse it forever).
    const putsBefore = leasePuts(proxy);
    const c = await mountWhenFree(fx.addHost('host-c'), 'fenced', direct, 15_000);
    expect(await readText(join(c.dir, 'b.txt'))).toEqual({ ok: 'b' });
    await new Promise((r) => setTimeout(r, 2_500)); // more than two of A's renewal periods
    expect(leasePuts(proxy)).toBe(putsBefore);
    await c.unmount();

    // A's unmount says what it drops.
    await a.unmount();
    expect(await a.log()).toMatch(/uncommitted changes that cannot be committed/);
  });
});

describe('hosts that share a hostname', () => {
  it('a host with the same hostname but another identity never takes a live lease by the "holder process is gone" shortcut', { timeout: 120_000 }, async () => {
    await using fx = await ChalkfsFixture.create();
    const hostA = fx.addHost('twin-a', { hostId: 'machine-a' });
    const hostB = fx.addHost('twin-b', { hostId: 'machine-b' });
    await hostA.createVolume('twins');
    const a = await hostA.mount('twins', { extraArgs: ['--lease-ttl-ms', '60000'] });

    // As host A sees itself from its own pid namespace (a container, a cloned VM): its
    // lease names a pid that is no process in this one. Written with If-Match: A adopts it.
    const store = fx.bucketStore();
    const current = (await WriterLease.read(store, 'twins'))!;
    expect(current.record.holder.pid).toBe(a.pid);
    let foreignPid = 4_194_000;
    while (processAlive(foreignPid)) foreignPid--;
    const seenFromA = { ...current.record, holder: { ...current.record.holder, pid: foreignPid } };
    await store.put(storeKeys.lease('twins'), encodeMeta('chalkfs-lease/1', seenFromA), { ifMatch: current.etag });

    const started = Date.now();
    const attempt = await hostB.cli(['mount', 'twins', await hostB.tempDir('mnt'), '--cache-dir', await hostB.tempDir('cache')]);
    if (attempt.code === 0) {
      // Before the fix: B took the live lease in about a second. Clean it up, then fail.
      const dir = /at (\S+) \(/.exec(attempt.stdout)?.[1];
      if (dir) await hostB.cli(['unmount', dir]);
      expect.fail(`host B took host A's live lease after ${Date.now() - started} ms: ${attempt.stdout}`);
    }
    expect(attempt.stderr).toMatch(/mounted read-write by host/);
    // A is still the writer, and writes; its lease says which pid space its pid is in.
    expect((await WriterLease.read(store, 'twins'))!.record.holder).toMatchObject({ mountId: current.record.holder.mountId, hostId: 'machine-a' });
    expect(await writeSynced(join(a.dir, 'still-mine.txt'), 'a')).toEqual({ ok: '' });
    expect((await liveStatus(a)).fenced).toBeUndefined();
    await a.unmount();
  });
});
