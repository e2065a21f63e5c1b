// What the command line loads before it runs a command. Every `chalkfs` call parses the
// whole command tree; the parts only some commands need (the S3 client, the mount daemon
// with its native FUSE binding, the transfer stack, prom-client) are loaded by those
// commands' actions. Loaded at the top, they were 0.27 s of every call, twice per `mount`
// (the CLI, then the daemon it forks). Checked on the built CLI (dist/), as users run it,
// through Node's CommonJS module cache: the AWS SDK, prom-client and the addon are
// CommonJS, so a top-level import of any layer that uses them shows there.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../chalkfs/util/paths.js';
import { nativeAddonPath } from '../../chalkfs/util/native-addon.js';

/** The CommonJS modules loaded once the built CLI has built its command tree. */
function loadedByCommandTree(): string[] {
  const program = pathToFileURL(join(projectRoot, 'dist', 'chalkfs', 'cli', 'program.js')).href;
  const script = `
    import { createRequire } from 'node:module';
    const { buildProgram } = await import(${JSON.stringify(program)});
    buildProgram();
    process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`loading the command tree failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

describe('the command line at start', () => {
  it('builds its command tree without the S3 client, the FUSE binding, the daemon or prom-client', () => {
    const loaded = loadedByCommandTree();
    // Sanity: the cache is what this looks at (commander is CommonJS and always loaded).
    expect(loaded.some((path) => path.includes(`${join('node_modules', 'commander')}`))).toBe(true);
    expect(loaded.filter((path) => path.includes(join('@aws-sdk', 'client-s3')))).toEqual([]);
    expect(loaded.filter((path) => path.includes(join('node_modules', 'prom-client')))).toEqual([]);
    expect(loaded).not.toContain(nativeAddonPath);
  });
});
