// The host around chalkfs misbehaving or being hostile: other filesystems where chalkfs
// looks, mounts taken away from outside, a full disk under CHALKFS_HOME, shell
// metacharacters in paths, racing first commands, and bad input. Everything through the
// real CLI, real FUSE mounts and a real MinIO.
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { ChalkfsFixture, isMountpoint, type CliResult } from '../support/chalkfs-fixture.js';
import { processAlive, waitFor } from '../support/multihost-children.js';
import { pidsWithArgv } from '../support/process-scan.js';

const execFileAsync = promisify(execFile);

function expectOneLineError(r: CliResult, pattern: RegExp): void {
  expect(r.code, r.stdout + r.stderr).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^chalkfs: /);
  expect(lines[0]).toMatch(pattern);
}

/** Mounts a tmpfs at `dir` (the tests run as root); returns its unmount. */
async function mountTmpfs(dir: string, options = 'size=1m'): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  await execFileAsync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  return async () => {
    if (isMountpoint(dir)) await execFileAsync('umount', ['-l', dir]);
  };
}

/** Reads a file through a mount in a child process (the test process never touches a mount itself). */
function readInChild(path: string): string {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("fs").readFileSync(process.argv[1]))', path], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`reading ${path} failed: ${r.status} ${r.stderr}`);
  return r.stdout;
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function shaInChild(path: string): string {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("crypto").createHash("sha256").update(require("fs").readFileSync(process.argv[1])).digest("hex"))', path], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`reading ${path} failed: ${r.status} ${r.stderr}`);
  return r.stdout;
}

function writeInChild(path: string, data: string | Buffer): void {
  const r = spawnSync(process.execPath, ['-e', `const fs=require('fs');const fd=fs.openSync(process.argv[1],'w');fs.writeSync(fd,fs.readFileSync(0));fs.fsyncSync(fd);fs.closeSync(fd)`, path], { input: data, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`writing ${path} failed: ${r.status} ${r.error?.message ?? ''} ${r.stderr}`);
}

describe('only chalkfs mounts are chalkfs business', () => {
  test('chalkfs unmount refuses a tmpfs: non-zero exit, one line, its file is still there', async () => {
    await using fx = await ChalkfsFixture.create();
    const dir = await fx.tempDir('tmpfs');
    const unmountTmpfs = await mountTmpfs(dir);
    try {
      await writeFile(join(dir, 'keep.txt'), 'not chalkfs');
      const r = await fx.cli(['unmount', dir]);
      expectOneLineError(r, /not a chalkfs/);
      expect(isMountpoint(dir)).toBe(true);
      expect(await readFile(join(dir, 'keep.txt'), 'utf8')).toBe('not chalkfs');
    } finally {
      await unmountTmpfs();
    }
  });
});

describe('a mount taken away from outside', () => {
  test('fusermount3 -u on a writer: the daemon commits, releases the lease, drops its record and exits', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('outside');
    const writer = await fx.mount('outside');
    writeInChild(join(writer.dir, 'a.txt'), 'written before the outside unmount');
    await execFileAsync('fusermount3', ['-u', writer.dir]);

    await waitFor('the daemon to exit after fusermount3 -u', 60_000, () => !processAlive(writer.pid), 100);
    const status = JSON.parse((await fx.cliOk(['status', '--json'])).stdout) as { mountpoint: string }[];
    expect(status.map((s) => s.mountpoint)).not.toContain(writer.dir);

    // The lease is free at once: another host mounts read-write without waiting it out.
    const other = await fx.addHost('host-b').mount('outside');
    expect(readInChild(join(other.dir, 'a.txt'))).toBe('written before the outside unmount');
    await other.unmount();
  });
});

describe('shell metacharacters in paths', () => {
  test('a mount point named with $(...) and backticks mounts and unmounts; nothing in its name runs', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('shelly');
    const marker = `/tmp/pwned-${randomBytes(6).toString('hex')}`;
    const markerBt = `${marker}-bt`;
    try {
      const dir = join(fx.root, 'mnt $(touch $CHALKFS_PWNED) `touch $CHALKFS_PWNED_BT`');
      await mkdir(dir);
      const env = { CHALKFS_PWNED: marker, CHALKFS_PWNED_BT: markerBt };
      const m = await fx.mount('shelly', { dir, env });
      writeInChild(join(m.dir, 'f.txt'), 'hello');
      await m.unmount(); // throws unless `chalkfs unmount` exits 0 and the mount is gone
      await waitFor('the daemon to exit', 30_000, () => !processAlive(m.pid), 100);
      expect(existsSync(marker)).toBe(false);
      expect(existsSync(markerBt)).toBe(false);
    } finally {
      rmSync(marker, { force: true });
      rmSync(markerBt, { force: true });
    }
  });
});

/** Pids of MinIO servers serving `dataDir`. */
function minioPidsFor(dataDir: string): number[] {
  return pidsWithArgv((argv) => argv.includes('server') && argv.includes(dataDir));
}

describe('the embedded MinIO', () => {
  test('three first `chalkfs minio start` at once on a fresh CHALKFS_HOME: all succeed, one MinIO serves the data directory', async () => {
    await using fx = await ChalkfsFixture.create();
    const env = { CHALKFS_S3_ENDPOINT: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };
    const dataDir = join(fx.host.home, 'minio', 'data');
    try {
      const results = await Promise.all([1, 2, 3].map(() => fx.cli(['minio', 'start'], { env, timeoutMs: 90_000 })));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const endpoints = new Set(results.map((r) => /running at (\S+)/.exec(r.stdout)?.[1]));
      expect(endpoints.size).toBe(1);
      expect(minioPidsFor(dataDir)).toHaveLength(1);
      const status = await fx.cliOk(['minio', 'status'], { env });
      expect(status.stdout).toMatch(/minio running at/);
    } finally {
      await fx.cli(['minio', 'stop'], { env });
      for (const pid of minioPidsFor(dataDir)) process.kill(pid, 'SIGKILL');
    }
  });

  test('a damaged state.json reads as "not running"; start then starts one (--json: its endpoint and pid), stop --json says whether it ran', async () => {
    await using fx = await ChalkfsFixture.create();
    const env = { CHALKFS_S3_ENDPOINT: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };
    const dataDir = join(fx.host.home, 'minio', 'data');
    try {
      await mkdir(join(fx.host.home, 'minio'), { recursive: true });
      await writeFile(join(fx.host.home, 'minio', 'state.json'), '{"pid": 12');
      const status = await fx.cli(['minio', 'status'], { env });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/minio not running/);
      const started = JSON.parse((await fx.cliOk(['minio', 'start', '--json'], { env, timeoutMs: 90_000 })).stdout);
      expect(minioPidsFor(dataDir)).toEqual([started.pid]);
      expect(started).toMatchObject({ running: true, endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
      expect(JSON.parse((await fx.cliOk(['minio', 'stop', '--json'], { env })).stdout)).toEqual({ wasRunning: true });
      expect(JSON.parse((await fx.cliOk(['minio', 'stop', '--json'], { env })).stdout)).toEqual({ wasRunning: false });
    } finally {
      await fx.cli(['minio', 'stop'], { env });
      for (const pid of minioPidsFor(dataDir)) process.kill(pid, 'SIGKILL');
    }
  });
});

/** Appends to `path` until the filesystem is full (ENOSPC); returns the bytes written. */
async function fillDisk(path: string): Promise<number> {
  const { appendFile } = await import('node:fs/promises');
  let written = 0;
  // Big appends, then smaller ones: the last free page goes too.
  for (const size of [16 * 1024, 1024, 1]) {
    const chunk = Buffer.alloc(size, 7);
    for (;;) {
      try {
        await appendFile(path, chunk);
        written += chunk.length;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw err;
      }
    }
  }
  return written;
}

describe('a full disk under CHALKFS_HOME', () => {
  test('logs and disk cache on a full 2 MiB tmpfs: the writer keeps serving reads and committing writes; chalkfs unmount succeeds', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('fullhome', ['--block-size', '64KiB']);
    const home = fx.host.home;
    const unmountTmpfs = await mountTmpfs(home, 'size=2m');
    try {
      // A small memory cache, so reads after the disk filled go to the store and the disk tier.
      const writer = await fx.mount('fullhome', { cacheDir: join(home, 'cache'), extraArgs: ['--log-level', 'debug', '--memory-cache-size', '128KiB'] });
      writeInChild(join(writer.dir, 'before.txt'), 'written before the disk filled');
      const seed = randomBytes(512 * 1024);
      writeInChild(join(writer.dir, 'seed.bin'), seed);
      expect(shaInChild(join(writer.dir, 'seed.bin'))).toBe(sha(seed));
      await fillDisk(join(home, 'filler'));
      await fillDisk(writer.logFile); // the slack in the log file's last page too

      // Reads, writes and commits go on; log lines and cache blocks have nowhere to go.
      const data = randomBytes(512 * 1024);
      for (let i = 0; i < 4; i++) writeInChild(join(writer.dir, `after-${i}.bin`), data);
      for (let i = 0; i < 4; i++) expect(shaInChild(join(writer.dir, `after-${i}.bin`))).toBe(sha(data));
      expect(shaInChild(join(writer.dir, 'seed.bin'))).toBe(sha(seed));
      expect(readInChild(join(writer.dir, 'before.txt'))).toBe('written before the disk filled');
      expect(processAlive(writer.pid)).toBe(true);
      const status = JSON.parse((await fx.cliOk(['status', '--json'])).stdout) as { mountpoint: string; logs?: { writeErrors: number } }[];
      const mine = status.find((s) => s.mountpoint === writer.dir);
      expect(mine?.logs?.writeErrors, JSON.stringify(mine)).toBeGreaterThan(0);
      await writer.unmount();

      // Everything was committed: another host sees it.
      const reader = await fx.addHost('host-b').mount('fullhome', { readOnly: true });
      expect(readInChild(join(reader.dir, 'before.txt'))).toBe('written before the disk filled');
      expect(shaInChild(join(reader.dir, 'after-3.bin'))).toBe(sha(data));
      expect(shaInChild(join(reader.dir, 'seed.bin'))).toBe(sha(seed));
      await reader.unmount();
    } finally {
      await unmountTmpfs();
    }
  });
});

describe('bad input: one line, the right exit status, nothing made', () => {
  test('--lease-ttl-ms 1 (and other out-of-range intervals) are refused before anything starts', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('ranges');
    for (const args of [['--lease-ttl-ms', '1'], ['--lease-ttl-ms', '99999999999'], ['--commit-ms', '0'], ['--refresh-ms', '1.5']]) {
      const dir = await fx.tempDir('mnt');
      const r = await fx.cli(['mount', 'ranges', dir, ...args]);
      if (isMountpoint(dir)) await fx.cli(['unmount', dir]); // accepted after all: take it down before failing
      expectOneLineError(r, new RegExp(args[0]!));
      expect(r.code).toBe(2);
      expect(isMountpoint(dir)).toBe(false);
    }
  });

  test('a mistyped CHALKFS_BUCKET: commands other than volume create fail naming the bucket and do not create it', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('real');
    const typo = `${fx.bucket}-typo`;
    const env = { CHALKFS_BUCKET: typo };
    for (const args of [['volume', 'ls'], ['volume', 'info', 'real'], ['mount', 'real', await fx.tempDir('mnt')]]) {
      const r = await fx.cli(args, { env });
      expectOneLineError(r, new RegExp(`bucket "?${typo}"? does not exist.*volume create`));
      expect(r.code).toBe(2);
    }
    const typoStore = new (await import('../../chalkfs/store/s3-object-store.js')).S3ObjectStore({ ...fx.store, region: 'us-east-1', bucket: typo, ...(await import('../../chalkfs/store/s3-object-store.js')).defaultS3Timeouts });
    try {
      expect(await typoStore.bucketExists()).toBe(false);
      // volume create is the command that makes a bucket, and it says so.
      const created = await fx.cliOk(['volume', 'create', 'fresh'], { env });
      expect(created.stdout).toMatch(new RegExp(`created bucket ${typo}`));
      expect(await typoStore.bucketExists()).toBe(true);
      await fx.cliOk(['volume', 'rm', 'fresh'], { env });
    } finally {
      typoStore.destroy();
    }
  });

  test('a read-only CHALKFS_HOME is named as such', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('rohome');
    const ro = await fx.tempDir('ro');
    const unmountTmpfs = await mountTmpfs(ro, 'ro,size=1m');
    try {
      for (const home of [ro, join(ro, 'home')]) {
        const dir = await fx.tempDir('mnt');
        const r = await fx.cli(['mount', 'rohome', dir], { env: { CHALKFS_HOME: home } });
        expectOneLineError(r, /read-only|not writable/);
        expect(r.stderr).not.toMatch(/ENOENT/);
        expect(r.code).toBe(2);
        expect(isMountpoint(dir)).toBe(false);
      }
    } finally {
      await unmountTmpfs();
    }
  });

  test('exit status: 1 for a store failure from every command, 2 for usage errors; --help says so', async () => {
    await using fx = await ChalkfsFixture.create();
    const { freeLoopbackPort } = await import('../../chalkfs/minio/minio-server.js');
    const env = { CHALKFS_S3_ENDPOINT: `http://127.0.0.1:${await freeLoopbackPort()}`, CHALKFS_STORE_MAX_ATTEMPTS: '1', CHALKFS_STORE_TIMEOUT_MS: '3000' };
    const ls = await fx.cli(['volume', 'ls'], { env });
    expectOneLineError(ls, /ECONNREFUSED/);
    expect(ls.code).toBe(1);
    const dir = await fx.tempDir('mnt');
    const mount = await fx.cli(['mount', 'any', dir], { env });
    expectOneLineError(mount, /ECONNREFUSED/);
    expect(mount.code).toBe(1);

    const usage = await fx.cli(['volume', 'ls', '--no-such-option']);
    expect(usage.code).toBe(2);
    expect((await fx.cli(['volume', 'create', 'Bad Name'])).code).toBe(2);
    const help = await fx.cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/exit status.*1.*2/is);
  });

  test('mount --log-level verbose is refused up front, listing the levels', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('levels');
    const dir = await fx.tempDir('mnt');
    const r = await fx.cli(['mount', 'levels', dir, '--log-level', 'verbose']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--log-level.*verbose.*trace, debug, info, warn, error/);
    expect(isMountpoint(dir)).toBe(false);
    expect(await fx.host.logs()).toBe('');
  });
});
