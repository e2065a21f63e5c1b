// `npm run demo` as a user runs it: the compiled program in a child process, against the
// test MinIO (a fresh bucket), a fresh CHALKFS_HOME and the test driver's socket.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry, projectRoot } from '../../chalkfs/util/paths.js';
import { DockerEngine, Image, Volume } from '../../orchestrator/index.js';
import { DB_PATH, expectedReaderOutput, expectedWriterOutput } from '../../orchestrator/demo/seed-scripts.js';
import { chalkfsTestEnv, mountsUnder, orchestratorContainers, requireDockerEngine, startPluginHost, TEST_DRIVER, uniqueName } from '../support/docker-fixture.js';

const demoEntry = join(projectRoot, 'dist', 'orchestrator', 'demo', 'main.js');
const socket = `/run/docker/plugins/${TEST_DRIVER}.sock`;
let engine: DockerEngine;
const homes: string[] = [];

beforeAll(async () => {
  engine = await requireDockerEngine();
  if (!existsSync(demoEntry)) throw new Error(`${demoEntry} is missing: run \`npm run build\` first`);
  await Image.debianSlim('3.11').ensure({ engine });
});

afterEach(async () => {
  for (const home of homes.splice(0)) {
    expect(await mountsUnder(home)).toEqual([]);
    await rm(home, { recursive: true, force: true });
  }
});

interface DemoRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function setup(): Promise<{ env: NodeJS.ProcessEnv; volume: string; bucket: string }> {
  const home = await mkdtemp(join(tmpdir(), 'orch-test-demo-'));
  homes.push(home);
  const bucket = uniqueName('chalkfs-demo-t');
  return { env: chalkfsTestEnv(home, bucket), volume: uniqueName('sqlite-persistence'), bucket };
}

function demo(env: NodeJS.ProcessEnv, args: string[]): Promise<DemoRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [demoEntry, '--socket', socket, ...args], { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function volumesInStore(env: NodeJS.ProcessEnv): Promise<string[]> {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [cliEntry(), 'volume', 'ls', '--json'], { env, encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
  return (JSON.parse(out) as Array<{ name: string }>).map((v) => v.name);
}

function expectSeedOutput(stdout: string): void {
  expect(stdout).toContain(expectedWriterOutput(DB_PATH));
  expect(stdout).toContain(`--- reader-a ---\n${expectedReaderOutput()}`);
  expect(stdout).toContain(`--- reader-b ---\n${expectedReaderOutput()}`);
  for (const step of ['docker engine', 'store', 'image', 'volume plugin', 'writer: exec', 'reader-a: exec', 'reader-b: exec', 'cleanup']) {
    expect(stdout).toMatch(new RegExp(`^  ${step.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\d+\\.\\d+ s$`, 'm'));
  }
}

async function expectNothingLeft(): Promise<void> {
  expect((await orchestratorContainers(engine)).filter((n) => n.startsWith('sqlite-'))).toEqual([]);
  expect(existsSync(socket)).toBe(false);
}

describe('npm run demo', () => {
  it('runs the seed scenario end to end, prints each step with its time, and removes everything it made', async () => {
    const { env, volume } = await setup();
    const run = await demo(env, ['--volume', volume]);
    expect(run.stdout).not.toMatch(/demo failed/);
    expect(run.code).toBe(0);
    expectSeedOutput(run.stdout);
    await expectNothingLeft();
    expect(await volumesInStore(env)).not.toContain(volume);
  });

  it('--second-host reads through a second plugin with its own home and empty cache', async () => {
    const { env, volume } = await setup();
    const run = await demo(env, ['--volume', volume, '--second-host']);
    expect(run.code).toBe(0);
    expectSeedOutput(run.stdout);
    expect(run.stdout).toMatch(/host A plugin stopped/);
    expect(run.stdout).toMatch(/host B: volume plugin: .*\(0 bytes\)/);
    expect(run.stdout).toMatch(/host B block cache now holds [1-9]\d* bytes/);
    await expectNothingLeft();
    expect(await volumesInStore(env)).not.toContain(volume);
  });

  it('--keep-volume keeps the data, and a later run uses the existing volume and keeps it', async () => {
    const { env, volume, bucket } = await setup();
    try {
      const first = await demo(env, ['--volume', volume, '--keep-volume']);
      expect(first.code).toBe(0);
      expect(await volumesInStore(env)).toContain(volume);
      const second = await demo(env, ['--volume', volume]);
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/already exists/);
      expectSeedOutput(second.stdout); // INSERT OR IGNORE: still exactly three rows
      expect(await volumesInStore(env)).toContain(volume);
      await expectNothingLeft();
    } finally {
      // Through Docker, so that dockerd forgets the volume too.
      const host = await startPluginHost({ bucket, label: 'demo-cleanup' });
      try {
        await new Volume({ name: volume, driver: host.driver }).delete();
      } finally {
        await host.dispose();
      }
    }
  });

  it('fails before starting anything for a Python version Debian does not provide', async () => {
    const { env, volume } = await setup();
    const run = await demo(env, ['--volume', volume, '--python', '3.12']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/no Debian release provides Python 3\.12; available: 3\.11 \(Debian bookworm\), 3\.13 \(Debian trixie\) \[unknown-python-version\]/);
    expect(run.stdout).not.toMatch(/==> docker engine/);
    await expectNothingLeft();
  });
});
