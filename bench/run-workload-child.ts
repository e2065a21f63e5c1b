/*
 * Runs one workload in a fresh Node process (workload-child.ts) and reads its one-line JSON
 * answer. A kill after the timeout turns a hung mount into an n/a cell instead of a hung run.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkloadResult, WorkloadSpec } from './workload-spec.js';

const childEntry = fileURLToPath(new URL('./workload-child.js', import.meta.url));

export class WorkloadFailed extends Error {}

/**
 * Runs one workload in a fresh Node process and resolves with its result. A hang (a
 * dead mount, a stuck daemon) ends with a kill after `timeoutMs` and a WorkloadFailed.
 */
export function runWorkloadChild<K extends WorkloadResult['kind']>(
  spec: WorkloadSpec,
  expect: K,
  timeoutMs: number,
): Promise<Extract<WorkloadResult, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childEntry, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new WorkloadFailed(`${spec.kind} timed out after ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      let parsed: { ok: boolean; result?: WorkloadResult; error?: string } | undefined;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      if (parsed?.ok && parsed.result?.kind === expect) return resolve(parsed.result as Extract<WorkloadResult, { kind: K }>);
      const reason = parsed?.error ?? (`exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` || 'no output');
      reject(new WorkloadFailed(reason));
    });
  });
}
