#!/usr/bin/env node
// The chalkfs command line: parses arguments and exits with the documented status; the
// command tree is program.ts, one file per command group under commands/ (the mount
// daemon itself is chalkfs/daemon).
import { CommanderError } from 'commander';
import { ChalkError } from '../util/chalk-error.js';
import { buildProgram } from './program.js';

const program = buildProgram();

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
