#!/usr/bin/env node
// The chalkfs command line: parses arguments and exits with the documented status; one
// file per command group under commands/ (the mount daemon itself is chalkfs/daemon).
import { Command, CommanderError } from 'commander';
import { ChalkError } from '../util/chalk-error.js';
import { packageJson } from '../util/paths.js';
import { home } from './cli-context.js';
import { registerMountCommands } from './commands/mount.js';
import { registerServiceCommands } from './commands/services.js';
import { registerHistoryCommands } from './commands/history.js';
import { registerVolumeCommands } from './commands/volume.js';

const program = new Command();
program
  .name('chalkfs')
  .description('S3-backed volumes mounted with FUSE, made for SQLite databases shared between containers and hosts.\n\n' +
    'Store: AWS_ENDPOINT_URL_S3 or CHALKFS_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_PROFILE\n' +
    "(its endpoint_url or services section, as the AWS CLI reads them), CHALKFS_BUCKET (bucket or bucket/prefix);\n" +
    'with no endpoint: AWS S3 when credentials or a profile are set, else chalkfs runs its own MinIO under CHALKFS_HOME\n' +
    '(now ' + home + ').')
  .version(packageJson().version)
  .addHelpText('after', '\nExit status: 0 success; 1 runtime failure (store unreachable or failing, I/O, lease held, data not found);\n2 usage or configuration error (bad arguments or names, invalid settings, missing bucket, unwritable CHALKFS_HOME).')
  // Commander's own usage errors exit 2 too (its default is 1): see the catch at the end.
  .exitOverride();

registerHistoryCommands(program, registerVolumeCommands(program));
registerMountCommands(program);
registerServiceCommands(program);

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
