// The CLI's inspection and upkeep commands through the real CLI, daemon and MinIO:
// `volume du` (shared blocks counted once, categories adding up to the bucket listing),
// `fsck` (a deleted and a corrupted block found, --quick reading no block, --repair from a
// block cache), `doctor`
// (as root and as uid 65534, and against an unreachable store), `volume ls -q`, mount's
// --json (and the daemon's Node options), and
// `volume rm` clearing the volume's blocks from the local cache, and `volume clone`.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ChalkfsFixture, isMountpoint } from '../support/chalkfs-fixture.js';
import { UnprivilegedProject } from '../support/unprivileged-project.js';
import { allowsOtherUsers } from '../../chalkfs/host/fuse-prerequisites.js';
import { DAEMON_NODE_OPTIONS } from '../../chalkfs/daemon/daemon-process.js';

const blockSize = 64 * 1024;
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const blocksOf = (data: Buffer) => Array.from({ length: Math.ceil(data.length / blockSize) }, (_, i) => data.subarray(i * blockSize, (i + 1) * blockSize));

function readInChild(path: string): Buffer {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("fs").readFileSync(process.argv[1]))', path], { timeout: 60_000 });
  if (r.status !== 0) throw new Error(`reading ${path} failed: ${r.status} ${r.stderr}`);
  return r.stdout;
}

interface Usage {
  current: { objects: number; bytes: number };
  snapshots: { objects: number; bytes: number; versions: number };
  history: { objects: number; bytes: number; versions: number };
  unreferenced: { objects: number; bytes: number };
  versions: { objects: number; bytes: number };
  otherMetadata: { objects: number; bytes: number };
  total: { objects: number; bytes: number };
  logicalBytes: number;
}

describe('volume du and fsck', () => {
  test('du sorts every stored byte once; fsck finds a deleted and a corrupted block, --quick only the deleted one', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('db', ['--block-size', '64KiB']);
    const first = randomBytes(3 * blockSize);
    const second = randomBytes(3 * blockSize);
    const other = randomBytes(blockSize);
    let m = await fx.mount('db');
    await writeFile(join(m.dir, 'a.bin'), first);
    await m.unmount();
    await fx.cliOk(['volume', 'snapshot', 'db']);
    m = await fx.mount('db');
    await writeFile(join(m.dir, 'a.bin'), second);
    await writeFile(join(m.dir, 'b.bin'), other);
    await m.unmount();

    const u = JSON.parse((await fx.cliOk(['volume', 'du', 'db', '--json'])).stdout) as Usage;
    expect(u.logicalBytes).toBe(second.length + other.length);
    expect(u.current).toEqual({ objects: 4, bytes: 4 * blockSize });
    expect(u.snapshots.objects).toBe(3); // the first a.bin, named only by the snapshot and older versions
    expect(u.snapshots.bytes).toBe(3 * blockSize);
    const listing = await fx.bucketStore().list('volumes/db/');
    expect(u.total).toEqual({ objects: listing.length, bytes: listing.reduce((s, o) => s + o.sizeBytes, 0) });
    const parts = [u.current, u.snapshots, u.history, u.unreferenced, u.versions, u.otherMetadata];
    expect(parts.reduce((s, p) => s + p.bytes, 0)).toBe(u.total.bytes);
    const text = (await fx.cliOk(['volume', 'du', 'db'])).stdout;
    expect(text).toMatch(/^volume db at version \d+: 256KiB of files\n/);
    expect(text).toMatch(/^current data \(blocks of the newest version\)\s+4\s+256KiB$/m);

    const clean = await fx.cliOk(['fsck', 'db']);
    expect(clean.stdout).toMatch(/^db: \d+ versions, 7 blocks checked, read 448KiB; 0 problems; 0 unreferenced blocks\n$/);

    const missing = sha(other);
    const damaged = sha(blocksOf(first)[1]!);
    await fx.bucketStore().delete(`volumes/db/blocks/${missing}`);
    await fx.bucketStore().put(`volumes/db/blocks/${damaged}`, randomBytes(blockSize));

    const full = await fx.cli(['fsck', 'db']);
    expect(full.code, full.stderr).toBe(1);
    const lines = full.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith(`block ${missing} is missing (named by version`))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith(`block ${damaged} is corrupt: its 65536 bytes hash to `))).toHaveLength(1);
    expect(lines[2]).toMatch(/; 2 problems;/);

    const quick = await fx.cli(['fsck', 'db', '--quick', '--json']);
    expect(quick.code).toBe(1);
    const result = JSON.parse(quick.stdout) as { bytesRead: number; problems: { kind: string; subject: string }[] };
    expect(result.bytesRead).toBe(0);
    expect(result.problems.map((p) => [p.kind, p.subject])).toEqual([['missing-block', missing]]);

    // --repair puts back what a block cache holds a matching copy of, and nothing else.
    const cacheDir = await fx.tempDir('cache');
    await mkdir(join(cacheDir, 'blocks', missing.slice(0, 2)), { recursive: true });
    await writeFile(join(cacheDir, 'blocks', missing.slice(0, 2), missing), other);
    await mkdir(join(cacheDir, 'blocks', damaged.slice(0, 2)), { recursive: true });
    await writeFile(join(cacheDir, 'blocks', damaged.slice(0, 2), damaged), randomBytes(blockSize)); // a bad copy is not used
    const repair = await fx.cli(['fsck', 'db', '--repair', '--cache-dir', cacheDir]);
    expect(repair.code).toBe(1);
    const repairLines = repair.stdout.trim().split('\n');
    expect(repairLines[0]).toMatch(new RegExp(`^block ${damaged} is corrupt`));
    expect(repairLines[1]).toMatch(new RegExp(`^repaired: block ${missing} is missing .*: put back from ${cacheDir}$`));
    expect(repairLines[2]).toMatch(/; 1 problems, 1 repaired;/);
    expect((await fx.bucketStore().get(`volumes/db/blocks/${missing}`)).body.equals(other)).toBe(true);
    const after = JSON.parse((await fx.cli(['fsck', 'db', '--json'])).stdout) as { problems: { subject: string }[] };
    expect(after.problems.map((p) => p.subject)).toEqual([damaged]);
  });
});

describe('volume clone', () => {
  test('clone SRC@VERSION DST: the new volume mounts with that version\'s content, the source keeps its own', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('src', ['--block-size', '64KiB']);
    const before = randomBytes(2 * blockSize + 100);
    let m = await fx.mount('src');
    await writeFile(join(m.dir, 'f'), before);
    await m.unmount();
    const versions = JSON.parse((await fx.cliOk(['volume', 'versions', 'src', '--json'])).stdout) as { seq: number }[];
    const seq = versions.at(-1)!.seq;
    m = await fx.mount('src');
    await writeFile(join(m.dir, 'f'), 'changed later');
    await m.unmount();

    const r = await fx.cliOk(['volume', 'clone', `src@${seq}`, 'dst']);
    expect(r.stdout).toBe(`cloned src@${seq} to dst (3 blocks, 128KiB copied)\n`);
    const ro = await fx.mount('dst', { readOnly: true });
    expect(sha(readInChild(join(ro.dir, 'f')))).toBe(sha(before));
    await ro.unmount();
    expect((await fx.cliOk(['fsck', 'dst'])).stdout).toMatch(/; 0 problems;/);
    const again = await fx.cli(['volume', 'clone', 'src', 'dst']);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe('chalkfs: volume dst already exists');
  });
});

describe('doctor', () => {
  const expectLines = (stdout: string) => {
    const lines = stdout.trim().split('\n');
    expect(lines.map((l) => l.replace(/:.*/, ''))).toEqual(
      ['fuse device', 'allow_other', 'fusermount3', 'libfuse 3', 'store', 'conditional writes', 'clock skew'].map((c) => expect.stringMatching(new RegExp(`^(ok  |warn|FAIL)  ${c}$`))),
    );
    return lines;
  };

  test('as root against the test MinIO: every check ok, exit 0; --json says the same', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('v'); // the bucket
    const r = await fx.cli(['doctor']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = expectLines(r.stdout);
    expect(lines.every((l) => l.startsWith('ok  ')), r.stdout).toBe(true);
    expect(r.stdout).toMatch(/^ok {4}clock skew: this host's clock is \d+ ms (behind|ahead of) the store's \(±\d+ ms, 8 Date headers\)$/m);
    const json = JSON.parse((await fx.cliOk(['doctor', '--json'])).stdout) as { ok: boolean; checks: { check: string; status: string }[] };
    expect(json.ok).toBe(true);
    expect(json.checks).toHaveLength(7);
  });

  test('an unreachable store: FAIL with the reason, the store checks not run, exit 1', async () => {
    await using fx = await ChalkfsFixture.create();
    const { freeLoopbackPort } = await import('../../chalkfs/minio/minio-server.js');
    const r = await fx.cli(['doctor'], { env: { CHALKFS_S3_ENDPOINT: `http://127.0.0.1:${await freeLoopbackPort()}`, CHALKFS_STORE_MAX_ATTEMPTS: '1', CHALKFS_STORE_TIMEOUT_MS: '3000' } });
    expect(r.code).toBe(1);
    const lines = expectLines(r.stdout);
    expect(lines[4]).toMatch(/^FAIL {2}store: .*ECONNREFUSED/);
    expect(lines[5]).toBe('warn  conditional writes: not checked: the store is unreachable');
  });

  test('as uid 65534: allow_other follows /etc/fuse.conf (chalkfs mounts with allow_other)', async () => {
    await using fx = await ChalkfsFixture.create();
    await using project = await UnprivilegedProject.create();
    await fx.createVolume('v');
    const conf = existsSync('/etc/fuse.conf') ? readFileSync('/etc/fuse.conf', 'utf8') : '';
    const r = spawnSync(process.execPath, [project.cliEntry, 'doctor'], { cwd: project.root, env: fx.host.env(), uid: 65534, gid: 65534, encoding: 'utf8', timeout: 60_000 });
    const lines = expectLines(r.stdout);
    if (allowsOtherUsers(conf)) expect(lines[1]).toBe('ok    allow_other: user_allow_other is set in /etc/fuse.conf');
    else {
      expect(lines[1]).toMatch(/^FAIL {2}allow_other: user_allow_other is not set in \/etc\/fuse.conf.*add the line user_allow_other$/);
      expect(r.status).toBe(1);
    }
    expect(lines[4]).toMatch(/^ok {4}store: reachable/);
  });
});

describe('volume ls -q and volume rm', () => {
  test('ls -q prints the names only', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('b-vol');
    await fx.createVolume('a-vol');
    expect((await fx.cliOk(['volume', 'ls', '-q'])).stdout).toBe('a-vol\nb-vol\n');
  });

  test('--json on mount, unmount and volume rm: what was done, as JSON', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('j-vol');
    const dir = await fx.tempDir('j-mnt');
    // Mounted by the CLI itself, not fx.mount: taken down here if an assertion fails first.
    fx.defer(async () => {
      if (isMountpoint(dir)) await fx.forceUnmount(dir);
    });
    const mounted = JSON.parse((await fx.cliOk(['mount', 'j-vol', dir, '--json'])).stdout);
    expect(mounted).toMatchObject({ volume: 'j-vol', mountpoint: dir, mode: 'read-write' });
    expect(mounted.pid).toBeGreaterThan(0);
    // The daemon runs with its Node options (V8 reads heap sizes only from the command line).
    const daemonArgv = readFileSync(`/proc/${mounted.pid}/cmdline`, 'utf8').split('\0');
    expect(daemonArgv.slice(1, 1 + DAEMON_NODE_OPTIONS.length)).toEqual([...DAEMON_NODE_OPTIONS]);
    expect((await fx.cli(['mount', 'j-vol', dir, '--json', '--foreground'])).code).toBe(2);
    expect(JSON.parse((await fx.cliOk(['unmount', dir, '--json'])).stdout)).toEqual({ mountpoint: dir, outcome: 'unmounted' });
    const removed = JSON.parse((await fx.cliOk(['volume', 'rm', 'j-vol', '--json'])).stdout);
    expect(removed).toMatchObject({ volume: 'j-vol', cacheBlocksRemoved: 0, cacheBytesRemoved: 0 });
    expect(removed.objectsDeleted).toBeGreaterThan(0);
  });

  test("rm removes the volume's blocks from the local cache and leaves another volume's", async () => {
    await using fx = await ChalkfsFixture.create();
    const cacheDir = join(fx.host.home, 'cache'); // where `volume rm` looks by default
    const data = { gone: randomBytes(2 * blockSize), kept: randomBytes(blockSize) };
    for (const [name, content] of Object.entries(data)) {
      await fx.createVolume(name, ['--block-size', '64KiB']);
      const w = await fx.mount(name);
      await writeFile(join(w.dir, 'f'), content);
      await w.unmount();
      const r = await fx.mount(name, { readOnly: true, cacheDir });
      expect(sha(readInChild(join(r.dir, 'f')))).toBe(sha(content));
      await r.unmount(); // drains the disk-cache writes
    }
    const cached = (b: Buffer) => existsSync(join(cacheDir, 'blocks', sha(b).slice(0, 2), sha(b)));
    expect(blocksOf(data.gone).every(cached)).toBe(true);
    expect(cached(data.kept)).toBe(true);

    const rm = await fx.cliOk(['volume', 'rm', 'gone']);
    expect(rm.stdout).toMatch(/^deleted volume gone \(\d+ objects\); removed 2 blocks \(128KiB\) from the local cache\n$/);
    expect(blocksOf(data.gone).some(cached)).toBe(false);
    expect(cached(data.kept)).toBe(true);
  });
});
