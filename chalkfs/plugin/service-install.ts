/*
 * `chalkfs plugin install-service` and `uninstall-service`: writes (removes) the unit
 * and its environment file (service-unit.ts), then has systemd load and start (stop) it.
 * Where systemd is not the init system, or under --root DIR (a package's staging tree,
 * the tests), the files are written and the result says what to run instead: systemctl
 * cannot act then.
 */
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { initProcessName, systemctl, systemdRunning } from '../host/systemd.js';
import { ENVIRONMENT_PATH, SERVICE_NAME, UNIT_PATH } from './service-unit.js';

export interface ServiceFiles {
  unit: string;
  environment: string;
}

export interface ServiceOutcome {
  /** The files, as written under the root. */
  unitPath: string;
  environmentPath: string;
  /** What happened with systemd, one line. */
  systemd: string;
}

/** `root` is "/" or a staging directory: systemctl runs only for "/". */
export async function installService(root: string, files: ServiceFiles): Promise<ServiceOutcome> {
  const unitPath = join(root, UNIT_PATH);
  const environmentPath = join(root, ENVIRONMENT_PATH);
  await mkdir(dirname(environmentPath), { recursive: true, mode: 0o755 });
  // 0600 from the first byte: written to a temp file of that mode, then renamed over.
  await writeFile(`${environmentPath}.tmp`, files.environment, { mode: 0o600 });
  await chmod(`${environmentPath}.tmp`, 0o600);
  await rename(`${environmentPath}.tmp`, environmentPath);
  await mkdir(dirname(unitPath), { recursive: true, mode: 0o755 });
  await writeFile(`${unitPath}.tmp`, files.unit, { mode: 0o644 });
  await rename(`${unitPath}.tmp`, unitPath);
  const enable = `systemctl daemon-reload && systemctl enable --now ${SERVICE_NAME}`;
  const why = whySystemctlCannotRun(root);
  if (why) {
    const here = root === '/' ? '; here run `chalkfs plugin` in the foreground instead' : '';
    return { unitPath, environmentPath, systemd: `${why}: not enabled; to enable it on a host with systemd: ${enable}${here}` };
  }
  await systemctl(['daemon-reload']);
  await systemctl(['enable', '--now', SERVICE_NAME]);
  return { unitPath, environmentPath, systemd: `enabled and started ${SERVICE_NAME} (${enable})` };
}

export async function uninstallService(root: string): Promise<ServiceOutcome> {
  const unitPath = join(root, UNIT_PATH);
  const environmentPath = join(root, ENVIRONMENT_PATH);
  const why = whySystemctlCannotRun(root);
  // Stops the plugin only: KillMode=process leaves the mounts containers still use.
  if (!why) await systemctl(['disable', '--now', SERVICE_NAME]);
  await rm(unitPath, { force: true });
  await rm(environmentPath, { force: true });
  if (!why) await systemctl(['daemon-reload']);
  return {
    unitPath,
    environmentPath,
    systemd: why ? `${why}: if it runs as a service elsewhere, there: systemctl disable --now ${SERVICE_NAME}` : `stopped and disabled ${SERVICE_NAME}`,
  };
}

function whySystemctlCannotRun(root: string): string | undefined {
  if (root !== '/') return `--root ${root}`;
  if (!systemdRunning()) return `systemd is not running on this host (PID 1 is ${initProcessName()})`;
  return undefined;
}
