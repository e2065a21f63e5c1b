// Hostile bucket contents: block objects and version objects replaced by garbage or cut
// short. A read of damaged data fails with EIO and the daemon logs the object's name;
// it never serves wrong bytes and never dies. Credentials never reach logs or errors.
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChalkfsFixture, type CliResult } from '../support/chalkfs-fixture.js';
import { processAlive, waitFor } from '../support/multihost-children.js';
import { VolumeRepository } from '../../chalkfs/meta/volume-repository.js';
import { storeKeys } from '../../chalkfs/meta/store-keys.js';
import type { DirInode, FileInode } from '../../chalkfs/meta/format.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Reads a file through a mount in a child process (never in the test process), as hex sha256 or an errno code. */
function readInChild(path: string, range?: { offset: number; length: number }): { sha?: string; code?: string } {
  const code = `const fs=require('fs');const [p,o,l]=process.argv.slice(1);try{let b;if(o===undefined){b=fs.readFileSync(p)}else{const fd=fs.openSync(p,'r');b=Buffer.alloc(Number(l));const n=fs.readSync(fd,b,0,Number(l),Number(o));b=b.subarray(0,n);fs.closeSync(fd)}process.stdout.write(JSON.stringify({sha:require('crypto').createHash('sha256').update(b).digest('hex')}))}catch(e){process.stdout.write(JSON.stringify({code:e.code}))}`;
  const args = range ? [path, String(range.offset), String(range.length)] : [path];
  const r = spawnSync(process.execPath, ['-e', code, ...args], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(r.stdout) as { sha?: string; code?: string };
}

function writeInChild(path: string, data: Buffer): void {
  const r = spawnSync(process.execPath, ['-e', `const fs=require('fs');const fd=fs.openSync(process.argv[1],'w');fs.writeSync(fd,fs.readFileSync(0));fs.fsyncSync(fd);fs.closeSync(fd)`, path], { input: data, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`writing ${path} failed: ${r.status} ${r.error?.message ?? ''} ${r.stderr}`);
}

describe('bad and hostile input in the bucket', () => {
  it('garbage and truncated block objects give EIO and a log line naming the block; other data still reads; the daemon stays up', { timeout: 120_000 }, async () => {
    await using fx = await ChalkfsFixture.create();
    const cli: CliResult[] = [];
    await fx.createVolume('hostile-blocks', ['--block-size', '64KiB']);
    const writer = await fx.mount('hostile-blocks', { extraArgs: ['--log-level', 'debug'] });
    const a = randomBytes(256 * 1024);
    const b = randomBytes(256 * 1024);
    writeInChild(join(writer.dir, 'a.bin'), a);
    writeInChild(join(writer.dir, 'b.bin'), b);
    await writer.unmount();

    const repo = new VolumeRepository(fx.bucketStore());
    const record = await repo.readVersion('hostile-blocks', await repo.latestSeq('hostile-blocks'));
    const root = record.inodes['1'] as DirInode;
    const blocks = (record.inodes[String(root.entries['a.bin'])] as FileInode).blocks as string[];
    expect(blocks).toHaveLength(4);
    const garbageKey = storeKeys.block('hostile-blocks', blocks[1]!);
    const truncatedKey = storeKeys.block('hostile-blocks', blocks[2]!);
    await fx.bucketStore().put(garbageKey, randomBytes(64 * 1024));
    await fx.bucketStore().put(truncatedKey, a.subarray(2 * 65536, 2 * 65536 + 1000));

    // Another host with an empty cache reads it.
    const reader = await fx.addHost('host-b').mount('hostile-blocks', { readOnly: true, extraArgs: ['--log-level', 'debug'] });
    expect(readInChild(join(reader.dir, 'a.bin'))).toEqual({ code: 'EIO' });
    expect(readInChild(join(reader.dir, 'a.bin'), { offset: 65536, length: 4096 })).toEqual({ code: 'EIO' });
    expect(readInChild(join(reader.dir, 'a.bin'), { offset: 2 * 65536 + 10, length: 100 })).toEqual({ code: 'EIO' });
    // Undamaged blocks of the same file and other files read correctly.
    expect(readInChild(join(reader.dir, 'a.bin'), { offset: 0, length: 65536 })).toEqual({ sha: sha(a.subarray(0, 65536)) });
    expect(readInChild(join(reader.dir, 'a.bin'), { offset: 3 * 65536, length: 65536 })).toEqual({ sha: sha(a.subarray(3 * 65536)) });
    expect(readInChild(join(reader.dir, 'b.bin'))).toEqual({ sha: sha(b) });
    expect(processAlive(reader.pid)).toBe(true);
    const log = await reader.log();
    expect(log).toContain(blocks[1]);
    expect(log).toContain(blocks[2]);
    expect(log).not.toContain(fx.store.secretAccessKey);
    cli.push(await reader.host.cli(['status', '--json']));
    for (const r of cli) expect(r.stdout + r.stderr).not.toContain(fx.store.secretAccessKey);
    await reader.unmount();
  });

  it('a garbage or truncated version object: readers keep their version and log its key; mounts fail naming it; the daemon stays up', { timeout: 120_000 }, async () => {
    await using fx = await ChalkfsFixture.create();
    const volume = 'hostile-meta';
    await fx.createVolume(volume);
    const writer = await fx.mount(volume);
    writeInChild(join(writer.dir, 'x.txt'), Buffer.from('one\n'));
    await writer.unmount();
    const reader = await fx.addHost('host-b').mount(volume, { readOnly: true, extraArgs: ['--log-level', 'debug'] });
    expect(readInChild(join(reader.dir, 'x.txt'))).toEqual({ sha: sha(Buffer.from('one\n')) });

    const repo = new VolumeRepository(fx.bucketStore());
    const seq = await repo.latestSeq(volume);
    const good = (await fx.bucketStore().get(storeKeys.version(volume, seq))).body;
    const hostile = [
      { what: 'garbage', body: Buffer.concat([Buffer.from('chalkfs-version/1 sha256=' + '0'.repeat(64) + '\n{"seq":'), randomBytes(200)]) },
      { what: 'truncated', body: good.subarray(0, Math.floor(good.length / 2)) },
    ];
    const outputs: CliResult[] = [];
    // Each hostile object takes the place of the version after the newest: versions are
    // numbered without gaps, and a follower asks for exactly that one (docs/FORMAT.md).
    const key = storeKeys.version(volume, seq + 1);
    for (const { what, body } of hostile) {
      const logged = (await reader.log()).length;
      await fx.bucketStore().put(key, body);
      // The reader's refresh trips over it, logs the object's key and keeps serving what it had.
      await waitFor(`the reader to log ${key} (${what})`, 20_000, async () => (await reader.log()).slice(logged).includes(key), 100);
      expect(readInChild(join(reader.dir, 'x.txt')), what).toEqual({ sha: sha(Buffer.from('one\n')) });
      expect(processAlive(reader.pid), what).toBe(true);
      // New mounts, read-write or read-only, refuse with an error naming the object.
      for (const args of [[], ['--read-only']]) {
        const dir = await fx.addHost(`host-${what}-${args.length}`).tempDir('mnt');
        const host = fx.host;
        const result = await host.cli(['mount', volume, dir, ...args]);
        outputs.push(result);
        expect(result.code, `${what} ${args}: ${result.stdout}`).not.toBe(0);
        expect(result.stderr, what).toContain(key);
        expect(result.stderr, what).toMatch(/corrupt/);
      }
    }
    const logs = (await reader.log()) + (await fx.host.logs());
    expect(logs).not.toContain(fx.store.secretAccessKey);
    for (const r of outputs) expect(r.stdout + r.stderr).not.toContain(fx.store.secretAccessKey);
    await reader.unmount();
  });

  it('wrong credentials: clear errors, and no secret in CLI output or daemon logs', { timeout: 120_000 }, async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('creds');
    const wrongSecret = `wrong-${randomBytes(8).toString('hex')}`;
    const env = { AWS_SECRET_ACCESS_KEY: wrongSecret };
    const results: CliResult[] = [];
    results.push(await fx.cli(['volume', 'ls'], { env }));
    results.push(await fx.cli(['volume', 'info', 'creds'], { env }));
    results.push(await fx.cli(['mount', 'creds', await fx.tempDir('mnt')], { env }));
    for (const r of results) {
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/access denied|SignatureDoesNotMatch|InvalidAccessKeyId/i);
    }
    // A mount that works, logging at debug level, also leaks nothing.
    const ok = await fx.mount('creds', { extraArgs: ['--log-level', 'debug'] });
    writeInChild(join(ok.dir, 'f'), Buffer.from('x'));
    results.push(await fx.cli(['status', '--json']));
    await ok.unmount();
    const logs = await fx.host.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const text of [logs, ...results.map((r) => r.stdout + r.stderr)]) {
      expect(text).not.toContain(wrongSecret);
      expect(text).not.toContain(fx.store.secretAccessKey);
    }
    const env2 = await readFile(ok.logFile, 'utf8');
    expect(env2).not.toContain(fx.store.secretAccessKey);
  });
});
