// plugin/service-unit.ts: the systemd unit of the plugin service and its environment file.
import { describe, expect, it } from 'vitest';
import { renderEnvironmentFile, renderUnit, serviceEnvironment } from '../../chalkfs/plugin/service-unit.js';

const spec = { nodePath: '/usr/bin/node', cliEntry: '/opt/chalkfs/dist/chalkfs/cli/main.js', socketPath: '/run/docker/plugins/chalkfs.sock', environmentFile: '/etc/chalkfs/plugin.env' };

/** The value of each `Key=` line, by key (repeated keys: every value). */
function directives(unit: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of unit.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) (out[m[1]!] ??= []).push(m[2]!);
  }
  return out;
}

describe('renderUnit', () => {
  it('passes --metrics-addr on to the plugin when given', () => {
    expect(directives(renderUnit({ ...spec, metricsAddr: '127.0.0.1:9571' })).ExecStart).toEqual(['/usr/bin/node /opt/chalkfs/dist/chalkfs/cli/main.js plugin --socket /run/docker/plugins/chalkfs.sock --metrics-addr 127.0.0.1:9571']);
  });

  it('runs `chalkfs plugin` before docker.service, restarts it on failure, and kills only the plugin process', () => {
    const unit = renderUnit(spec);
    expect(unit.split('\n').filter((l) => l.startsWith('['))).toEqual(['[Unit]', '[Service]', '[Install]']);
    expect(directives(unit)).toMatchObject({
      Before: ['docker.service'],
      Restart: ['on-failure'],
      KillMode: ['process'],
      EnvironmentFile: ['/etc/chalkfs/plugin.env'],
      ExecStart: ['/usr/bin/node /opt/chalkfs/dist/chalkfs/cli/main.js plugin --socket /run/docker/plugins/chalkfs.sock'],
      ExecStartPost: ["/bin/sh -c 'until [ -S /run/docker/plugins/chalkfs.sock ]; do sleep 0.1; done'"],
      WantedBy: ['multi-user.target'],
    });
    expect(unit).not.toMatch(/^Environment=/m); // settings and keys only in the 0600 file
  });

  it('quotes words systemd would split or expand, and refuses a socket path the shell would', () => {
    const unit = renderUnit({ ...spec, cliEntry: '/opt/my chalkfs/100%/$x/main.js', cacheDir: '/var/cache/chalk fs' });
    expect(directives(unit).ExecStart).toEqual(['/usr/bin/node "/opt/my chalkfs/100%%/$$x/main.js" plugin --socket /run/docker/plugins/chalkfs.sock --cache-dir "/var/cache/chalk fs"']);
    expect(() => renderUnit({ ...spec, socketPath: '/run/my plugin.sock' })).toThrow(/socket path .* must be absolute/);
    expect(() => renderUnit({ ...spec, socketPath: 'relative.sock' })).toThrow(/must be absolute/);
  });
});

describe('serviceEnvironment and renderEnvironmentFile', () => {
  it('keeps the store settings, HOME and PATH, and makes CHALKFS_HOME explicit', () => {
    const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_PROFILE: 'prod', AWS_SECRET_ACCESS_KEY: 's', CHALKFS_BUCKET: 'b/p', HOME: '/root', PATH: '/usr/bin', TERM: 'xterm', SSH_AUTH_SOCK: '/tmp/agent' };
    expect(Object.entries(serviceEnvironment({ ...env, CHALKFS_HOME: '/elsewhere' }, '/var/lib/chalkfs'))).toEqual(Object.entries({ AWS_PROFILE: 'prod', AWS_SECRET_ACCESS_KEY: 's', CHALKFS_BUCKET: 'b/p', CHALKFS_HOME: '/var/lib/chalkfs', HOME: '/root', PATH: '/usr/bin' }));
  });

  it('writes KEY="VALUE" lines with systemd\'s escapes, and refuses what the format cannot hold', () => {
    const text = renderEnvironmentFile({ A: 'plain', B: 'with "quotes" \\ $HOME `x`' });
    expect(text.split('\n').slice(1)).toEqual(['A="plain"', 'B="with \\"quotes\\" \\\\ \\$HOME \\`x\\`"', '']);
    expect(() => renderEnvironmentFile({ A: 'two\nlines' })).toThrow(/line break/);
    expect(() => renderEnvironmentFile({ 'A-B': 'x' })).toThrow(/cannot go into a systemd EnvironmentFile/);
  });
});
