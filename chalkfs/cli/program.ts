// The chalkfs command tree (commander): every command group registered, examples and the
// environment in each --help. Built apart from main.ts, which parses, so tests and the
// completion generator see the same tree without running a command.
import { Argument, Command } from 'commander';
import { packageJson } from '../util/paths.js';
import { home } from './cli-context.js';
import { addExamples, environmentHelp } from './help-text.js';
import { bashCompletion } from './completion.js';
import { registerMountCommands } from './commands/mount.js';
import { registerServiceCommands } from './commands/services.js';
import { registerHistoryCommands } from './commands/history.js';
import { registerVolumeCommands } from './commands/volume.js';
import { registerInspectCommands } from './commands/inspect.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerStatusCommand } from './commands/status.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerTransferCommands } from './commands/transfer.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('chalkfs')
    .description('S3-backed volumes mounted with FUSE, made for SQLite databases shared between containers and hosts.')
    .version(packageJson().version)
    .addHelpText('afterAll', environmentHelp(home))
    .addHelpText('after', '\nExit status: 0 success; 1 runtime failure (store unreachable or failing, I/O, lease held, data not found);\n2 usage or configuration error (bad arguments or names, invalid settings, missing bucket, unwritable CHALKFS_HOME).')
    // Commander's own usage errors exit 2 too (its default is 1): see main.ts.
    .exitOverride();

  const volume = registerVolumeCommands(program);
  registerHistoryCommands(program, volume);
  registerInspectCommands(program, volume);
  registerTransferCommands(volume);
  registerMountCommands(program);
  registerStatusCommand(program);
  registerLogsCommand(program);
  registerServiceCommands(program);
  registerDoctorCommand(program);
  program
    .command('completion')
    .description('print a shell completion script (generated from this CLI\'s commands and options)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash']))
    .action(() => void process.stdout.write(bashCompletion(program)));
  addExamples(program);
  return program;
}
