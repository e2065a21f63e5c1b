/**
 * The volume commands: create, ls, info, rm, snapshot, versions, restore, and gc.
 */
import { Command } from 'commander';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { ChalkError } from '../../util/chalk-error.js';
import { createLogger } from '../../util/logger.js';
import { formatSize, parseSize } from '../../util/size.js';
import { validateVolumeName } from '../../meta/volume-name.js';
import { VolumeRepository, validateBlockSize } from '../../meta/volume-repository.js';
import { VolumeHistory } from '../../meta/volume-history.js';
import { livePresence } from '../../meta/presence.js';
import { WriterLease } from '../../lease/writer-lease.js';
import { hostIdentity } from '../../host/host-identity.js';
import { safeUntil } from '../../lease/lease-rules.js';
import { processAlive } from '../../minio/embedded-minio.js';
import { openStore, resolveStoreSettings } from '../../store/store-config.js';
import { liveMountRecords } from '../mount-records.js';
import { home, printJson, repository, table } from '../cli-context.js';

export function registerVolumeCommands(program: Command): void {
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

}
