// scripts/build-native.sh (the package's install script) checks what a compile of the
// FUSE binding needs before node-gyp runs, and names a missing one in a single line
// instead of a page of gyp errors. Each case runs the script on a copy of native/ (never
// built, so it does not stop at "up to date") with one prerequisite taken away; it stops
// at the check, so nothing is compiled.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../chalkfs/util/paths.js';

let root: string;
const which = (tool: string): string => spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
const bash = which('bash');

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'chalkfs-build-native-'));
  mkdirSync(join(root, 'scripts'));
  cpSync(join(projectRoot, 'scripts', 'build-native.sh'), join(root, 'scripts', 'build-native.sh'));
  cpSync(join(projectRoot, 'native', 'binding.gyp'), join(root, 'native', 'binding.gyp'));
  cpSync(join(projectRoot, 'native', 'src'), join(root, 'native', 'src'), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the script with the environment changed as given; its exit status and stderr. */
function build(env: NodeJS.ProcessEnv): { status: number | null; stderr: string } {
  const base: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^npm_/i.test(name) && name !== 'CXX') base[name] = value;
  const r = spawnSync(bash, [join(root, 'scripts', 'build-native.sh')], { env: { ...base, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

function expectOneLine(result: { status: number | null; stderr: string }, says: RegExp): void {
  expect(result.status).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^\[chalkfs build-native\] cannot build chalkfs's FUSE binding: /);
  expect(lines[0]).toMatch(says);
}

describe('build-native.sh prerequisites', () => {
  it('names libfuse3-dev when pkg-config knows no fuse3', () => {
    const empty = join(root, 'no-pkgconfig-files');
    mkdirSync(empty, { recursive: true });
    expectOneLine(build({ PKG_CONFIG_LIBDIR: empty, PKG_CONFIG_PATH: '' }), /libfuse 3 headers not found: apt-get install libfuse3-dev/);
  });

  it('names pkg-config when it is not on PATH', () => {
    // A PATH with only what the script needs before that check.
    const bin = join(root, 'bin-without-pkg-config');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['node', 'dirname']) symlinkSync(which(tool), join(bin, tool));
    expectOneLine(build({ PATH: bin }), /pkg-config not found: apt-get install pkg-config/);
  });

  it('names the C++ compiler when there is none', () => {
    expectOneLine(build({ CXX: 'no-such-c++' }), /C\+\+ compiler no-such-c\+\+ not found: apt-get install g\+\+/);
  });

  it('names the Node.js headers when the configured nodedir has none, and downloads nothing', () => {
    expectOneLine(build({ npm_config_nodedir: join(root, 'no-node-headers') }), /Node\.js headers not found .*no-node-headers\/include\/node/);
  });
});
