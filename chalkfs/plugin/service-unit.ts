/*
 * The systemd unit that runs the Docker volume plugin as a service, and its environment
 * file (pure: text from settings). Why each line:
 *   - Before=docker.service: at boot the plugin serves before dockerd starts containers
 *     (restart policies) whose volumes it must mount; at shutdown dockerd stops first, so
 *     its Unmount calls still find the plugin.
 *   - ExecStartPost waits for the socket, so "started" means "answers": without it
 *     dockerd could start in the second before the socket exists and wait ~15 s on it.
 *   - Restart=on-failure: a crashed plugin is back within a second.
 *   - KillMode=process: the FUSE mount daemons the plugin starts live in its cgroup;
 *     stopping or restarting the plugin must not kill them (containers use them, and
 *     a restarted plugin takes them over from its reference table).
 *   - EnvironmentFile: the store settings (keys included) stay out of the unit, which is
 *     world-readable, in a file only root reads (0600).
 */
import { ChalkError } from '../util/chalk-error.js';

export interface ServiceSpec {
  /** Absolute path of node. */
  nodePath: string;
  /** Absolute path of the chalkfs CLI (dist/chalkfs/cli/main.js). */
  cliEntry: string;
  socketPath: string;
  cacheDir?: string;
  /** `chalkfs plugin --metrics-addr`: the service serves the plugin's metrics there. */
  metricsAddr?: string;
  environmentFile: string;
}

// Where a systemd host keeps a locally installed unit, and the settings beside it.
export const SERVICE_NAME = 'chalkfs-plugin.service';
export const UNIT_PATH = `/etc/systemd/system/${SERVICE_NAME}`;
export const ENVIRONMENT_PATH = '/etc/chalkfs/plugin.env';

/** Paths systemd and sh take as they are: no quoting, no specifiers, no variables. */
const PLAIN_PATH = /^\/[A-Za-z0-9_./+-]*$/;

export function renderUnit(spec: ServiceSpec): string {
  if (!PLAIN_PATH.test(spec.socketPath)) {
    throw new ChalkError('config', `socket path "${spec.socketPath}" for the service must be absolute and use only letters, digits and _ . / + -`);
  }
  const command = [spec.nodePath, spec.cliEntry, 'plugin', '--socket', spec.socketPath, ...(spec.cacheDir ? ['--cache-dir', spec.cacheDir] : []), ...(spec.metricsAddr ? ['--metrics-addr', spec.metricsAddr] : [])];
  return [
    '# Written by `chalkfs plugin install-service`; `chalkfs plugin uninstall-service` removes it.',
    '[Unit]',
    'Description=chalkfs Docker volume plugin (docker run --volume-driver chalkfs)',
    'Before=docker.service',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `EnvironmentFile=${spec.environmentFile}`,
    `ExecStart=${command.map(execArgument).join(' ')}`,
    `ExecStartPost=/bin/sh -c 'until [ -S ${spec.socketPath} ]; do sleep 0.1; done'`,
    'TimeoutStartSec=120',
    'Restart=on-failure',
    'RestartSec=1',
    'KillMode=process',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/**
 * What the service needs of the installing shell's environment: the store settings
 * (CHALKFS_*, AWS_*), HOME (~/.aws) and PATH (a MinIO binary, go), and CHALKFS_HOME
 * made explicit, so the service finds the same volumes, plugin state and embedded MinIO.
 */
export function serviceEnvironment(env: NodeJS.ProcessEnv, home: string): Record<string, string> {
  const kept: Record<string, string> = { CHALKFS_HOME: home };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || key in kept || OWN_SETTINGS.has(key)) continue;
    if (key.startsWith('CHALKFS_') || key.startsWith('AWS_') || key === 'HOME' || key === 'PATH') kept[key] = value;
  }
  return Object.fromEntries(Object.entries(kept).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Variables chalkfs sets in its own process (the S3 adapter's switch for the SDK's Node 20 warning), not the user's. */
const OWN_SETTINGS = new Set(['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']);

/** systemd's EnvironmentFile syntax: KEY="VALUE", with \ " $ ` escaped inside the quotes. */
export function renderEnvironmentFile(vars: Record<string, string>): string {
  const lines = ['# chalkfs plugin service environment (store settings and keys): mode 0600'];
  for (const [key, value] of Object.entries(vars)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new ChalkError('config', `environment variable name "${key}" cannot go into a systemd EnvironmentFile`);
    if (/[\n\r]/.test(value)) throw new ChalkError('config', `environment variable ${key} holds a line break, which a systemd EnvironmentFile cannot hold`);
    lines.push(`${key}="${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`);
  }
  return lines.join('\n') + '\n';
}

/** One word of a systemd Exec line: as it is when plain, else double-quoted with % and $ doubled. */
function execArgument(word: string): string {
  if (/^[A-Za-z0-9_./+:=-]+$/.test(word)) return word;
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}
