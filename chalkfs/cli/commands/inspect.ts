// Commands that read a whole volume without mounting it: `volume du` (what it costs in
// the store) and `fsck` (whether every kept version can be served). chalkfs/history
// does the work.
import { Command } from 'commander';
import { formatSize } from '../../util/size.js';
import { VolumeHistory } from '../../history/volume-history.js';
import { volumeUsage } from '../../history/volume-usage.js';
import { checkVolume } from '../../history/volume-check.js';
import { onVolume, printJson, table } from '../cli-context.js';

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

  onVolume<{ quick?: boolean; json?: boolean }>(
    program
      .command('fsck')
      .description('verify every kept version of a volume: it decodes, and every block it names exists with the right size and hash')
      .option('--quick', 'do not read blocks: check existence and size from the listing only (misses a block with wrong content)')
      .option('--json', 'print JSON')
      .addHelpText(
        'after',
        '\nCost: one GET per version and, unless --quick, one GET of every distinct block (the whole stored data, once).\n' +
          'Exit status 1 when a problem is found, one line per problem on stdout.\n' +
          'No --repair: a block is named by its content hash, so a missing or damaged block can only come back from a copy\n' +
          'of its content, and deleting a damaged version would break the gap-free numbering readers rely on; blocks no\n' +
          'version names are not damage, `chalkfs gc` removes them.',
      ),
    async (name, repo, opts) => {
      const result = await checkVolume(repo, name, { quick: Boolean(opts.quick) });
      if (opts.json) printJson(result);
      else {
        for (const p of result.problems) process.stdout.write(`${p.message}\n`);
        const read = result.quick ? 'read no block (--quick)' : `read ${formatSize(result.bytesRead)}`;
        process.stdout.write(`${name}: ${result.versionsChecked} versions, ${result.blocksChecked} blocks checked, ${read}; ${result.problems.length} problems; ${result.unreferencedBlocks} unreferenced blocks\n`);
      }
      if (result.problems.length > 0) process.exitCode = 1;
    },
  );
}
