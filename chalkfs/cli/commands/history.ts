// The history commands: `volume snapshot`, `volume versions`, `volume restore`, `volume
// clone` and `gc` (chalkfs/history does the work).
import { Command } from 'commander';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { ChalkError } from '../../util/chalk-error.js';
import { createLogger } from '../../util/logger.js';
import { formatSize } from '../../util/size.js';
import { parseVolumeRef, validateVolumeName } from '../../meta/volume-name.js';
import { cloneVolume } from '../../history/volume-clone.js';
import { VolumeHistory } from '../../history/volume-history.js';
import { WriterLease } from '../../lease/writer-lease.js';
import { hostIdentity } from '../../host/host-identity.js';
import { processAlive } from '../../host/process-liveness.js';
import { onVolume, printJson, repository, table } from '../cli-context.js';
import { terminalProgress, withProgress } from '../terminal-progress.js';

/** `volume` is the command group `registerVolumeCommands` made. */
export function registerHistoryCommands(program: Command, volume: Command): void {
  onVolume<{ label?: string; json?: boolean }>(
    volume
      .command('snapshot')
      .description('keep the newest consistent version of a volume beyond the retention window')
      .option('--label <label>', 'a name for the snapshot')
      .option('--json', 'print JSON'),
    async (name, repo, opts) => {
      const snap = await new VolumeHistory(repo).snapshot(name, opts.label);
      if (opts.json) return printJson(snap);
      process.stdout.write(`snapshot of ${name} at version ${snap.seq}${snap.label ? ` (${snap.label})` : ''}; mount it with: chalkfs mount ${name}@${snap.seq} DIR\n`);
    },
  );

  onVolume<{ json?: boolean }>(
    volume.command('versions').description('list the versions of a volume that are still kept').option('--json', 'print JSON'),
    async (name, repo, opts) => {
      const versions = await new VolumeHistory(repo).versions(name);
      if (opts.json) return printJson(versions);
      const rows = [['VERSION', 'CREATED', 'CONSISTENT', 'WRITER', 'SNAPSHOT']];
      for (const v of versions) rows.push([String(v.seq), v.createdAt, v.consistent ? 'yes' : 'no', v.writer, v.snapshot === undefined ? '' : v.snapshot || '(unlabelled)']);
      process.stdout.write(table(rows));
    },
  );

  volume
    .command('restore')
    .description('make an old version the newest one (a new commit; history is kept); refuses while a writer is mounted')
    .argument('<name>')
    .argument('<version>', 'version number (see `chalkfs volume versions`)')
    .option('--json', 'print JSON')
    .action(async (name: string, versionText: string, opts: { json?: boolean }) => {
      validateVolumeName(name);
      if (!/^\d+$/.test(versionText)) throw new ChalkError('config', `invalid version "${versionText}": expected a version number`);
      const repo = await repository();
      await repo.config(name);
      const writer = { host: hostname(), pid: process.pid, mountId: randomUUID() };
      const lease = await WriterLease.acquire({ store: repo.store, volume: name, holder: { ...writer, hostId: hostIdentity() }, ttlMs: 30_000, logger: createLogger({ level: 'warn' }), isLocalProcessAlive: processAlive });
      try {
        const seq = await new VolumeHistory(repo).restore(name, Number(versionText), writer);
        if (opts.json) return printJson({ volume: name, restoredFrom: Number(versionText), seq });
        process.stdout.write(`restored ${name} to the content of version ${versionText} as version ${seq}\n`);
      } finally {
        await lease.release();
      }
    });

  volume
    .command('clone')
    .description('create a new volume with the content of one version of another (copies the blocks that version names)')
    .argument('<source>', 'SOURCE or SOURCE@VERSION (default: its newest consistent version)')
    .argument('<target>', 'the new volume')
    .option('--json', 'print JSON')
    .action(async (sourceRef: string, target: string, opts: { json?: boolean }) => {
      const source = parseVolumeRef(sourceRef);
      validateVolumeName(target);
      const repo = await repository();
      const writer = { host: hostname(), pid: process.pid, mountId: randomUUID() };
      const result = await cloneVolume(repo, source.name, source.version, target, { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }, writer);
      if (opts.json) return printJson(result);
      process.stdout.write(`cloned ${result.source}@${result.sourceSeq} to ${result.target} (${result.blocksCopied} blocks, ${formatSize(result.bytesCopied)} copied)\n`);
    });

  onVolume<{ retention: string; grace: string; dryRun?: boolean; json?: boolean }>(
    program
      .command('gc')
      .description('delete versions older than the retention window (except snapshots and the newest) and blocks no kept version names')
      .option('--retention <duration>', 'keep versions younger than this (e.g. 24h, 30m, 0s)', '24h')
      .option('--grace <duration>', 'never delete blocks younger than this (protects commits in flight)', '1h')
      .option('--dry-run', 'only report what would be deleted')
      .option('--json', 'print JSON'),
    async (name, repo, opts) => {
      const progress = terminalProgress(`gc ${name}`, { json: opts.json, unit: 'objects' });
      const retentionMs = parseDuration(opts.retention, '--retention');
      const graceMs = parseDuration(opts.grace, '--grace');
      const result = await withProgress(progress, (onProgress) => new VolumeHistory(repo).gc(name, { retentionMs, graceMs, dryRun: opts.dryRun, onProgress }));
      if (opts.json) return printJson(result);
      process.stdout.write(
        `${opts.dryRun ? 'would delete' : 'deleted'} ${result.versionsDeleted} versions and ${result.blocksDeleted} blocks (${formatSize(result.bytesFreed)}); kept ${result.versionsKept} versions, ${result.blocksKept} blocks\n`,
      );
    },
  );

}

function parseDuration(text: string, what: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new ChalkError('config', `invalid ${what} "${text}": use a number with ms, s, m, h or d (e.g. 30m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
