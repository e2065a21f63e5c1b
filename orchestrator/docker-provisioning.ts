/*
 * Starting and stopping the local Docker engine is done by the two shell scripts in
 * scripts/ (one implementation, usable by hand); these wrappers let the demo and the
 * tests call them and know whether they started the engine.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../chalkfs/index.js';
import { OrchestratorError } from './orchestrator-error.js';

const pidFile = (env: NodeJS.ProcessEnv): string => join(env.CHALKFS_DOCKERD_STATE_DIR ?? '/run/chalkfs', 'dockerd.pid');

export interface EnsuredEngine {
  /** True when no engine was running and this call started dockerd. */
  started: boolean;
  /** What the script printed (progress lines), for the caller to show or log. */
  output: string;
}

export async function ensureDockerEngine(env: NodeJS.ProcessEnv = process.env): Promise<EnsuredEngine> {
  const hadPidFile = existsSync(pidFile(env));
  const output = await runScript('provision-docker.sh', env);
  return { started: !hadPidFile && existsSync(pidFile(env)), output };
}

/** Stops dockerd only if scripts/provision-docker.sh started it. */
export async function stopDockerEngine(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return runScript('stop-docker.sh', env);
}

function runScript(name: string, env: NodeJS.ProcessEnv): Promise<string> {
  const script = join(projectRoot, 'scripts', name);
  return new Promise((resolve, reject) => {
    execFile('bash', [script], { env, timeout: 180_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (!err) return resolve(output);
      reject(new OrchestratorError('engine-unreachable', `scripts/${name} failed: ${output.split('\n').slice(-3).join(' | ') || err.message}`, { cause: err }));
    });
  });
}
