#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { closeSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { ChalkError } from '../util/chalk-error.js';
import { createLogger, LOG_LEVELS } from '../util/logger.js';
import { ensureWritableDir } from '../util/writable-dir.js';
import { isChalkError, type ErrorKind } from '../util/chalk-error.js';
import { parseInterval } from './mount-options.js';
import { chalkfsHome, cliEntry, packageJson } from '../util/paths.js';
import { formatSize, parseSize } from '../util/size.js';
import { validateVolumeName, parseVolumeRef } from '../meta/volume-name.js';
import { VolumeRepository, validateBlockSize } from '../meta/volume-repository.js';
import { VolumeHistory } from '../meta/volume-history.js';
import { defaultPresenceIntervalMs, livePresence } from '../meta/presence.js';
import { WriterLease } from '../lease/writer-lease.js';
import { hostIdentity } from '../host/host-identity.js';
import { safeUntil } from '../lease/lease-rules.js';
import { EmbeddedMinio, processAlive } from '../minio/embedded-minio.js';
import { openStore, resolveStoreSettings, storeEnv, configuredEndpoint } from '../store/store-config.js';
import { forceUnmount } from '../fuse/fuse-mount.js';
import { runMountDaemon } from './mount-daemon.js';
import { isChalkfsMount, mountAt } from '../fuse/proc-mounts.js';
import { servePlugin, DEFAULT_PLUGIN_SOCKET } from '../plugin/plugin-server.js';
import { controlRequest, liveMountRecords, readMountRecord, removeMountRecord, type MountRecord } from './mount-records.js';

const home = chalkfsHome();
const program = new Command();
program
  .name('chalkfs')
  .description('S3-backed volumes mounted with FUSE, made for SQLite databases shared between containers and hosts.\n\n' +
    'Store: AWS_ENDPOINT_URL_S3 or CHALKFS_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, CHALKFS_BUCKET;\n' +
    'with no endpoint set, chalkfs runs its own MinIO under CHALKFS_HOME (now ' + home + ').')
  .version(packageJson().version)
  .addHelpText('after', '\nExit status: 0 success; 1 runtime failure (store unreachable or failing, I/O, lease held, data not found);\n2 usage or configuration error (bad arguments or names, invalid settings, missing bucket, unwritable CHALKFS_HOME).')
  // Commander's own usage errors exit 2 too (its default is 1): see the catch at the end.
  .exitOverride();

async function repository(options: { createBucket?: boolean } = {}): Promise<VolumeRepository> {
  return new VolumeRepository(await openStore(await resolveStoreSettings(), options));
}

function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

// ---- volume ----------------------------------------------------------------------------

const volume = program.command('volume').description('create, list, inspect and remove volumes');

volume
  .command('create')
  .description('create a new, empty volume')
  .argument('<name>', 'volume name: lowercase letters, digits, ".", "_", "-"; at most 63 characters')
  .option('--block-size <size>', 'size of the blocks files are cut into (power of two, 4KiB..64MiB); 1MiB measured best for SQLite reads (docs/BENCHMARKS.md)', '1MiB')
  .option('--json', 'print the result as JSON')
  .action(async (name: string, opts: { blockSize: string; json?: boolean }) => {
    validateVolumeName(name);
    const blockSizeBytes = validateBlockSize(parseSize(opts.blockSize, 'block size'));
    // The one command that creates a missing bucket (see openStore).
    const settings = await resolveStoreSettings();
    const store = await openStore(settings, { createBucket: true });
    if (store.bucketCreated && !opts.json) process.stdout.write(`created bucket ${settings.bucket} (${store.description})\n`);
    const repo = new VolumeRepository(store);
    const config = await repo.create(name, blockSizeBytes, { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }, { host: hostname(), pid: process.pid, mountId: randomUUID() });
    if (opts.json) printJson(config);
    else process.stdout.write(`created volume ${name} (block size ${formatSize(config.blockSizeBytes)}) in ${repo.store.description}\n`);
  });

volume
  .command('ls')
  .description('list volumes: name, size, files, versions, created')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const repo = await repository();
    const summaries = [];
    for (const name of await repo.list()) summaries.push(await repo.summary(name));
    if (opts.json) return printJson(summaries);
    const rows = [['NAME', 'SIZE', 'FILES', 'VERSIONS', 'CREATED']];
    for (const s of summaries) rows.push([s.name, formatSize(s.sizeBytes), String(s.files), String(s.versions), s.createdAt]);
    process.stdout.write(table(rows));
  });

volume
  .command('info')
  .description('show one volume: configuration, latest version, size, lease holder, local mounts')
  .argument('<name>')
  .option('--json', 'print JSON')
  .action(async (name: string, opts: { json?: boolean }) => {
    validateVolumeName(name);
    const repo = await repository();
    const summary = await repo.summary(name);
    const lease = await WriterLease.read(repo.store, name);
    const mounts = liveMountRecords(home).filter((m) => m.volume === name);
    const info = { ...summary, writer: lease && Date.now() < lease.record.expiresAt ? lease.record.holder : null, localMounts: mounts.map((m) => ({ mountpoint: m.mountpoint, mode: m.mode, pid: m.pid })) };
    if (opts.json) return printJson(info);
    process.stdout.write(
      table([
        ['name', info.name],
        ['block size', formatSize(info.blockSizeBytes)],
        ['size', `${formatSize(info.sizeBytes)} in ${info.files} files, ${info.directories} directories`],
        ['versions', `${info.versions} (latest ${info.latestSeq})`],
        ['created', info.createdAt],
        ['writer', info.writer ? `${info.writer.host} pid ${info.writer.pid}` : 'none'],
        ['local mounts', info.localMounts.map((m) => `${m.mountpoint} (${m.mode})`).join(', ') || 'none'],
      ]),
    );
  });

volume
  .command('rm')
  .description('delete a volume and all its data (refuses while it is mounted)')
  .argument('<name>')
  .option('--force', 'delete even while mounted somewhere')
  .action(async (name: string, opts: { force?: boolean }) => {
    validateVolumeName(name);
    const repo = await repository();
    await repo.config(name);
    if (!opts.force) {
      const local = liveMountRecords(home).filter((m) => m.volume === name);
      if (local.length > 0) throw new ChalkError('config', `volume ${name} is mounted at ${local.map((m) => m.mountpoint).join(', ')}; unmount it first or use --force`);
      // Mounts on every host, read-only ones included; a dead local daemon's presence does not count.
      const here = hostname();
      const mounts = await livePresence(repo.store, name, Date.now(), (p) => p.host === here && !processAlive(p.pid));
      if (mounts.length > 0) {
        const where = mounts.map((p) => `${p.host}:${p.mountpoint} (${p.mode}, pid ${p.pid})`).join(', ');
        throw new ChalkError('config', `volume ${name} is mounted at ${where}; unmount it there first or use --force`);
      }
      const lease = await WriterLease.read(repo.store, name);
      if (lease && Date.now() < safeUntil(lease.record)) {
        const h = lease.record.holder;
        throw new ChalkError('config', `volume ${name} is mounted read-write by host ${h.host} pid ${h.pid}; unmount it first or use --force`);
      }
    }
    const objects = await repo.destroy(name);
    process.stdout.write(`deleted volume ${name} (${objects} objects)\n`);
  });

volume
  .command('snapshot')
  .description('keep the newest consistent version of a volume beyond the retention window')
  .argument('<name>')
  .option('--label <label>', 'a name for the snapshot')
  .action(async (name: string, opts: { label?: string }) => {
    const repo = await repository();
    const snap = await new VolumeHistory(repo).snapshot(validateVolumeName(name), opts.label);
    process.stdout.write(`snapshot of ${name} at version ${snap.seq}${snap.label ? ` (${snap.label})` : ''}; mount it with: chalkfs mount ${name}@${snap.seq} DIR\n`);
  });

volume
  .command('versions')
  .description('list the versions of a volume that are still kept')
  .argument('<name>')
  .option('--json', 'print JSON')
  .action(async (name: string, opts: { json?: boolean }) => {
    const repo = await repository();
    const versions = await new VolumeHistory(repo).versions(validateVolumeName(name));
    if (opts.json) return printJson(versions);
    const rows = [['VERSION', 'CREATED', 'CONSISTENT', 'WRITER', 'SNAPSHOT']];
    for (const v of versions) rows.push([String(v.seq), v.createdAt, v.consistent ? 'yes' : 'no', v.writer, v.snapshot === undefined ? '' : v.snapshot || '(unlabelled)']);
    process.stdout.write(table(rows));
  });

volume
  .command('restore')
  .description('make an old version the newest one (a new commit; history is kept); refuses while a writer is mounted')
  .argument('<name>')
  .argument('<version>', 'version number (see `chalkfs volume versions`)')
  .action(async (name: string, versionText: string) => {
    validateVolumeName(name);
    if (!/^\d+$/.test(versionText)) throw new ChalkError('config', `invalid version "${versionText}": expected a version number`);
    const repo = await repository();
    await repo.config(name);
    const writer = { host: hostname(), pid: process.pid, mountId: randomUUID() };
    const lease = await WriterLease.acquire({ store: repo.store, volume: name, holder: { ...writer, hostId: hostIdentity() }, ttlMs: 30_000, logger: createLogger({ level: 'warn' }), isLocalProcessAlive: processAlive });
    try {
      const seq = await new VolumeHistory(repo).restore(name, Number(versionText), writer);
      process.stdout.write(`restored ${name} to the content of version ${versionText} as version ${seq}\n`);
    } finally {
      await lease.release();
    }
  });

program
  .command('gc')
  .description('delete versions older than the retention window (except snapshots and the newest) and blocks no kept version names')
  .argument('<name>')
  .option('--retention <duration>', 'keep versions younger than this (e.g. 24h, 30m, 0s)', '24h')
  .option('--grace <duration>', 'never delete blocks younger than this (protects commits in flight)', '1h')
  .option('--dry-run', 'only report what would be deleted')
  .option('--json', 'print JSON')
  .action(async (name: string, opts: { retention: string; grace: string; dryRun?: boolean; json?: boolean }) => {
    validateVolumeName(name);
    const repo = await repository();
    const result = await new VolumeHistory(repo).gc(name, { retentionMs: parseDuration(opts.retention, '--retention'), graceMs: parseDuration(opts.grace, '--grace'), dryRun: opts.dryRun });
    if (opts.json) return printJson(result);
    process.stdout.write(
      `${opts.dryRun ? 'would delete' : 'deleted'} ${result.versionsDeleted} versions and ${result.blocksDeleted} blocks (${formatSize(result.bytesFreed)}); kept ${result.versionsKept} versions, ${result.blocksKept} blocks\n`,
    );
  });

function parseDuration(text: string, what: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new ChalkError('config', `invalid ${what} "${text}": use a number with ms, s, m, h or d (e.g. 30m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

// ---- mount -----------------------------------------------------------------------------

interface MountOptions {
  readOnly?: boolean;
  fallbackReadOnly?: boolean;
  cacheDir?: string;
  cacheSize: string;
  memoryCacheSize: string;
  foreground?: boolean;
  notifyParent?: boolean;
  logLevel?: string;
  refreshMs: string;
  idleRefreshMs: string;
  commitMs: string;
  leaseTtlMs: string;
}

program
  .command('mount')
  .description('mount a volume (NAME, or NAME@VERSION for a read-only view of an old version); returns once the mount is ready')
  .argument('<volume>', 'volume name, optionally @VERSION')
  .argument('<dir>', 'an existing, empty directory')
  .option('--read-only', 'mount read-only: follows the writer, refuses writes with EROFS')
  .option('--fallback-read-only', 'if another mount holds the writer lease, mount read-only instead of failing')
  .option('--cache-dir <dir>', 'block cache directory, shared by all volumes of this host (default CHALKFS_HOME/cache)')
  .option('--cache-size <size>', 'disk cache capacity', '2GiB')
  .option('--memory-cache-size <size>', 'memory cache capacity', '256MiB')
  .option('--foreground', 'stay in the foreground (logs to stderr)')
  .addOption(new Option('--notify-parent').hideHelp())
  .option('--log-level <level>', `${LOG_LEVELS.join(', ')} (default: CHALKFS_LOG_LEVEL or info)`)
  .option('--refresh-ms <ms>', 'read-only mounts: how often to look for newer versions while the volume changes (10..3600000)', '250')
  .option('--idle-refresh-ms <ms>', 'read-only mounts: how often to look while it does not, one GET each (10..3600000)', '1000')
  .option('--commit-ms <ms>', 'read-write mounts: commit changes no fsync or close committed after this long (1..3600000)', '500')
  .option('--lease-ttl-ms <ms>', 'read-write mounts: writer lease time-to-live (3000..600000)', '10000')
  .action(async (volumeRef: string, dir: string, opts: MountOptions) => {
    const ref = parseVolumeRef(volumeRef);
    const mountpoint = resolve(dir);
    const cacheSizeBytes = parseSize(opts.cacheSize, 'cache size');
    const memoryCacheBytes = parseSize(opts.memoryCacheSize, 'memory cache size');
    const refreshIntervalMs = parseInterval(opts.refreshMs, '--refresh-ms');
    const idleRefreshIntervalMs = parseInterval(opts.idleRefreshMs, '--idle-refresh-ms');
    const autoCommitMs = parseInterval(opts.commitMs, '--commit-ms');
    const leaseTtlMs = parseInterval(opts.leaseTtlMs, '--lease-ttl-ms');
    const presenceInterval = process.env.CHALKFS_PRESENCE_INTERVAL_MS;
    const presenceIntervalMs = presenceInterval ? parseInterval(presenceInterval, 'CHALKFS_PRESENCE_INTERVAL_MS') : defaultPresenceIntervalMs;
    opts.logLevel ??= process.env.CHALKFS_LOG_LEVEL || 'info';
    if (!(LOG_LEVELS as readonly string[]).includes(opts.logLevel)) {
      throw new ChalkError('config', `invalid --log-level (or CHALKFS_LOG_LEVEL) "${opts.logLevel}": use one of ${LOG_LEVELS.join(', ')}`);
    }
    // Before the store: an unwritable CHALKFS_HOME is a configuration error, named as such.
    const logDir = join(home, 'logs');
    ensureWritableDir(logDir, `CHALKFS_HOME ${home}`);
    if (opts.cacheDir) ensureWritableDir(resolve(opts.cacheDir), `--cache-dir ${resolve(opts.cacheDir)}`);
    else ensureWritableDir(join(home, 'cache'), `CHALKFS_HOME ${home}`);
    const settings = await resolveStoreSettings();
    const logFile = join(logDir, `${ref.name}-${createHash('sha1').update(mountpoint).digest('hex').slice(0, 8)}.log`);

    if (!opts.foreground) return mountInBackground(volumeRef, mountpoint, opts, settings, logFile);

    const logger = createLogger({ level: opts.logLevel, destination: opts.notifyParent ? logFile : 2, name: `chalkfs:${ref.name}` });
    if (opts.notifyParent) {
      // The daemon's stdout and stderr are its log file too: a full disk there must not kill it.
      process.stdout.on('error', () => undefined);
      process.stderr.on('error', () => undefined);
    }
    const notify = (message: object) => process.send?.(message);
    let running;
    try {
      running = await runMountDaemon({
        volumeRef,
        mountpoint,
        readOnly: Boolean(opts.readOnly),
        fallbackReadOnly: Boolean(opts.fallbackReadOnly),
        cacheDir: resolve(opts.cacheDir ?? join(home, 'cache')),
        cacheSizeBytes,
        memoryCacheBytes,
        home,
        logFile: opts.notifyParent ? logFile : '(stderr)',
        settings,
        logger,
        refreshIntervalMs,
        idleRefreshIntervalMs,
        autoCommitMs,
        leaseTtlMs,
        presenceIntervalMs,
      });
    } catch (err) {
      logger.error({ err }, 'mount failed');
      logger.flush();
      if (opts.notifyParent) {
        notify({ type: 'error', message: (err as Error).message, kind: isChalkError(err) ? err.kind : 'io' });
        if (process.connected) process.disconnect?.();
        process.exitCode = 1;
        return;
      }
      throw err;
    }
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      process.on(signal, () => void running.shutdown(signal).catch(() => undefined));
    }
    if (opts.notifyParent) {
      notify({ type: 'ready', record: running.record });
      if (process.connected) process.disconnect?.();
    } else {
      process.stderr.write(`mounted ${volumeRef} at ${mountpoint} (${running.record.mode}); Ctrl-C to unmount\n`);
    }
    await running.done;
    logger.flush();
    process.exit(0);
  });

async function mountInBackground(volumeRef: string, mountpoint: string, opts: MountOptions, settings: Awaited<ReturnType<typeof resolveStoreSettings>>, logFile: string): Promise<void> {
  const args = [cliEntry(), 'mount', volumeRef, mountpoint, '--foreground', '--notify-parent', '--cache-size', opts.cacheSize, '--memory-cache-size', opts.memoryCacheSize, '--log-level', opts.logLevel ?? 'info', '--refresh-ms', opts.refreshMs, '--idle-refresh-ms', opts.idleRefreshMs, '--commit-ms', opts.commitMs, '--lease-ttl-ms', opts.leaseTtlMs];
  if (opts.readOnly) args.push('--read-only');
  if (opts.fallbackReadOnly) args.push('--fallback-read-only');
  if (opts.cacheDir) args.push('--cache-dir', resolve(opts.cacheDir));
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', out, out, 'ipc'],
    env: { ...process.env, ...storeEnv(settings), CHALKFS_HOME: home },
  });
  closeSync(out);
  const outcome = await new Promise<{ type: string; message?: string; kind?: ErrorKind; record?: MountRecord }>((resolvePromise) => {
    const timer = setTimeout(() => resolvePromise({ type: 'error', message: `the mount daemon did not become ready within 60 s (log: ${logFile})` }), 60_000);
    child.on('message', (m: { type: string; message?: string; kind?: ErrorKind }) => {
      clearTimeout(timer);
      resolvePromise(m);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ type: 'error', message: `the mount daemon exited (code ${code}) before it was ready; see ${logFile}` });
    });
  });
  child.unref();
  // The daemon disconnects right after its message; by now it may have (then this throws).
  if (child.connected) child.disconnect();
  if (outcome.type !== 'ready') {
    if (child.exitCode === null && outcome.message?.includes('did not become ready')) child.kill('SIGKILL');
    // The daemon's own kind: a store failure is a runtime failure (1), bad input a usage error (2).
    throw new ChalkError(outcome.kind ?? 'io', outcome.message ?? 'mount failed');
  }
  const r = outcome.record!;
  process.stdout.write(`mounted ${volumeRef} at ${mountpoint} (${r.mode}, pid ${r.pid}, log ${logFile})\n`);
}

program
  .command('unmount')
  .alias('umount')
  .description('commit what is pending, then unmount; also clears a mount whose daemon died')
  .argument('<dir>')
  .action(async (dir: string) => {
    const mountpoint = resolve(dir);
    const record = readMountRecord(home, mountpoint);
    if (record && processAlive(record.pid)) {
      await controlRequest(record.controlSocket, 'POST', '/unmount');
      const deadline = Date.now() + 15_000;
      while (processAlive(record.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (processAlive(record.pid)) process.kill(record.pid, 'SIGKILL');
      process.stdout.write(`unmounted ${mountpoint}\n`);
      return;
    }
    // Only what chalkfs mounted: another filesystem here is not ours to take away.
    const entry = mountAt(mountpoint);
    if (entry && !isChalkfsMount(entry)) throw new ChalkError('config', `${mountpoint} is a ${entry.fstype} mount, not a chalkfs one; refusing to unmount it`);
    removeMountRecord(home, mountpoint);
    if (entry) {
      await forceUnmount(mountpoint);
      process.stdout.write(`cleared stale mount ${mountpoint}\n`);
      return;
    }
    throw new ChalkError('config', `${mountpoint} is not a chalkfs mount`);
  });

program
  .command('status')
  .description('active mounts on this host, with version, mode, cache and dirty figures')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const mounts = [];
    for (const record of liveMountRecords(home)) {
      const live = await controlRequest<Record<string, unknown>>(record.controlSocket, 'GET', '/status', 5_000).catch((err: Error) => ({ error: err.message }));
      mounts.push({ ...record, ...live });
    }
    if (opts.json) return printJson(mounts);
    if (mounts.length === 0) return void process.stdout.write('no chalkfs mounts on this host\n');
    const rows = [['VOLUME', 'MOUNTPOINT', 'MODE', 'VERSION', 'PID', 'DIRTY', 'CACHE (MEM/DISK)', 'METRICS']];
    for (const m of mounts as (MountRecord & { seq?: number; dirtyBytes?: number; cache?: { memoryBytes: number; diskBytes: number } })[]) {
      rows.push([m.volume, m.mountpoint, m.mode, String(m.seq ?? '?'), String(m.pid), formatSize(m.dirtyBytes ?? 0), m.cache ? `${formatSize(m.cache.memoryBytes)}/${formatSize(m.cache.diskBytes)}` : '?', m.metricsUrl]);
    }
    process.stdout.write(table(rows));
    for (const m of mounts as (MountRecord & { problem?: string; volumeState?: string })[]) {
      if (m.volumeState === 'deleted') process.stdout.write(`${m.mountpoint}: volume ${m.volume} was deleted from the store; unmount it\n`);
      if (m.problem) process.stdout.write(`${m.mountpoint}: ${m.problem}\n`);
    }
  });

// ---- plugin ----------------------------------------------------------------------------

program
  .command('plugin')
  .description('serve the Docker volume plugin protocol, so `docker run --volume-driver chalkfs -v NAME:/data ...` works')
  .option('--socket <path>', 'unix socket dockerd discovers the plugin by', DEFAULT_PLUGIN_SOCKET)
  .option('--cache-dir <dir>', 'block cache directory for the mounts it makes (default CHALKFS_HOME/cache)')
  .action(async (opts: { socket: string; cacheDir?: string }) => {
    // Resolve the store once, so every mount this plugin makes uses the same one.
    const settings = await resolveStoreSettings();
    // The plugin creates volumes, so it may create their bucket; it says which one it uses.
    const store = await openStore(settings, { createBucket: true });
    process.stderr.write(`chalkfs volume plugin: ${store.bucketCreated ? 'created bucket' : 'using bucket'} ${settings.bucket} (${store.description})\n`);
    store.destroy();
    const server = await servePlugin({
      socketPath: opts.socket,
      stateDir: join(home, 'plugin'),
      cacheDir: opts.cacheDir ? resolve(opts.cacheDir) : undefined,
      env: { ...process.env, ...storeEnv(settings), CHALKFS_HOME: home },
    });
    process.stderr.write(`chalkfs volume plugin serving on ${server.socketPath}\n`);
    await new Promise<void>((done) => {
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => done());
    });
    await server.close();
  });

// ---- minio -----------------------------------------------------------------------------

const minio = program.command('minio').description('the embedded MinIO server chalkfs uses when no S3 endpoint is configured');
const embedded = () => {
  const endpoint = configuredEndpoint(process.env);
  if (endpoint) throw new ChalkError('config', `an S3 endpoint is configured (${endpoint}), so the embedded MinIO is not used`);
  return new EmbeddedMinio(home);
};
minio.command('start').description('start it (no-op when running)').action(async () => {
  const state = await embedded().ensureRunning();
  process.stdout.write(`minio running at ${state.endpoint} (pid ${state.pid})\n`);
});
minio.command('stop').description('stop it').action(async () => {
  const wasRunning = await embedded().stop();
  process.stdout.write(wasRunning ? 'minio stopped\n' : 'minio was not running\n');
});
minio.command('status').description('is it running, and where').option('--json', 'print JSON').action((opts: { json?: boolean }) => {
  const status = embedded().status();
  if (opts.json) return printJson(status);
  process.stdout.write(status.running && status.state ? `minio running at ${status.state.endpoint} (pid ${status.state.pid}), data in ${status.dataDir}\n` : `minio not running (data in ${status.dataDir})\n`);
});

// Exit status (also in --help): 2 for usage and configuration errors, 1 for runtime failures.
program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Commander printed its message already; --help and --version end here with 0.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`chalkfs: ${message.split('\n')[0]}\n`);
  process.exit(err instanceof ChalkError && err.kind === 'config' ? 2 : 1);
});
