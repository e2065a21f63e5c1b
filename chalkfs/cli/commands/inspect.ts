// Commands that read a whole volume without mounting it: `volume du` (what it costs in
// the store) and `fsck` (whether every kept version can be served). chalkfs/history
// does the work.
import { Command } from 'commander';
import { join, resolve } from 'node:path';
import { formatSize } from '../../util/size.js';
import { VolumeHistory } from '../../history/volume-history.js';
import { volumeUsage } from '../../history/volume-usage.js';
import { checkVolume, repairBlocks } from '../../history/volume-check.js';
import { readCachedBlock } from '../../cache/disk-block-cache.js';
import { home, onVolume, printJson, table } from '../cli-context.js';

/** `volume` is the command group `registerVolumeCommands` made. */
export function registerInspectCommands(program: Command, volume: Command): void {
  onVolume<{ json?: boolean }>(
    volume
      .command('du')
      .description('bytes a volume stores: current data, snapshots, history, garbage, version objects; a block shared by versions counts once')
      .option('--json', 'print JSON')
      .addHelpText('after', '\nEach block counts once, under the first of: the newest version, snapshotted versions, other kept versions,\nunreferenced (no version names it; `chalkfs gc` removes it). Reads every version (one GET each), no block.'),
    async (name, repo, opts) => {
      const snapshots = await new VolumeHistory(repo).snapshots(name);
      const u = await volumeUsage(repo, name, new Set(snapshots.keys()));
      if (opts.json) return printJson(u);
      const row = (label: string, b: { objects: number; bytes: number }) => [label, String(b.objects), formatSize(b.bytes)];
      process.stdout.write(`volume ${name} at version ${u.latestSeq}: ${formatSize(u.logicalBytes)} of files\n`);
      process.stdout.write(
        table([
          ['STORED', 'OBJECTS', 'BYTES'],
          row('current data (blocks of the newest version)', u.current),
          row(`snapshots (blocks only the ${u.snapshots.versions} snapshotted versions name)`, u.snapshots),
          row(`history (blocks only the ${u.history.versions} other kept versions name)`, u.history),
          row('unreferenced blocks (gc removes them)', u.unreferenced),
          row('version objects', u.versions),
          row('other metadata', u.otherMetadata),
          row('total', u.total),
        ]),
      );
    },
  );

  onVolume<{ quick?: boolean; json?: boolean; repair?: boolean; cacheDir?: string }>(
    program
      .command('fsck')
      .description('verify every kept version of a volume: it decodes, and every block it names exists with the right size and hash')
      .option('--quick', 'do not read blocks: check existence and size from the listing only (misses a block with wrong content)')
      .option('--repair', "put missing or corrupt blocks back from this host's block cache, where a copy that matches its hash is found")
      .option('--cache-dir <dir>', 'the block cache --repair copies from (default CHALKFS_HOME/cache)')
      .option('--json', 'print JSON')
      .addHelpText(
        'after',
        '\nCost: one GET per version and, unless --quick, one GET of every distinct block (the whole stored data, once).\n' +
          'Exit status 1 when a problem is found (and not repaired), one line per problem on stdout.\n' +
          "--repair does the one safe thing: a block is named by its content's hash, so a cached copy that matches the\n" +
          'name is exactly the lost block. Nothing else is repaired: a damaged version cannot be rebuilt, and deleting it\n' +
          'would break the gap-free numbering readers rely on; blocks no version names are not damage (`chalkfs gc`).',
      ),
    async (name, repo, opts) => {
      const result = await checkVolume(repo, name, { quick: Boolean(opts.quick) });
      const cacheDir = resolve(opts.cacheDir ?? join(home, 'cache'));
      const repaired = opts.repair ? await repairBlocks(repo, name, result.problems, (hash) => readCachedBlock(cacheDir, hash)) : [];
      const remaining = result.problems.filter((p) => !repaired.includes(p));
      if (opts.json) printJson({ ...result, problems: remaining, repaired });
      else {
        for (const p of remaining) process.stdout.write(`${p.message}\n`);
        for (const p of repaired) process.stdout.write(`repaired: ${p.message}: put back from ${cacheDir}\n`);
        const read = result.quick ? 'read no block (--quick)' : `read ${formatSize(result.bytesRead)}`;
        process.stdout.write(`${name}: ${result.versionsChecked} versions, ${result.blocksChecked} blocks checked, ${read}; ${remaining.length} problems${opts.repair ? `, ${repaired.length} repaired` : ''}; ${result.unreferencedBlocks} unreferenced blocks\n`);
      }
      if (remaining.length > 0) process.exitCode = 1;
    },
  );
}
