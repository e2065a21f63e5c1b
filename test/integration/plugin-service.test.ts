// `chalkfs plugin install-service` / `uninstall-service` through the real CLI, into a
// temporary root (--root): the files, their modes, and that the keys stay out of the
// unit. systemctl itself is not exercised: with --root the command never runs it, and
// on this machine systemd is not PID 1 anyway (`ps -p 1` shows the sandbox's init), so
// nothing here fakes it; enabling on a systemd host is `systemctl daemon-reload &&
// systemctl enable --now chalkfs-plugin.service`, which the command prints.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry } from '../../chalkfs/util/paths.js';
import { requireChalkfsBuild } from '../support/docker-fixture.js';

const execFileAsync = promisify(execFile);
const roots: string[] = [];

beforeAll(() => requireChalkfsBuild());
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function tempRoot(): Promise<{ root: string; unit: string; envFile: string }> {
  const root = await mkdtemp(join(tmpdir(), 'plugin-service-'));
  roots.push(root);
  return { root, unit: join(root, 'etc/systemd/system/chalkfs-plugin.service'), envFile: join(root, 'etc/chalkfs/plugin.env') };
}

const env = { PATH: process.env.PATH, HOME: '/root', CHALKFS_HOME: '/var/lib/chalkfs-test', CHALKFS_BUCKET: 'bucket/prefix', AWS_ENDPOINT_URL_S3: 'http://minio.internal:9000', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-key-"quoted"', SOMETHING_ELSE: 'not kept' };
const chalkfs = (...args: string[]) => execFileAsync(process.execPath, [cliEntry(), ...args], { env, encoding: 'utf8' });

describe('chalkfs plugin install-service', () => {
  it('writes the unit and a 0600 environment file under --root, and uninstall-service removes them', async () => {
    const { root, unit, envFile } = await tempRoot();
    await writeFile(join(root, 'stale'), ''); // the root may hold other things: left alone
    const { stdout } = await chalkfs('plugin', 'install-service', '--root', root, '--socket', '/run/docker/plugins/chalkfs.sock');
    expect(stdout).toBe(
      `wrote ${unit} and ${envFile} (mode 0600: AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL_S3, AWS_SECRET_ACCESS_KEY, CHALKFS_BUCKET, CHALKFS_HOME, HOME, PATH)\n` +
        `--root ${root}: not enabled; to enable it on a host with systemd: systemctl daemon-reload && systemctl enable --now chalkfs-plugin.service\n`,
    );
    const unitText = await readFile(unit, 'utf8');
    expect(unitText).toContain('\nBefore=docker.service\n');
    expect(unitText).toContain(`\nExecStart=${process.execPath} ${cliEntry()} plugin --socket /run/docker/plugins/chalkfs.sock\n`);
    expect(unitText).toContain('\nEnvironmentFile=/etc/chalkfs/plugin.env\n'); // the path on the installed system
    expect(unitText).not.toContain('secret-key');
    expect((await stat(unit)).mode & 0o777).toBe(0o644);
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    const envText = await readFile(envFile, 'utf8');
    expect(envText).toContain('\nAWS_SECRET_ACCESS_KEY="secret-key-\\"quoted\\""\n');
    expect(envText).toContain('\nCHALKFS_HOME="/var/lib/chalkfs-test"\n');
    expect(envText).not.toContain('SOMETHING_ELSE');

    const removed = await chalkfs('plugin', 'uninstall-service', '--root', root);
    expect(removed.stdout).toMatch(`removed ${unit} and ${envFile}\n`);
    expect(existsSync(unit)).toBe(false);
    expect(existsSync(envFile)).toBe(false);
    expect(existsSync(join(root, 'stale'))).toBe(true);
  });

  it('--json says what install-service wrote (or would write, with --dry-run) and what uninstall-service removed', async () => {
    const { root, unit, envFile } = await tempRoot();
    const variables = ['AWS_ACCESS_KEY_ID', 'AWS_ENDPOINT_URL_S3', 'AWS_SECRET_ACCESS_KEY', 'CHALKFS_BUCKET', 'CHALKFS_HOME', 'HOME', 'PATH'];
    const dry = JSON.parse((await chalkfs('plugin', 'install-service', '--root', root, '--dry-run', '--json')).stdout);
    expect(dry).toMatchObject({ dryRun: true, environmentPath: '/etc/chalkfs/plugin.env', variables });
    expect(dry.unit).toContain('\nBefore=docker.service\n');
    expect(existsSync(unit)).toBe(false);
    const installed = JSON.parse((await chalkfs('plugin', 'install-service', '--root', root, '--json')).stdout);
    expect(installed).toMatchObject({ unitPath: unit, environmentPath: envFile, variables });
    expect(installed.systemd).toMatch(/^--root /);
    expect(JSON.parse((await chalkfs('plugin', 'uninstall-service', '--root', root, '--json')).stdout)).toMatchObject({ unitPath: unit, environmentPath: envFile });
    expect(existsSync(unit)).toBe(false);
  });

  it('makes an existing, readable environment file 0600 again when it rewrites it', async () => {
    const { root, envFile } = await tempRoot();
    await chalkfs('plugin', 'install-service', '--root', root);
    await chmod(envFile, 0o644);
    await chalkfs('plugin', 'install-service', '--root', root);
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
  });

  it('--dry-run prints the unit and the kept variable names, writes nothing, and shows no value', async () => {
    const { root, unit } = await tempRoot();
    const { stdout } = await chalkfs('plugin', 'install-service', '--root', root, '--dry-run', '--cache-dir', '/var/cache/chalkfs');
    expect(stdout).toMatch(/^# Written by `chalkfs plugin install-service`/);
    expect(stdout).toContain(' plugin --socket /run/docker/plugins/chalkfs.sock --cache-dir /var/cache/chalkfs\n');
    expect(stdout).toContain('# /etc/chalkfs/plugin.env (mode 0600) keeps AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL_S3, AWS_SECRET_ACCESS_KEY, CHALKFS_BUCKET, CHALKFS_HOME, HOME, PATH\n');
    expect(stdout).not.toContain('secret-key');
    expect(existsSync(unit)).toBe(false);
  });

  it('refuses a socket path the unit cannot carry as it is, with exit status 2', async () => {
    const { root } = await tempRoot();
    const err = (await chalkfs('plugin', 'install-service', '--root', root, '--socket', '/run/my plugin.sock').catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/^chalkfs: socket path "\/run\/my plugin.sock" for the service must be absolute/);
  });
});
