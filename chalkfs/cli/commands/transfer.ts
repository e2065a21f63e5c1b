// `volume export` and `volume import`: a volume's tree to or from a directory or a tar,
// without mounting (chalkfs/transfer does the work, in this process).
import { Command } from 'commander';
import { join, posix, resolve } from 'node:path';
import { ChalkError } from '../../util/chalk-error.js';
import { createLogger } from '../../util/logger.js';
import { formatSize, parseSize } from '../../util/size.js';
import { ensureWritableDir } from '../../util/writable-dir.js';
import { parseVolumeRef, validateVolumeName } from '../../meta/volume-name.js';
import { resolveStoreSettings } from '../../store/store-config.js';
import { defaultIdleRefreshIntervalMs, defaultRefreshIntervalMs } from '../../vfs/refresh-schedule.js';
import { archiveEnd, type ArchiveEnd, type TransferCounts } from '../../transfer/tree-entry.js';
import type { StackSettings, TransferProgress } from '../../transfer/volume-transfer.js';
import { home, printJson } from '../cli-context.js';
import { terminalProgress } from '../terminal-progress.js';

interface TransferOptions {
  json?: boolean;
  cacheDir?: string;
  cacheSize: string;
}

/** The block cache and store settings a transfer opens the volume with (the mount's defaults). */
async function stackSettings(opts: TransferOptions, overrides: Partial<StackSettings> = {}): Promise<StackSettings> {
  const cacheDir = resolve(opts.cacheDir ?? join(home, 'cache'));
  ensureWritableDir(cacheDir, opts.cacheDir ? `--cache-dir ${cacheDir}` : `CHALKFS_HOME ${home}`);
  return {
    cacheDir,
    cacheSizeBytes: parseSize(opts.cacheSize, 'cache size'),
    memoryCacheBytes: 256 * 1024 * 1024,
    settings: await resolveStoreSettings(),
    logger: createLogger({ level: process.env.CHALKFS_LOG_LEVEL || 'error', destination: 2, name: 'chalkfs:transfer' }),
    refreshIntervalMs: defaultRefreshIntervalMs,
    idleRefreshIntervalMs: defaultIdleRefreshIntervalMs,
    // An import commits once, at the end (volume-transfer.ts), never on a timer.
    autoCommitMs: 3_600_000,
    leaseTtlMs: 10_000,
    ...overrides,
  };
}

function progressOf(title: string, json: boolean | undefined): TransferProgress {
  const bar = terminalProgress(title, { json, unit: 'bytes' });
  return { start: (total) => bar.start(total), bytes: (n) => bar.advance(n), entry: (path) => bar.advance(0, path), stop: () => bar.stop() };
}

function describe(counts: TransferCounts): string {
  const parts = [`${counts.files} files (${formatSize(counts.bytes)})`, `${counts.directories} directories`];
  if (counts.symlinks) parts.push(`${counts.symlinks} symlinks`);
  if (counts.hardLinks) parts.push(`${counts.hardLinks} hard links`);
  if (counts.other) parts.push(`${counts.other} other`);
  return parts.join(', ');
}

/** A path argument made absolute; `-` stays stdio. */
function located(end: ArchiveEnd): ArchiveEnd {
  return end.kind === 'tar-stdio' ? end : { ...end, path: resolve(end.path) };
}

// The volume stack a transfer runs on takes ~170 ms to load: only export and import pay it.
const transferStack = () => import('../../transfer/volume-transfer.js');

/** `volume` is the command group `registerVolumeCommands` made. */
export function registerTransferCommands(volume: Command): void {
  volume
    .command('export')
    .description('copy one version of a volume (default: its newest consistent one) to a directory or a tar, without mounting')
    .argument('<volume>', 'NAME or NAME@VERSION')
    .argument('<dest>', 'a new or empty directory, a file ending in .tar, or - for a tar on stdout')
    .option('--cache-dir <dir>', 'block cache directory (default CHALKFS_HOME/cache)')
    .option('--cache-size <size>', 'disk cache capacity', '2GiB')
    .option('--json', 'print the result as JSON (on stderr with -)')
    .addHelpText('after', '\nA version is transaction-consistent: a SQLite database exported from it is as one of its commits left it.\nModes, mtimes, symlinks and hard links are kept; owners too when run as root. A tar keeps whole seconds of mtimes.')
    .action(async (ref: string, dest: string, opts: TransferOptions) => {
      const { name, version } = parseVolumeRef(ref);
      const destination = located(archiveEnd(dest));
      const { exportVolume } = await transferStack();
      const result = await exportVolume(name, version, destination, await stackSettings(opts), progressOf(`export ${name}`, opts.json));
      // With a tar on stdout, the report goes to stderr.
      const out = destination.kind === 'tar-stdio' ? process.stderr : process.stdout;
      if (opts.json) return void out.write(JSON.stringify(result, null, 2) + '\n');
      out.write(`exported ${name}@${result.seq} to ${result.destination}: ${describe(result.counts)}\n`);
    });

  volume
    .command('import')
    .description('copy a directory or a tar into a volume, without mounting: one commit, as the volume\'s writer')
    .argument('<name>', 'the volume')
    .argument('<src>', 'a directory, a file ending in .tar, or - for a tar on stdin')
    .option('--to <path>', 'where in the volume (made if missing)', '/')
    .option('--cache-dir <dir>', 'block cache directory (default CHALKFS_HOME/cache)')
    .option('--cache-size <size>', 'disk cache capacity', '2GiB')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nImport takes the writer lease as a read-write mount does: while another writer holds it, it fails and imports nothing.\n' +
        'SQLite databases in a directory are copied consistently even while they are written: a rollback-journal database\n' +
        "under SQLite's SHARED lock (its writers wait; a hot journal is refused), a WAL database with SQLite's backup API\n" +
        '(needs better-sqlite3 installed beside chalkfs). Their -journal, -wal and -shm files are not copied.\n' +
        'Existing files at the same paths are replaced. Owners are kept when run as root; otherwise files are yours.',
    )
    .action(async (nameArg: string, src: string, opts: TransferOptions & { to: string }) => {
      const name = validateVolumeName(nameArg);
      if (!opts.to.startsWith('/')) throw new ChalkError('config', `invalid --to "${opts.to}": a path inside the volume, starting with /`);
      const source = located(archiveEnd(src));
      const to = posix.normalize(opts.to);
      // Up to this much of partial blocks is held before a write must commit to make room.
      const settings = await stackSettings(opts, { dirtyLimitBytes: 1024 * 1024 * 1024 });
      const { importVolume } = await transferStack();
      const result = await importVolume(name, source, to, settings, progressOf(`import ${name}`, opts.json));
      if (opts.json) return printJson(result);
      process.stdout.write(`imported ${result.source} into ${name}:${to} as version ${result.seq}: ${describe(result.counts)}\n`);
      for (const db of result.databases) process.stdout.write(`  ${db.path}: SQLite database copied consistently (${db.method === 'sqlite-shared' ? 'under its SHARED lock' : 'with the backup API'})\n`);
      for (const s of result.skipped) process.stdout.write(`  ${s.path}: skipped: ${s.reason}\n`);
    });
}
