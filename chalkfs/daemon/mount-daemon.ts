// The mount daemon: serves one volume at one mount point until told to stop. It composes
// the layers below (store, cache, writer lease, presence, vfs, FUSE) and adds what a
// running mount shows the host: its record, a control socket (status, unmount, commit;
// control-socket.ts) and a Prometheus endpoint (metrics-server.ts).
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { LeaseState } from '../util/metrics.js';
import { logHealth } from '../util/log-destination.js';
import { parseVolumeRef } from '../meta/volume-name.js';
import { setKernelReadahead } from '../host/kernel-readahead.js';
import { PresenceKeeper } from '../meta/presence.js';
import { WriterVolume } from '../vfs/writer-volume.js';
import { openVolumeStack, type VolumeStackSettings } from './volume-stack.js';
import { forceUnmount } from '../fuse/unmount.js';
import type { FuseMountOptions } from '../fuse/mount-options.js';
import { watchMount } from '../host/mount-watch.js';
import { controlSocketPath, removeMountRecord, writeMountRecord, type MountRecord } from './mount-records.js';
import { checkMountpoint } from './mountpoint-check.js';
import { serveControlSocket } from './control-socket.js';
import { serveMetrics, type ListenAddress, type MetricsServer } from './metrics-server.js';

export interface MountDaemonOptions extends VolumeStackSettings {
  volumeRef: string;
  mountpoint: string;
  readOnly: boolean;
  /** With a read-write mount refused because another mount holds the lease: mount read-only instead. */
  fallbackReadOnly: boolean;
  home: string;
  logFile: string;
  /** How often the mount renews its presence object (docs/FORMAT.md, "Presence"). */
  presenceIntervalMs: number;
  /** Where the Prometheus endpoint listens (default: a free loopback port). */
  metricsAddress?: ListenAddress;
}

export interface RunningMount {
  record: MountRecord;
  /** Resolves when the daemon has unmounted and answered whoever asked: it may exit. */
  done: Promise<void>;
  /** Commits, unmounts, releases the lease; then `done` resolves. */
  shutdown(reason: string): Promise<void>;
}

/** Mounts, then serves until told to stop (the control socket, a signal, or an unmount from outside). */
export async function runMountDaemon(options: MountDaemonOptions): Promise<RunningMount> {
  const { logger } = options;
  const mountpoint = resolve(options.mountpoint);
  const ref = parseVolumeRef(options.volumeRef);
  await checkMountpoint(mountpoint);

  const { rawStore, store, metrics, cache, writer, mode, lease, volume } = await openVolumeStack({
    ...options,
    volume: ref.name,
    mode: ref.version !== undefined ? 'pinned' : options.readOnly ? 'read-only' : 'read-write',
    pinnedSeq: ref.version,
  });

  // Before the mount is usable: from here on `volume rm` on any host sees it.
  let presence: PresenceKeeper;
  try {
    presence = await PresenceKeeper.start({
      store,
      identity: { volume: ref.name, mountId: writer.mountId, host: writer.host, pid: process.pid, mode, mountpoint },
      intervalMs: options.presenceIntervalMs,
      logger,
      volumeExists: () => volume.existence.check(),
    });
  } catch (err) {
    await volume.close().catch(() => undefined);
    await lease?.release();
    throw err;
  }

  // Read-only mounts adopt new versions while running. Names, and missing names, are
  // cached for long, and when a version is adopted (or a pinned file is released) the
  // daemon tells the kernel to forget every name it holds and every missing name it
  // caches, so the next open(2) looks the file up and gets the new size and mtime (and a
  // file the version adds is found). Attributes live 1 s (the kernel asks again for files
  // held open), and the kernel drops a file's cached pages when it sees its mtime or size
  // change (auto_inval_data). ReaderVolume.open serves the version the kernel's attributes
  // came from. Getattrs are answered from the binding's C cache, emptied at the same
  // moments, and read-only opens too (a shared handle). A writer's and a pinned mount's
  // files change only through this kernel: cache freely (a writer's C cache takes each
  // changed inode's new answer as the change is made). A pinned mount's opens never reach
  // the daemon at all (no_open): nothing it serves ever changes, so no open needs a handle
  // of its own. docs/CONSISTENCY.md has the argument.
  const follows = mode === 'read-only';
  const fuseOptions: FuseMountOptions = {
    mountpoint,
    volume,
    volumeName: ref.name,
    logger,
    metrics,
    attrTimeoutS: follows ? 1 : 30,
    entryTimeoutS: 30,
    negativeTimeoutS: 30,
    pageCache: follows ? 'auto' : 'keep',
    cacheAttributes: true,
    invalidateNames: follows,
    shareOpens: follows,
    writable: mode === 'read-write',
    noOpen: mode === 'pinned',
    opTimeoutMs: 30_000,
    // One thread woken per request instead of two (issue 16, part 7); CHALKFS_FUSE_LOOP=threads
    // serves with libfuse's loop threads instead, to measure one against the other.
    fuseLoop: process.env.CHALKFS_FUSE_LOOP === 'threads' ? 'threads' : 'js-thread',
  };
  let fuse: { mount(): Promise<void>; unmount(): Promise<void> };
  try {
    // Loaded here, not at the top: the binding (native/) is needed to mount, not to run
    // the CLI's other commands, which import this module too.
    const { LowLevelMount } = await import('../fuse/lowlevel-mount.js');
    // Block-sized buffers reuse freed memory instead of faulting in fresh pages
    // (docs/BENCHMARKS.md, bulk bytes part 8).
    const { tuneMemoryAllocator } = await import('../host/memory-allocator.js');
    if (!tuneMemoryAllocator()) logger.info('the C library has no mallopt: block buffers use its default thresholds');
    fuse = new LowLevelMount(fuseOptions);
    await fuse.mount();
  } catch (err) {
    await volume.close().catch(() => undefined);
    await presence.stop();
    await lease?.release();
    throw err;
  }
  // Sequential reads (a SQLite full scan) need many reads in flight, not 128 KiB at a time.
  await setKernelReadahead(mountpoint, 4 * 1024 * 1024, logger);

  const leaseState = (): LeaseState => (!lease ? 'none' : lease.fenced ? 'fenced' : lease.held() ? 'held' : 'unsafe');
  metrics.live = () => {
    const status = volume.status();
    return { dirtyBytes: status.dirtyBytes, leaseState: leaseState(), versionsBehind: status.adoptionWaiting !== undefined ? Math.max(0, status.adoptionWaiting - status.seq) : mode === 'read-only' ? 0 : undefined };
  };
  let metricsServer: MetricsServer;
  try {
    metricsServer = await serveMetrics(metrics.registry, options.metricsAddress);
  } catch (err) {
    await volume.close().catch(() => undefined);
    await fuse.unmount().catch(() => forceUnmount(mountpoint).catch(() => undefined));
    await presence.stop();
    await lease?.release();
    throw err;
  }
  const metricsUrl = metricsServer.url;

  const record: MountRecord = {
    volume: ref.name,
    mountpoint,
    pid: process.pid,
    mode,
    pinnedSeq: ref.version,
    controlSocket: controlSocketPath(options.home, mountpoint),
    metricsUrl,
    metricsTarget: metricsServer.target,
    logFile: options.logFile,
    cacheDir: options.cacheDir,
    host: writer.host,
    startedAt: new Date().toISOString(),
  };

  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason, mountpoint }, 'unmounting');
      stopWatching();
      let failure: unknown;
      try {
        await volume.close();
      } catch (err) {
        failure = err;
        logger.error({ err }, 'final commit failed; unmounting anyway');
      }
      await fuse.unmount().catch(async () => {
        await forceUnmount(mountpoint).catch((err: unknown) => logger.error({ err }, 'unmount failed'));
      });
      // Blocks read last are still on their way to the disk tier; the next mount wants them.
      await cache.settled();
      await presence.stop();
      await lease?.release();
      controlServer.close();
      metricsServer.server.close();
      rawStore.destroy();
      removeMountRecord(options.home, mountpoint);
      if (failure) throw failure;
    })();
    return stopping;
  };
  const shutdownAndFinish = (reason: string, answer?: (err?: unknown) => Promise<void>) =>
    shutdown(reason).then(
      async () => {
        await answer?.();
        finish();
      },
      async (err) => {
        await answer?.(err);
        finish();
      },
    );

  // Unmounted from outside (fusermount3 -u): commit what is dirty, release the lease,
  // remove the record and exit, as for `chalkfs unmount`.
  const stopWatching = watchMount(mountpoint, 1_000, () => {
    logger.warn({ mountpoint }, 'the mount was unmounted from outside chalkfs; committing and exiting');
    void shutdownAndFinish('unmounted from outside');
  });

  const controlServer = await serveControlSocket(record.controlSocket, {
    status: async () => ({ ...record, ...volume.status(), leaseState: leaseState(), cache: { ...cache.stats(), memoryCapacityBytes: options.memoryCacheBytes, diskCapacityBytes: options.cacheSizeBytes }, ...(await metrics.summary()), logs: logHealth }),
    unmount: (answer) => void shutdownAndFinish('unmount requested', answer),
    // A reader has nothing to commit: it answers the version it serves.
    commit: () => (volume instanceof WriterVolume ? volume.commit('requested') : Promise.resolve(volume.versionSeq)),
  });

  writeMountRecord(options.home, record);
  logger.info({ volume: ref.name, mountpoint, mode, seq: volume.versionSeq, metricsUrl }, 'mounted');
  return { record, done, shutdown: (reason) => shutdownAndFinish(reason) };
}
