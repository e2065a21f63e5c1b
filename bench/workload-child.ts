/*
 * Child-process entry: `node workload-child.js '<spec json>'`. Prints one JSON line,
 * {ok: true, result} or {ok: false, error}, so the parent can report a failed workload
 * as "n/a: <reason>" instead of aborting the run.
 */
import { runWorkload } from './sqlite-workloads.js';
import type { WorkloadSpec } from './workload-spec.js';

try {
  const spec = JSON.parse(process.argv[2] ?? '') as WorkloadSpec;
  const result = runWorkload(spec);
  process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  process.stdout.write(`${JSON.stringify({ ok: false, error: `${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}` })}\n`);
  process.exitCode = 1;
}
