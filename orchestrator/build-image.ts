#!/usr/bin/env node
/*
 * Builds the chalkfs Python images ahead of time (docker/build-image.sh calls this);
 * containers otherwise build theirs on first use. Cached by tag unless --rebuild.
 */
import { Command } from 'commander';
import { terminalProgress } from './build-progress.js';
import { DockerEngine } from './docker-engine.js';
import { Image, PYTHON_SUITES } from './image.js';
import { isOrchestratorError } from './orchestrator-error.js';

const program = new Command()
  .name('build-image')
  .description(`build chalkfs/python images from Debian without a registry (versions: ${Object.keys(PYTHON_SUITES).join(', ')})`)
  .argument('[versions...]', 'Python versions', ['3.11'])
  .option('--rebuild', 'remove an existing image of the same tag first', false)
  .action(async (versions: string[], opts: { rebuild: boolean }) => {
    const engine = DockerEngine.default();
    for (const version of versions) {
      const image = Image.debianSlim(version);
      if (opts.rebuild && (await engine.imageExists(image.reference))) await engine.removeImage(image.reference);
      const result = await image.ensure({ engine, progress: terminalProgress() });
      process.stdout.write(`${result.reference}: ${result.built ? 'built' : 'already present'} in ${(result.durationMs / 1000).toFixed(1)} s\n`);
    }
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`build-image: ${err instanceof Error ? err.message : String(err)}${isOrchestratorError(err) ? ` [${err.kind}]` : ''}\n`);
  process.exit(1);
});
