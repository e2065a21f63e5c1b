// The volume commands: create, ls, info, rm (history.ts has snapshot, versions, restore
// and gc).
import { Command } from 'commander';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ChalkError } from '../../util/chalk-error.js';
import { formatSize, parseSize } from '../../util/size.js';
import { validateVolumeName } from '../../meta/volume-name.js';
import { VolumeRepository, validateBlockSize } from '../../meta/volume-repository.js';
import { livePresence } from '../../meta/presence.js';
import { WriterLease } from '../../lease/writer-lease.js';
import { safeUntil } from '../../lease/lease-rules.js';
import { processAlive } from '../../host/process-liveness.js';
import { openStore, resolveStoreSettings } from '../../store/store-config.js';
import { checkConditionalWrites } from '../../store/conditional-writes-check.js';
import { liveMountRecords } from '../../daemon/mount-records.js';
import { storeKeys } from '../../meta/store-keys.js';
import { removeCachedBlocks } from '../../cache/disk-block-cache.js';
import { home, onVolume, printJson, repository, table } from '../cli-context.js';
import { terminalProgress, withProgress } from '../terminal-progress.js';

/** Returns the `volume` command group, which the history commands join. */
export function registerVolumeCommands(program: Command): Command {
  const volume = program.command('volume').description('create, list, inspect and remove volumes');

  volume
    .command('create')
    .description('create a new, empty volume')
    .argument('<name>', 'volume name: lowercase letters, digits, ".", "_", "-"; at most 63 characters')
    .option('--block-size <size>', 'size of the blocks files are cut into (power of two, 4KiB..64MiB); 1MiB measured best for SQLite, 4MiB for large files read whole (docs/BENCHMARKS.md)', '1MiB')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, opts: { blockSize: string; json?: boolean }) => {
      validateVolumeName(name);
      const blockSizeBytes = validateBlockSize(parseSize(opts.blockSize, 'block size'));
      // The one command that creates a missing bucket (see openStore).
      const settings = await resolveStoreSettings();
      const store = await openStore(settings, { createBucket: true });
      if (store.bucketCreated && !opts.json) process.stdout.write(`created bucket ${settings.bucket} (${store.description})\n`);
      await checkConditionalWrites(store);
      const repo = new VolumeRepository(store);
      const config = await repo.create(name, blockSizeBytes, { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }, { host: hostname(), pid: process.pid, mountId: randomUUID() });
      if (opts.json) printJson(config);
      else process.stdout.write(`created volume ${name} (block size ${formatSize(config.blockSizeBytes)}) in ${repo.store.description}\n`);
    });

  volume
    .command('ls')
    .description('list volumes: name, size, files, versions, created')
    .option('--json', 'print JSON')
    .option('-q, --quiet', 'print only the names, one a line')
    .action(async (opts: { json?: boolean; quiet?: boolean }) => {
      const repo = await repository();
      // Names only need the listing, not a summary (two GETs) per volume.
      if (opts.quiet && !opts.json) return void process.stdout.write((await repo.list()).map((n) => `${n}\n`).join(''));
      const summaries = [];
      for (const name of await repo.list()) summaries.push(await repo.summary(name));
      if (opts.json) return printJson(summaries);
      const rows = [['NAME', 'SIZE', 'FILES', 'VERSIONS', 'CREATED']];
      for (const s of summaries) rows.push([s.name, formatSize(s.sizeBytes), String(s.files), String(s.versions), s.createdAt]);
      process.stdout.write(table(rows));
    });

  onVolume<{ json?: boolean }>(
    volume.command('info').description('show one volume: configuration, latest version, size, lease holder, local mounts').option('--json', 'print JSON'),
    async (name, repo, opts) => {
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
    },
  );

  onVolume<{ force?: boolean; cacheDir?: string; json?: boolean }>(
    volume
      .command('rm')
      .description("delete a volume and all its data (refuses while it is mounted), and its blocks from this host's block cache")
      .option('-f, --force', 'delete even while mounted somewhere')
      .option('--cache-dir <dir>', 'the block cache to clear of its blocks (default CHALKFS_HOME/cache; the one its mounts used)')
      .option('--json', 'print the result as JSON'),
    async (name, repo, opts) => {
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
      // Listed before the volume goes: cache files are named by hash only.
      const prefix = storeKeys.blocksPrefix(name);
      const hashes = (await repo.store.list(prefix)).map((o) => o.key.slice(prefix.length));
      const objects = await withProgress(terminalProgress(`rm ${name}`, { unit: 'objects', json: opts.json }), (onProgress) => repo.destroy(name, onProgress));
      const cleared = await removeCachedBlocks(resolve(opts.cacheDir ?? join(home, 'cache')), hashes);
      if (opts.json) return printJson({ volume: name, objectsDeleted: objects, cacheBlocksRemoved: cleared.files, cacheBytesRemoved: cleared.bytes });
      process.stdout.write(`deleted volume ${name} (${objects} objects); removed ${cleared.files} blocks (${formatSize(cleared.bytes)}) from the local cache\n`);
    },
  );
  return volume;
}
