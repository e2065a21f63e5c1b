// The mount commands: mount (the daemon runs in its own process, chalkfs/daemon), unmount
// and status.
import { Command, Option } from 'commander';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { ChalkError } from '../../util/chalk-error.js';
import { createLogger, LOG_LEVELS } from '../../util/logger.js';
import { ensureWritableDir } from '../../util/writable-dir.js';
import { parseInterval } from '../mount-options.js';
import { cliEntry } from '../../util/paths.js';
import { formatSize, parseSize } from '../../util/size.js';
import { parseVolumeRef } from '../../meta/volume-name.js';
import { defaultPresenceIntervalMs } from '../../meta/presence.js';
import { defaultIdleRefreshIntervalMs, defaultRefreshIntervalMs } from '../../vfs/refresh-schedule.js';
import { processAlive } from '../../host/process-liveness.js';
import { isChalkfsMount, mountAt } from '../../host/mount-table.js';
import { resolveStoreSettings, storeEnv } from '../../store/store-config.js';
import { forceUnmount } from '../../fuse/unmount.js';
import { serveMountProcess, awaitDaemonReady } from '../../daemon/daemon-process.js';
import { controlRequest } from '../../daemon/control-socket.js';
import { liveMountRecords, readMountRecord, removeMountRecord, type MountRecord } from '../../daemon/mount-records.js';
import type { LaggingFile } from '../../vfs/volume-view.js';
import { home, printJson, table } from '../cli-context.js';

export function registerMountCommands(program: Command): void {
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
    .option('--refresh-ms <ms>', 'read-only mounts: how often to look for newer versions while the volume changes (10..3600000)', String(defaultRefreshIntervalMs))
    .option('--idle-refresh-ms <ms>', 'read-only mounts: how often to look while it does not, one GET each (10..3600000)', String(defaultIdleRefreshIntervalMs))
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
      await serveMountProcess({
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
        notifyParent: Boolean(opts.notifyParent),
      });
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
    const r = await awaitDaemonReady(child, logFile);
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
      for (const m of mounts as (MountRecord & { problem?: string; volumeState?: string; lagging?: LaggingFile[] })[]) {
        if (m.volumeState === 'deleted') process.stdout.write(`${m.mountpoint}: volume ${m.volume} was deleted from the store; unmount it\n`);
        if (m.problem) process.stdout.write(`${m.mountpoint}: ${m.problem}\n`);
        for (const f of m.lagging ?? []) {
          const pids = [...new Set(f.blockers.map((b) => b.pid))].join(', ') || 'unknown';
          process.stdout.write(`${m.mountpoint}: ${f.path} kept at version ${f.seq} since ${new Date(f.sinceMs).toISOString()}: a read transaction holds it (pid ${pids})\n`);
        }
      }
    });

}
