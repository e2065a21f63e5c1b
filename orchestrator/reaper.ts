import { hostname } from 'node:os';
import { ORCHESTRATOR_LABEL, OWNER_HOST_LABEL, OWNER_PID_LABEL } from './container.js';
import { DockerEngine } from './docker-engine.js';

/**
 * Removes containers the orchestrator created for a process that no longer exists (a
 * test run or demo that crashed or was killed before it could stop them). Containers of
 * live processes, and of other hosts sharing the engine, are left alone unless `all`.
 */
export async function reapOrphanContainers(options: { engine?: DockerEngine; all?: boolean } = {}): Promise<string[]> {
  const engine = options.engine ?? DockerEngine.default();
  const containers = await engine.listContainers({ labels: { [ORCHESTRATOR_LABEL]: '1' } });
  const removed: string[] = [];
  for (const c of containers) {
    const pid = Number(c.labels[OWNER_PID_LABEL]);
    const sameHost = c.labels[OWNER_HOST_LABEL] === hostname();
    const orphan = options.all || (sameHost && !(Number.isInteger(pid) && pid > 0 && processAlive(pid)));
    if (!orphan) continue;
    await engine.removeContainer(c.id);
    removed.push(c.name);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
