// chalkfs installed as users install Node tools: this built tree packed with `npm pack`,
// the tarball installed globally into a temporary prefix (production dependencies only,
// from npm's cache where it has them; the FUSE binding compiled by the package's install
// script, offline), then the installed `chalkfs` run: --help with no warning, and a real
// FUSE mount of a volume in the test MinIO. Last, a TypeScript project that imports the
// package's public API type-checks against the installed .d.ts files.
// Needs `npm run build` first, as every integration test; about a minute, most of it the
// install (dependencies and the addon's compile).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../chalkfs/util/paths.js';
import { ChalkfsFixture, run, type CliResult } from '../support/chalkfs-fixture.js';

const execFileAsync = promisify(execFile);

// What a user's shell has: Node's warnings on, the AWS SDK's switch unset, no npm
// lifecycle variables from the `npm test` this may run under.
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^npm_/i.test(name)) env[name] = value;
  delete env.NODE_NO_WARNINGS;
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  return { ...env, ...extra };
}
const userShell = { NODE_NO_WARNINGS: undefined, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined };
const anyWarning = /warning|deprecat/i;

/** Runs a program; throws with its output when it exits non-zero. */
async function runOk(program: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileAsync(program, args, { cwd: options.cwd, env: options.env ?? userEnv(), timeout: options.timeoutMs ?? 240_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`${program} ${args.join(' ')} failed (${e.code}):\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

let root: string;
let tarball: string;
let prefix: string;
let installed: string;
let bin: string;

beforeAll(async () => {
  if (!existsSync(join(projectRoot, 'dist', 'orchestrator', 'index.d.ts'))) throw new Error('dist/ is not built (or without declarations): run `npm run build` first');
  root = await mkdtemp(join(tmpdir(), 'chalkfs-pkg-'));
  // The tree is built already (as for every integration test): pack it as it is.
  const packed = await runOk('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', root], { cwd: projectRoot });
  tarball = join(root, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  prefix = join(root, 'prefix');
  // --prefer-offline: npm's cache holds the dependencies' tarballs (npm ci filled it) but
  // not every registry document a fresh resolve reads; those come from the registry.
  await runOk('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--allow-scripts=chalkfs', '--no-audit', '--no-fund', tarball]);
  installed = join(prefix, 'lib', 'node_modules', 'chalkfs');
  bin = join(prefix, 'bin', 'chalkfs');
}, 400_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds the built code, its declarations, the addon sources, the CSI spec and the build script: no tests, sources, bench or maps', async () => {
    const listing = await runOk('tar', ['-tzf', tarball]);
    const files = listing.stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const needed of ['package.json', 'README.md', 'dist/chalkfs/cli/main.js', 'dist/orchestrator/index.js', 'dist/orchestrator/index.d.ts', 'dist/chalkfs/index.d.ts', 'native/binding.gyp', 'native/src/addon.cc', 'chalkfs/csi/spec/csi.proto', 'chalkfs/csi/spec/LICENSE', 'scripts/build-native.sh']) {
      expect(files, needed).toContain(needed);
    }
    const allowed = /^(package\.json|README\.md|dist\/(chalkfs|orchestrator)\/.*\.(js|d\.ts)|native\/binding\.gyp|native\/src\/[^/]+\.(cc|h)|chalkfs\/csi\/spec\/(csi\.proto|LICENSE|README\.md)|scripts\/build-native\.sh)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/orchestrator/demo/'))).toEqual([]);
  });

  it('installs with production dependencies only and its FUSE binding built, without the C rules test', () => {
    const deps = readdirSync(join(installed, 'node_modules'));
    for (const dev of ['vitest', 'fast-check', 'typescript', 'node-gyp', 'better-sqlite3', 'hdr-histogram-js']) expect(deps, dev).not.toContain(dev);
    expect(readdirSync(join(installed, 'node_modules', '@types'))).not.toContain('dockerode');
    expect(existsSync(join(installed, 'native', 'build', 'Release', 'chalkfs_fuse.node'))).toBe(true);
    expect(existsSync(join(installed, 'native', 'build', 'Release', 'rules_test'))).toBe(false);
  });

  it('runs `chalkfs --help` from the installed bin with nothing on stderr', async () => {
    const help = await run(bin, ['--help'], userEnv());
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: chalkfs/);
    expect(help.stderr).toBe('');
  });

  it('creates a volume and mounts it with the installed binary (real FUSE): a file written there is in the store', async () => {
    await using fx = await ChalkfsFixture.create();
    const user = fx.addHost('installed', { command: [bin] });
    const created = await user.cliOk(['volume', 'create', 'pkg'], { env: userShell });
    expect(created.stderr).not.toMatch(anyWarning);
    const mount = await user.mount('pkg', { env: userShell });
    // The daemon serving the mount is the installed package's, not this tree's.
    const daemon = readFileSync(`/proc/${mount.pid}/cmdline`, 'utf8').split('\0');
    expect(daemon.some((arg) => arg.startsWith(`${realpathSync(installed)}/`))).toBe(true);
    writeFileSync(join(mount.dir, 'hello.txt'), 'installed with npm\n');
    expect(await readFile(join(mount.dir, 'hello.txt'), 'utf8')).toBe('installed with npm\n');
    await mount.unmount();
    expect(await mount.log()).not.toMatch(/NodeVersionSupportWarning/);
    // Read back through this tree's CLI on another host: the file went through the store.
    const reader = await fx.addHost('reader').mount('pkg', { readOnly: true });
    expect(await readFile(join(reader.dir, 'hello.txt'), 'utf8')).toBe('installed with npm\n');
    await reader.unmount();
  });

  it("type-checks a user's TypeScript project that imports { Container, Image, Volume } from 'chalkfs'", async () => {
    const project = join(root, 'user-project');
    await mkdir(join(project, 'node_modules'), { recursive: true });
    // As `npm install chalkfs` would place it in the project.
    await symlink(installed, join(project, 'node_modules', 'chalkfs'));
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'uses-chalkfs', private: true, type: 'module' }));
    const compilerOptions = {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false,
      // The user's own @types/node (their project has it; here: this repo's).
      types: ['node'], typeRoots: [join(projectRoot, 'node_modules', '@types')],
    };
    await writeFile(join(project, 'good.json'), JSON.stringify({ compilerOptions, files: ['good.ts'] }));
    await writeFile(join(project, 'bad.json'), JSON.stringify({ compilerOptions, files: ['bad.ts'] }));
    await writeFile(
      join(project, 'good.ts'),
      [
        "import { Container, Image, Volume, type ExecResult } from 'chalkfs';",
        "import { ChalkError, EmbeddedMinio } from 'chalkfs/core';",
        'export async function seed(): Promise<ExecResult> {',
        "  await new Volume({ name: 'db' }).create({ blockSize: '1MiB' });",
        "  await using c = await new Container({ image: Image.debianSlim('3.11'), name: 'writer' }).mountVolume('db', '/data').run();",
        "  return c.exec('python3', '-c', 'print(1)');",
        '}',
        "export const failure: ChalkError = new ChalkError('config', 'x');",
        'export const minio = new EmbeddedMinio(\'/tmp/home\');',
        '',
      ].join('\n'),
    );
    // A control: the same imports used wrongly must fail, so the types are really checked (not `any`).
    await writeFile(join(project, 'bad.ts'), "import { Volume } from 'chalkfs';\nexport const n: number = new Volume({ name: 'db' }).name;\n");
    const tsc = join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    await runOk(process.execPath, [tsc, '-p', join(project, 'good.json')]);
    const bad = await run(process.execPath, [tsc, '-p', join(project, 'bad.json')], userEnv());
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/bad\.ts\(2,14\): error TS2322: Type 'string' is not assignable to type 'number'/);
  }, 120_000);
});
