// The Docker plugin's Remove runs `volume rm` with the block cache its mounts use
// (`chalkfs plugin --cache-dir`), so the volume's blocks leave that cache, not only the
// CLI's default one. A stand-in CLI records what the driver runs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChalkfsCli, type CliResult } from '../../chalkfs/cli-driver/chalkfs-cli.js';
import { VolumeDriver } from '../../chalkfs/plugin/volume-driver.js';
import { createLogger } from '../../chalkfs/util/logger.js';

class RecordingCli extends ChalkfsCli {
  calls: string[][] = [];

  constructor() {
    super({});
  }

  override async run(args: string[]): Promise<CliResult> {
    this.calls.push(args);
    return { stdout: '{}', stderr: '' };
  }
}

async function removeWith(cacheDir: string | undefined): Promise<string[][]> {
  const stateDir = await mkdtemp(join(tmpdir(), 'chalkfs-plugin-rm-'));
  try {
    const cli = new RecordingCli();
    const driver = await VolumeDriver.open({ stateDir, cli, logger: createLogger({ level: 'silent' }), cacheDir });
    await driver.remove('db');
    return cli.calls;
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

describe('VolumeDriver.remove', () => {
  it("clears the volume's blocks from the plugin's own block cache", async () => {
    expect(await removeWith('/srv/chalkfs-cache')).toEqual([['volume', 'rm', 'db', '--cache-dir', '/srv/chalkfs-cache']]);
  });

  it("without --cache-dir leaves the CLI's default", async () => {
    expect(await removeWith(undefined)).toEqual([['volume', 'rm', 'db']]);
  });
});
