// Observability on real mounts (real CLI, daemon, FUSE and MinIO): the metrics endpoint
// (--metrics-addr, the file_sd target file, volume and mode on every series, counters
// moving by the bytes read and written), `chalkfs status` figures and a dead daemon shown
// as dead, `chalkfs logs` (readable, --json, -f) and size-bounded log files, readable
// --foreground logs, and the Docker plugin's metrics.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ChalkfsFixture, type ChalkfsHost, type Mount } from '../support/chalkfs-fixture.js';
import { cliEntry } from '../../chalkfs/util/paths.js';
import { servePlugin } from '../../chalkfs/plugin/plugin-server.js';
import { PluginMetrics } from '../../chalkfs/plugin/plugin-metrics.js';
import { silentLogger } from '../../chalkfs/util/logger.js';
import { pluginCall } from '../support/docker-plugin-client.js';
import { isMountPoint } from '../../chalkfs/host/mount-table.js';

const blockSize = 64 * 1024;

interface StatusEntry {
  mountpoint: string;
  state: string;
  mode: string;
  metricsUrl: string;
  metricsTarget: string;
  leaseState?: string;
  dirtyBytes?: number;
  cacheHitRatio?: number;
  storeP99Seconds?: number;
  followerLagSeconds?: number;
  seq?: number;
}

async function statusOf(host: ChalkfsHost): Promise<StatusEntry[]> {
  return JSON.parse((await host.cliOk(['status', '--json'])).stdout) as StatusEntry[];
}

async function statusFor(mount: Mount): Promise<StatusEntry> {
  const entry = (await statusOf(mount.host)).find((s) => s.mountpoint === mount.dir);
  if (!entry) throw new Error(`no status for ${mount.dir}`);
  return entry;
}

/** Every sample of a scrape: `name{labels}` -> value. */
async function scrape(url: string): Promise<Map<string, number>> {
  return samplesOf(await (await fetch(url)).text());
}

function samplesOf(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** The sum of the samples of metric `name` whose labels include all of `labels`. */
function value(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [series, v] of samples) {
    const seriesName = series.split('{')[0];
    if (seriesName !== name) continue;
    if (Object.entries(labels).every(([k, l]) => series.includes(`${k}="${l}"`))) sum += v;
  }
  return sum;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Reads a file in another process (the daemon must not be the reader's process, and the test's page cache is not involved). */
function readInChild(path: string): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['-e', 'process.stdout.write(require("fs").readFileSync(process.argv[1]))', path]);
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise(Buffer.concat(out)) : reject(new Error(`reading ${path}: exit ${code}`))));
  });
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('metrics endpoint', () => {
  test('--metrics-addr, file_sd target, labels on every series, and byte counters moved by what was written and read', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('db', ['--block-size', '64KiB']);
    const port = await freePort();
    const writer = await fx.mount('db', { extraArgs: ['--metrics-addr', `127.0.0.1:${port}`, '--commit-ms', '3600000'] });
    const ws = await statusFor(writer);
    expect(ws.metricsUrl).toBe(`http://127.0.0.1:${port}/metrics`);
    expect(ws.metricsTarget).toBe(`127.0.0.1:${port}`);

    // The file_sd file names the same target, with the mount point as a label.
    const targetsDir = join(fx.host.home, 'metrics-targets');
    const groups = readdirSync(targetsDir).map((n) => JSON.parse(readFileSync(join(targetsDir, n), 'utf8')) as { targets: string[]; labels: Record<string, string> }[]);
    expect(groups.flat()).toEqual([{ targets: [`127.0.0.1:${port}`], labels: { mountpoint: writer.dir, chalkfs_host: expect.any(String) } }]);

    const before = await scrape(ws.metricsUrl);
    // Every series of a mount says which volume and mode it is about, process metrics too.
    const unlabelled = [...before.keys()].filter((s) => !(s.includes('volume="db"') && s.includes('mode="read-write"')));
    expect(unlabelled).toEqual([]);
    expect([...before.keys()].some((s) => s.startsWith('chalkfs_build_info{') && /version="\d+\.\d+\.\d+"/.test(s))).toBe(true);
    expect(value(before, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value(before, 'chalkfs_lease_state', { state: 'held' })).toBe(1);
    expect(value(before, 'chalkfs_lease_state', { state: 'none' })).toBe(0);
    expect(value(before, 'chalkfs_cache_capacity_bytes', { tier: 'disk' })).toBe(2 * 1024 ** 3);
    expect(value(before, 'chalkfs_dirty_bytes')).toBe(0);

    // Written through an open handle; --commit-ms holds the commit back until a close.
    const data = randomBytes(3 * blockSize + 1000);
    const keysBefore = new Set(await fx.listKeys('volumes/db/'));
    const handle = await open(join(writer.dir, 'a.bin'), 'w');
    await handle.write(data, 0, data.length, 0);
    const whileOpen = await scrape(ws.metricsUrl);
    expect(value(whileOpen, 'chalkfs_fuse_written_bytes_total') - value(before, 'chalkfs_fuse_written_bytes_total')).toBe(data.length);
    expect(value(whileOpen, 'chalkfs_dirty_bytes')).toBeGreaterThanOrEqual(data.length);
    // (Not `chalkfs status` here: a child process inherits the open descriptor until its
    // exec closes it, and that close is a FLUSH, which commits.)
    await handle.sync();
    await handle.close();

    const after = await scrape(ws.metricsUrl);
    expect(value(after, 'chalkfs_dirty_bytes')).toBe(0);
    // The new block objects went out through this mount's store client (plus version and lease objects).
    const newObjects = (await fx.bucketStore().list('volumes/db/')).filter((o) => !keysBefore.has(o.key));
    const newBlockBytes = newObjects.filter((o) => o.key.includes('/blocks/')).reduce((n, o) => n + o.sizeBytes, 0);
    expect(newBlockBytes).toBeGreaterThanOrEqual(data.length);
    const sent = value(after, 'chalkfs_store_sent_bytes_total') - value(before, 'chalkfs_store_sent_bytes_total');
    expect(sent).toBeGreaterThanOrEqual(newBlockBytes);
    expect(sent).toBeLessThan(newBlockBytes + 256 * 1024);
    expect(value(after, 'chalkfs_store_request_seconds_count', { op: 'put', result: 'ok' })).toBeGreaterThan(value(before, 'chalkfs_store_request_seconds_count', { op: 'put', result: 'ok' }));

    // A follower with a cold cache of its own reads the file: every byte through FUSE, every block from the store.
    const follower = await fx.mount('db', { readOnly: true });
    const fs0 = await statusFor(follower);
    expect(fs0.mode).toBe('read-only');
    const r0 = await scrape(fs0.metricsUrl);
    expect([...r0.keys()].filter((s) => !(s.includes('volume="db"') && s.includes('mode="read-only"')))).toEqual([]);
    expect(value(r0, 'chalkfs_lease_state', { state: 'none' })).toBe(1);
    expect(await readInChild(join(follower.dir, 'a.bin'))).toEqual(data);
    const r1 = await scrape(fs0.metricsUrl);
    expect(value(r1, 'chalkfs_fuse_read_bytes_total') - value(r0, 'chalkfs_fuse_read_bytes_total')).toBe(data.length);
    const received = value(r1, 'chalkfs_store_received_bytes_total') - value(r0, 'chalkfs_store_received_bytes_total');
    expect(received).toBeGreaterThanOrEqual(newBlockBytes);
    expect(value(r1, 'chalkfs_cache_lookups_total', { tier: 'disk', result: 'miss' })).toBeGreaterThanOrEqual(4);

    // status: the figures behind those counters.
    const fs1 = await statusFor(follower);
    expect(fs1.state).toBe('running');
    expect(fs1.leaseState).toBe('none');
    expect(fs1.cacheHitRatio).toBeGreaterThanOrEqual(0);
    expect(fs1.cacheHitRatio).toBeLessThan(1);
    expect(fs1.storeP99Seconds).toBeGreaterThan(0);
    const ws1 = await statusFor(writer);
    expect(ws1.leaseState).toBe('held');
    expect(ws1.dirtyBytes).toBe(0);
    expect(ws1.followerLagSeconds).toBeUndefined();

    // A new version reaches the follower: its lag behind the writer is measured.
    await writeFile(join(writer.dir, 'b.txt'), 'next');
    const adopted = await eventually('the follower to adopt the new version', async () => {
      const s = await statusFor(follower);
      return s.seq !== undefined && s.seq > (fs1.seq ?? 0) ? s : undefined;
    });
    expect(adopted.followerLagSeconds).toBeGreaterThan(0);
    expect(value(await scrape(fs0.metricsUrl), 'chalkfs_follower_lag_seconds')).toBe(adopted.followerLagSeconds);
    expect((await fx.cliOk(['status'])).stdout).toMatch(/STATE\s+MODE.*LEASE\s+CACHE HIT\s+STORE P99\s+LAG/);

    await follower.unmount();
    await writer.unmount();
    expect(readdirSync(targetsDir)).toEqual([]);
  });

  test('a --metrics-addr already in use is a configuration error (exit 2) and leaves no mount behind', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('db');
    const first = await fx.mount('db', { readOnly: true, extraArgs: ['--metrics-addr', '127.0.0.1:0'] });
    const taken = (await statusFor(first)).metricsTarget;
    const dir = await fx.tempDir('second');
    const r = await fx.cli(['mount', 'db', dir, '--read-only', '--metrics-addr', taken, '--cache-dir', await fx.tempDir('cache')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot serve metrics on 127\.0\.0\.1:\d+/);
    expect(isMountPoint(dir)).toBe(false);
    expect((await statusOf(fx.host)).map((s) => s.mountpoint)).toEqual([first.dir]);
    expect((await fx.cli(['mount', 'db', dir, '--metrics-addr', 'nonsense'])).code).toBe(2);
  });
});

describe('status', () => {
  test('a daemon that died is shown as dead until unmount clears it', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('db');
    const m = await fx.mount('db');
    process.kill(m.pid, 'SIGKILL');
    await eventually('the daemon to die', async () => ((await statusFor(m)).state === 'dead' ? true : undefined));
    const dead = await statusFor(m);
    expect(dead).toMatchObject({ state: 'dead', mountpoint: m.dir, volume: 'db' });
    const text = (await fx.cliOk(['status'])).stdout;
    expect(text).toMatch(new RegExp(`db\\s+${m.dir}\\s+dead\\s+read-write`));
    expect(text).toContain(`chalkfs unmount ${m.dir}`);
    // Prometheus stops being told to scrape it.
    expect(readdirSync(join(fx.host.home, 'metrics-targets'))).toEqual([]);
    await m.unmount();
    expect(await statusOf(fx.host)).toEqual([]);
  });
});

describe('logs', () => {
  test('chalkfs logs by mount point and by volume, --json, -n, and -f sees the unmount', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('db');
    const m = await fx.mount('db');
    const byDir = (await fx.cliOk(['logs', m.dir])).stdout;
    expect(byDir).toMatch(/^\d\d:\d\d:\d\d\.\d{3}  INFO   chalkfs:db  mounted  volume=db mountpoint=\S+ mode=read-write/m);
    expect((await fx.cliOk(['logs', 'db'])).stdout).toBe(byDir);
    const json = (await fx.cliOk(['logs', 'db', '--json', '-n', '1'])).stdout.trim().split('\n');
    expect(json).toHaveLength(1);
    expect(JSON.parse(json[0]!)).toMatchObject({ name: 'chalkfs:db' });
    expect((await fx.cli(['logs', 'other'])).code).toBe(1);

    const follow = spawn(process.execPath, [cliEntry(), 'logs', m.dir, '-f'], { env: fx.host.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      follow.stdout.on('data', (c: Buffer) => (out += c.toString()));
      // The lines so far printed means it has measured the file and follows from there.
      await eventually('the last line so far', async () => (/  mounted  /.test(out) ? true : undefined));
      await m.unmount();
      await eventually('the unmount line to be followed', async () => (/INFO   chalkfs:db  unmounting  reason="unmount requested"/.test(out) ? true : undefined));
      expect(out.match(/  mounted  /g)).toHaveLength(1);
    } finally {
      follow.kill('SIGTERM');
    }
  });

  test('a log file is rotated at CHALKFS_LOG_MAX_SIZE and chalkfs logs reads across the rotation', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('db');
    // At debug level each commit logs a line: 60 commits write well over 4 KiB.
    const m = await fx.mount('db', { extraArgs: ['--log-level', 'debug'], env: { CHALKFS_LOG_MAX_SIZE: '4KiB' } });
    for (let i = 0; i < 60; i++) await writeFile(join(m.dir, `f${i}.txt`), `file ${i}`);
    await eventually('a rotation', async () => (existsSync(`${m.logFile}.1`) ? true : undefined), 10_000).catch((err: Error) => {
      throw new Error(`${err.message}; the log has ${statSync(m.logFile).size} bytes`);
    });
    expect(statSync(m.logFile).size).toBeLessThan(64 * 1024);
    for (const n of [1, 2, 3]) if (existsSync(`${m.logFile}.${n}`)) expect(statSync(`${m.logFile}.${n}`).size).toBeLessThan(64 * 1024);
    expect(existsSync(`${m.logFile}.4`)).toBe(false);
    const lines = (await fx.cliOk(['logs', m.dir, '--json'])).stdout.trim().split('\n');
    const rotated = (await readFile(`${m.logFile}.1`, 'utf8')).trim().split('\n');
    // chalkfs logs prints the rotated generation before the current file.
    expect(lines.indexOf(rotated.at(-1)!)).toBeGreaterThanOrEqual(0);
    expect(lines.indexOf(rotated.at(-1)!)).toBeLessThan(lines.length - 1);
  });

  test('--foreground logs readable lines to stderr', async () => {
    await using fx = await ChalkfsFixture.create();
    await fx.createVolume('db');
    const dir = await fx.tempDir('fg');
    const child = spawn(process.execPath, [cliEntry(), 'mount', 'db', dir, '--foreground', '--cache-dir', await fx.tempDir('cache')], { env: fx.host.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await eventually('the mount', async () => (/Ctrl-C to unmount/.test(err) ? true : undefined));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(err).toMatch(/^\d\d:\d\d:\d\d\.\d{3}  INFO   chalkfs:db  mounted  volume=db/m);
      expect(err).not.toMatch(/^\{"level"/m);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      if (isMountPoint(dir)) await fx.forceUnmount(dir);
    }
  });
});

describe('the servers\' logs (plugin, csi)', () => {
  /** Starts `chalkfs plugin` with `args`; resolves with its stderr once `until` matches it, or it exits. */
  async function pluginStderr(fx: ChalkfsFixture, args: string[], until: RegExp): Promise<{ stderr: string; code: number | null }> {
    const child = spawn(process.execPath, [cliEntry(), 'plugin', '--socket', join(await fx.tempDir('plugin'), 'p.sock'), ...args], { env: fx.host.env(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
      if (until.test(stderr)) child.kill('SIGTERM');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(timer);
    return { stderr, code };
  }

  test('JSON lines by default; --log-format pretty for a person; a bad format is a usage error', async () => {
    await using fx = await ChalkfsFixture.create();
    const json = await pluginStderr(fx, [], /volume plugin listening/);
    const line = json.stderr.split('\n').find((l) => l.includes('volume plugin listening'))!;
    expect(JSON.parse(line)).toMatchObject({ level: 30, name: 'chalkfs-plugin', msg: 'volume plugin listening' });
    const pretty = await pluginStderr(fx, ['--log-format', 'pretty'], /volume plugin listening/);
    expect(pretty.stderr).toMatch(/^\d\d:\d\d:\d\d\.\d{3}  INFO   chalkfs-plugin  volume plugin listening/m);
    expect(pretty.stderr).not.toMatch(/"msg":"volume plugin listening"/);
    const bad = await pluginStderr(fx, ['--log-format', 'xml'], /$^/);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('chalkfs: invalid --log-format "xml": use one of json, pretty');
  });
});

describe('Docker plugin metrics', () => {
  test('requests are counted by operation and result', async () => {
    await using fx = await ChalkfsFixture.create();
    const metrics = new PluginMetrics();
    const server = await servePlugin({ socketPath: join(await fx.tempDir('plugin'), 'p.sock'), stateDir: await fx.tempDir('state'), env: fx.host.env(), logger: silentLogger(), metrics });
    try {
      await pluginCall(server.socketPath, '/VolumeDriver.Capabilities');
      await pluginCall(server.socketPath, '/VolumeDriver.Capabilities');
      await pluginCall(server.socketPath, '/VolumeDriver.Mount', { ID: 'no-name' });
      await pluginCall(server.socketPath, '/Not.Protocol');
      const text = await metrics.registry.metrics();
      const samples = samplesOf(text);
      expect(value(samples, 'chalkfs_plugin_request_seconds_count', { op: 'VolumeDriver.Capabilities', result: 'ok', component: 'plugin' })).toBe(2);
      expect(value(samples, 'chalkfs_plugin_request_seconds_count', { op: 'VolumeDriver.Mount', result: 'error', component: 'plugin' })).toBe(1);
      expect(value(samples, 'chalkfs_plugin_request_seconds_count')).toBe(3);
      expect(text).not.toMatch(/Not\.Protocol/);
      expect(value(samples, 'chalkfs_build_info', { component: 'plugin' })).toBe(1);
    } finally {
      await server.close();
    }
  });
});
