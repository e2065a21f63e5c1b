/*
 * Cleanup of what crashed runs left behind: the orchestrator's containers whose owning
 * process is gone. The demo runs it before it starts.
 */
import { hostname } from 'node:os';
import { ORCHESTRATOR_LABEL, OWNER_HOST_LABEL, OWNER_PID_LABEL } from './container.js';
import { DockerEngine } from './docker-engine.js';
import { processAlive } from '../chalkfs/index.js';

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
    const orphan = options.all || (sameHost && !processAlive(pid));
    if (!orphan) continue;
    await engine.removeContainer(c.id);
    removed.push(c.name);
  }
  return removed;
}
