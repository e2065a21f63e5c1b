// Failures a user meets, through real mounts: the store going away under a mount (cached
// data still served, EIO rather than a hang, nothing acknowledged lost), and bad input to
// the CLI (one-line errors, nothing created or lost).
import { describe, expect, test } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3ObjectStore, defaultS3Timeouts } from '../../chalkfs/store/s3-object-store.js';
import { freeLoopbackPort, startMinio, type RunningMinio } from '../../chalkfs/minio/minio-server.js';
import { ChalkfsFixture, isMountpoint, type CliResult } from '../support/chalkfs-fixture.js';
import { readToEnd } from '../support/file-io.js';
import { waitFor } from '../support/multihost-children.js';

const KiB = 1024;
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * A MinIO of the test's own, for tests that stop the store (the shared one must keep
 * running): restarted on the same port and data, removed at the end.
 */
class PrivateMinio {
  private static readonly credentials = { accessKeyId: 'chalkfs-private', secretAccessKey: 'chalkfs-private-secret' };

  private constructor(
    private server: RunningMinio | undefined,
    private readonly dataDir: string,
    private readonly port: number,
    private readonly endpoint: string,
  ) {}

  static async start(): Promise<PrivateMinio> {
    const dataDir = await mkdtemp(join(tmpdir(), 'chalkfs-private-minio-'));
    const server = await startMinio({ dataDir, credentials: PrivateMinio.credentials });
    return new PrivateMinio(server, dataDir, server.port, server.endpoint);
  }

  get store() {
    return { endpoint: this.endpoint, ...PrivateMinio.credentials };
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  async restart(): Promise<void> {
    this.server = await startMinio({ dataDir: this.dataDir, credentials: PrivateMinio.credentials, port: this.port });
    expect(this.server.port).toBe(this.port);
  }

  /** Registered with the fixture first, so it runs after the mounts are gone (cleanup runs in reverse). */
  async remove(): Promise<void> {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}


describe('store unreachable', () => {
  test('MinIO stopped: cached data is still served, an uncached read fails with EIO; after MinIO returns the mount works again', async () => {
    const minio = await PrivateMinio.start();
    await using fx = await ChalkfsFixture.create({ store: minio.store });
    fx.defer(() => minio.remove());

    await fx.createVolume('offline', ['--block-size', '64KiB']);
    const cached = randomBytes(300 * KiB);
    const uncached = randomBytes(200 * KiB);
    const writer = await fx.mount('offline');
    await writeFile(join(writer.dir, 'cached.bin'), cached);
    await writeFile(join(writer.dir, 'uncached.bin'), uncached);
    await writer.unmount();

    const env = { CHALKFS_STORE_TIMEOUT_MS: '2000', CHALKFS_STORE_ATTEMPT_TIMEOUT_MS: '1000', CHALKFS_STORE_MAX_ATTEMPTS: '2' };
    const m = await fx.mount('offline', { readOnly: true, env });
    expect(sha(await readToEnd(join(m.dir, 'cached.bin')))).toBe(sha(cached));

    await minio.stop();
    // Served from the daemon's caches (or the kernel's page cache): no store needed.
    for (let i = 0; i < 3; i++) expect(sha(await readToEnd(join(m.dir, 'cached.bin')))).toBe(sha(cached));
    const fh = await open(join(m.dir, 'cached.bin'), 'r');
    const part = Buffer.alloc(1000);
    await fh.read(part, 0, 1000, 100 * KiB);
    await fh.close();
    expect(part.equals(cached.subarray(100 * KiB, 100 * KiB + 1000))).toBe(true);
    // Never fetched: fails, with EIO, and does not hang (the op returns at all).
    await expect(readToEnd(join(m.dir, 'uncached.bin'))).rejects.toMatchObject({ code: 'EIO' });
    // The daemon's log is written asynchronously: the line may follow the EIO by moments.
    await waitFor('the failure in the daemon log', 15_000, async () => /operation failed|refresh failed/.test(await m.log()));

    await minio.restart();
    // Once the store answers again, the same read succeeds (bounded retry loop, no timing claim).
    const deadline = Date.now() + 60_000;
    let result: Buffer | undefined;
    while (!result && Date.now() < deadline) {
      result = await readToEnd(join(m.dir, 'uncached.bin')).catch(() => undefined);
      if (!result) await new Promise((r) => setTimeout(r, 200));
    }
    expect(result && sha(result)).toBe(sha(uncached));
    expect(sha(await readToEnd(join(m.dir, 'cached.bin')))).toBe(sha(cached));
  });

  test('MinIO stopped under a read-write mount: fsync fails with EIO instead of hanging, and nothing acknowledged is lost', async () => {
    const minio = await PrivateMinio.start();
    await using fx = await ChalkfsFixture.create({ store: minio.store });
    fx.defer(() => minio.remove());
    await fx.createVolume('offline-rw');
    const env = { CHALKFS_STORE_TIMEOUT_MS: '2000', CHALKFS_STORE_ATTEMPT_TIMEOUT_MS: '1000', CHALKFS_STORE_MAX_ATTEMPTS: '2' };
    const m = await fx.mount('offline-rw', { env, extraArgs: ['--commit-ms', '3600000'] });
    await writeFile(join(m.dir, 'acked.txt'), 'durable');

    await minio.stop();
    const fh = await open(join(m.dir, 'pending.txt'), 'w');
    await fh.write('not durable');
    await expect(fh.sync()).rejects.toMatchObject({ code: 'EIO' });
    await fh.close().catch(() => undefined);
    // The mount still serves what it has.
    expect(await readFile(join(m.dir, 'acked.txt'), 'utf8')).toBe('durable');

    await minio.restart();
    await m.unmount().catch(() => undefined);
    const again = await fx.mount('offline-rw', { readOnly: true });
    expect(await readFile(join(again.dir, 'acked.txt'), 'utf8')).toBe('durable');
  });
});

describe('bad input', () => {
  const expectOneLineError = (r: CliResult, pattern: RegExp) => {
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^chalkfs: /);
    expect(lines[0]).toMatch(pattern);
  };

  test('invalid volume names, a missing volume, bad mount points and bad credentials: one-line errors, nothing created or lost', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('keep');
    const keeper = await fx.mount('keep');
    await writeFile(join(keeper.dir, 'precious.txt'), 'do not lose me');
    await keeper.unmount();
    const keysBefore = (await fx.listKeys()).sort();

    const invalid = ['', '.', '..', '/', 'a/b', '../keep', 'x'.repeat(64), 'Upper', 'has space', '-leading-dash', 'tab\tname'];
    for (const name of invalid) {
      // `--` so that a name starting with "-" reaches chalkfs as a name, not an option.
      expectOneLineError(await fx.cli(['volume', 'create', '--', name]), /invalid volume name/);
      const dir = await fx.tempDir('mnt');
      expectOneLineError(await fx.cli(['mount', '--', name, dir]), /invalid volume name/);
      expect(isMountpoint(dir)).toBe(false);
      expectOneLineError(await fx.cli(['volume', 'rm', '--', name]), /invalid volume name/);
    }
    // 63 characters is the limit, and is fine.
    const longest = 'y'.repeat(63);
    await fx.cliOk(['volume', 'create', longest]);
    await fx.cliOk(['volume', 'rm', longest]);

    // A missing volume.
    const empty = await fx.tempDir('mnt');
    expectOneLineError(await fx.cli(['mount', 'nosuch', empty]), /nosuch/);
    expect(isMountpoint(empty)).toBe(false);
    expect(readdirSync(empty)).toEqual([]);
    expectOneLineError(await fx.cli(['volume', 'info', 'nosuch']), /nosuch/);
    expectOneLineError(await fx.cli(['volume', 'rm', 'nosuch']), /nosuch/);

    // Creating an existing volume again.
    expectOneLineError(await fx.cli(['volume', 'create', 'keep']), /keep/);

    // Mount points that do not exist, are not directories, or are not empty.
    const missingDir = join(fx.root, 'no', 'such', 'dir');
    expectOneLineError(await fx.cli(['mount', 'keep', missingDir]), /does not exist/);
    expect(existsSync(missingDir)).toBe(false);
    const notEmpty = await fx.tempDir('busy');
    await writeFile(join(notEmpty, 'mine.txt'), 'local file');
    expectOneLineError(await fx.cli(['mount', 'keep', notEmpty]), /not empty/);
    expect(isMountpoint(notEmpty)).toBe(false);
    expect(await readFile(join(notEmpty, 'mine.txt'), 'utf8')).toBe('local file');
    const aFile = join(notEmpty, 'mine.txt');
    expectOneLineError(await fx.cli(['mount', 'keep', aFile]), /not a directory/);

    // Bad credentials: every command says so in one line and changes nothing.
    const badKey = { AWS_SECRET_ACCESS_KEY: 'definitely-wrong-secret' };
    const badId = { AWS_ACCESS_KEY_ID: 'no-such-user' };
    for (const env of [badKey, badId]) {
      expectOneLineError(await fx.cli(['volume', 'create', 'fresh'], { env }), /access denied|credential|AWS_ACCESS_KEY_ID/i);
      expectOneLineError(await fx.cli(['volume', 'ls'], { env }), /access denied|credential|AWS_ACCESS_KEY_ID/i);
      expectOneLineError(await fx.cli(['volume', 'rm', 'keep', '--force'], { env }), /access denied|credential|AWS_ACCESS_KEY_ID/i);
      const dir = await fx.tempDir('mnt');
      expectOneLineError(await fx.cli(['mount', 'keep', dir], { env }), /access denied|credential|AWS_ACCESS_KEY_ID/i);
      expect(isMountpoint(dir)).toBe(false);
    }
    // Bad credentials against a bucket that does not exist yet: it is not created.
    const other = fx.addHost('other');
    const otherBucket = `${fx.bucket.slice(0, 50)}-nope`;
    expectOneLineError(await other.cli(['volume', 'create', 'fresh'], { env: { ...badKey, CHALKFS_BUCKET: otherBucket } }), /access denied|credential|AWS_ACCESS_KEY_ID/i);
    const probe = new S3ObjectStore({ ...fx.store, region: 'us-east-1', bucket: otherBucket, ...defaultS3Timeouts });
    await expect(probe.list('')).rejects.toMatchObject({ kind: 'not-found' });
    probe.destroy();

    // An endpoint nothing listens on, and a host that does not exist: the error says so.
    const closedPort = `http://127.0.0.1:${await freeLoopbackPort()}`;
    for (const [endpoint, pattern] of [[closedPort, /ECONNREFUSED/], ['http://no-such-host.invalid:9000', /ENOTFOUND|no-such-host/]] as const) {
      expectOneLineError(await fx.cli(['volume', 'ls'], { env: { CHALKFS_S3_ENDPOINT: endpoint } }), pattern);
      const dir = await fx.tempDir('mnt');
      expectOneLineError(await fx.cli(['mount', 'keep', dir], { env: { CHALKFS_S3_ENDPOINT: endpoint } }), pattern);
      expect(isMountpoint(dir)).toBe(false);
    }

    // Nothing was created, nothing lost.
    expect((await fx.listKeys()).sort()).toEqual(keysBefore);
    const list = JSON.parse((await fx.cliOk(['volume', 'ls', '--json'])).stdout) as { name: string }[];
    expect(list.map((v) => v.name)).toEqual(['keep']);
    const m = await fx.mount('keep', { readOnly: true });
    expect(await readFile(join(m.dir, 'precious.txt'), 'utf8')).toBe('do not lose me');
    // A second mount at the same, busy mount point is refused.
    expectOneLineError(await fx.cli(['mount', 'keep', m.dir, '--read-only']), /mount point/);
    expect(await readFile(join(m.dir, 'precious.txt'), 'utf8')).toBe('do not lose me');
  });
});
