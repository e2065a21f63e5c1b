// The mount commands: mount (the daemon runs in its own process, chalkfs/daemon) and
// unmount. status.ts shows them.
import { Command, Option } from 'commander';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ChalkError } from '../../util/chalk-error.js';
import { createLogger, LOG_FORMATS, LOG_LEVELS } from '../../util/logger.js';
import { checkLogOptions } from '../log-options.js';
import { logRotationFromEnv } from '../../util/log-rotation.js';
import { ensureWritableDir } from '../../util/writable-dir.js';
import { parseInterval } from '../mount-options.js';
import { cliEntry } from '../../util/paths.js';
import { parseSize } from '../../util/size.js';
import { parseVolumeRef } from '../../meta/volume-name.js';
import { defaultPresenceIntervalMs } from '../../meta/presence.js';
import { defaultIdleRefreshIntervalMs, defaultRefreshIntervalMs } from '../../vfs/refresh-schedule.js';
import { processAlive } from '../../host/process-liveness.js';
import { isChalkfsMount, mountAt } from '../../host/mount-table.js';
import { resolveStoreSettings, storeEnv } from '../../store/store-config.js';
import { forceUnmount } from '../../fuse/unmount.js';
import { serveMountProcess, awaitDaemonReady, DAEMON_NODE_OPTIONS } from '../../daemon/daemon-process.js';
import { controlRequest } from '../../daemon/control-socket.js';
import { mountLogFile, readMountRecord, removeMountRecord } from '../../daemon/mount-records.js';
import { DEFAULT_METRICS_ADDR, parseListenAddress } from '../../daemon/metrics-server.js';
import { home, printJson } from '../cli-context.js';

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
    logFormat: string;
    refreshMs: string;
    idleRefreshMs: string;
    commitMs: string;
    leaseTtlMs: string;
    metricsAddr: string;
    json?: boolean;
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
    .option('--log-format <format>', `with --foreground, how stderr shows the log: ${LOG_FORMATS.join(' or ')} (log files are always JSON lines; \`chalkfs logs\` shows them)`, 'pretty')
    .option('--refresh-ms <ms>', 'read-only mounts: how often to look for newer versions while the volume changes (10..3600000)', String(defaultRefreshIntervalMs))
    .option('--idle-refresh-ms <ms>', 'read-only mounts: how often to look while it does not, one GET each (10..3600000)', String(defaultIdleRefreshIntervalMs))
    .option('--commit-ms <ms>', 'read-write mounts: commit changes no fsync or close committed after this long (1..3600000)', '500')
    .option('--lease-ttl-ms <ms>', 'read-write mounts: writer lease time-to-live (3000..600000)', '10000')
    .option('--metrics-addr <host:port>', 'serve Prometheus metrics here (port 0: a free one); every mount is also listed for file_sd in CHALKFS_HOME/metrics-targets (docs/METRICS.md)', DEFAULT_METRICS_ADDR)
    .option('--json', 'print the mount (volume, mount point, mode, daemon pid, log file) as JSON; not with --foreground')
    .action(async (volumeRef: string, dir: string, opts: MountOptions) => {
      if (opts.json && opts.foreground) throw new ChalkError('config', '--json reports a mount started in the background: not with --foreground');
      const ref = parseVolumeRef(volumeRef);
      const mountpoint = resolve(dir);
      const cacheSizeBytes = parseSize(opts.cacheSize, 'cache size');
      const memoryCacheBytes = parseSize(opts.memoryCacheSize, 'memory cache size');
      const refreshIntervalMs = parseInterval(opts.refreshMs, '--refresh-ms');
      const idleRefreshIntervalMs = parseInterval(opts.idleRefreshMs, '--idle-refresh-ms');
      const autoCommitMs = parseInterval(opts.commitMs, '--commit-ms');
      const leaseTtlMs = parseInterval(opts.leaseTtlMs, '--lease-ttl-ms');
      const metricsAddress = parseListenAddress(opts.metricsAddr);
      const presenceInterval = process.env.CHALKFS_PRESENCE_INTERVAL_MS;
      const presenceIntervalMs = presenceInterval ? parseInterval(presenceInterval, 'CHALKFS_PRESENCE_INTERVAL_MS') : defaultPresenceIntervalMs;
      const log = checkLogOptions(opts);
      opts.logLevel = log.level;
      const logRotation = logRotationFromEnv();
      // Before the store: an unwritable CHALKFS_HOME is a configuration error, named as such.
      const logDir = join(home, 'logs');
      ensureWritableDir(logDir, `CHALKFS_HOME ${home}`);
      if (opts.cacheDir) ensureWritableDir(resolve(opts.cacheDir), `--cache-dir ${resolve(opts.cacheDir)}`);
      else ensureWritableDir(join(home, 'cache'), `CHALKFS_HOME ${home}`);
      const settings = await resolveStoreSettings();
      const logFile = mountLogFile(home, ref.name, mountpoint);

      if (!opts.foreground) return mountInBackground(volumeRef, mountpoint, opts, settings, logFile);

      const logger = createLogger({ level: log.level, destination: opts.notifyParent ? logFile : 2, name: `chalkfs:${ref.name}`, format: log.format, rotation: logRotation });
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
        metricsAddress,
        notifyParent: Boolean(opts.notifyParent),
      });
    });

  async function mountInBackground(volumeRef: string, mountpoint: string, opts: MountOptions, settings: Awaited<ReturnType<typeof resolveStoreSettings>>, logFile: string): Promise<void> {
    const args = [...DAEMON_NODE_OPTIONS, cliEntry(), 'mount', volumeRef, mountpoint, '--foreground', '--notify-parent', '--cache-size', opts.cacheSize, '--memory-cache-size', opts.memoryCacheSize, '--log-level', opts.logLevel ?? 'info', '--refresh-ms', opts.refreshMs, '--idle-refresh-ms', opts.idleRefreshMs, '--commit-ms', opts.commitMs, '--lease-ttl-ms', opts.leaseTtlMs, '--metrics-addr', opts.metricsAddr];
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
    if (opts.json) return printJson({ volume: volumeRef, mountpoint, mode: r.mode, pid: r.pid, logFile });
    process.stdout.write(`mounted ${volumeRef} at ${mountpoint} (${r.mode}, pid ${r.pid}, log ${logFile})\n`);
  }

  program
    .command('unmount')
    .alias('umount')
    .description('commit what is pending, then unmount; also clears a mount whose daemon died')
    .argument('<dir>')
    .option('--json', 'print what was done as JSON ({mountpoint, outcome}: unmounted, cleared-stale-mount, cleared-record)')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const mountpoint = resolve(dir);
      const done = (outcome: 'unmounted' | 'cleared-stale-mount' | 'cleared-record', text: string): void => {
        if (opts.json) printJson({ mountpoint, outcome });
        else process.stdout.write(`${text}\n`);
      };
      const record = readMountRecord(home, mountpoint);
      if (record && processAlive(record.pid)) {
        await controlRequest(record.controlSocket, 'POST', '/unmount');
        const deadline = Date.now() + 15_000;
        while (processAlive(record.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        if (processAlive(record.pid)) process.kill(record.pid, 'SIGKILL');
        return done('unmounted', `unmounted ${mountpoint}`);
      }
      // Only what chalkfs mounted: another filesystem here is not ours to take away.
      const entry = mountAt(mountpoint);
      if (entry && !isChalkfsMount(entry)) throw new ChalkError('config', `${mountpoint} is a ${entry.fstype} mount, not a chalkfs one; refusing to unmount it`);
      removeMountRecord(home, mountpoint);
      if (entry) {
        await forceUnmount(mountpoint);
        return done('cleared-stale-mount', `cleared stale mount ${mountpoint}`);
      }
      // The daemon died and the kernel already dropped its mount: only its record was left.
      if (record) return done('cleared-record', `cleared the record of ${mountpoint} (its daemon, pid ${record.pid}, had died)`);
      throw new ChalkError('config', `${mountpoint} is not a chalkfs mount`);
    });

}
