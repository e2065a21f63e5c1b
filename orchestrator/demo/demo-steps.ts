/*
 * Bookkeeping for the demo: each step is timed and reported as it finishes, and
 * everything the demo starts registers how to undo it, so the cleanup runs in reverse
 * order whether the demo succeeds, fails or is interrupted.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The demo's timed steps and its undo list. */
export class DemoSteps {
  readonly timings: Array<{ label: string; durationMs: number }> = [];
  private readonly undo: Array<{ label: string; fn: () => Promise<void> }> = [];
  private cleaning: Promise<void> | undefined;

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  async step<T>(label: string, fn: () => Promise<T>, detail?: (result: T) => string): Promise<T> {
    const startedAt = performance.now();
    try {
      const result = await fn();
      const durationMs = performance.now() - startedAt;
      this.timings.push({ label, durationMs });
      this.out.write(`==> ${label}: ${detail ? detail(result) : 'done'} (${seconds(durationMs)})\n`);
      return result;
    } catch (err) {
      this.out.write(`==> ${label}: FAILED after ${seconds(performance.now() - startedAt)}\n`);
      throw err;
    }
  }

  /** Registers how to undo something just started; cleanup() runs these last-first. */
  onCleanup(label: string, fn: () => Promise<void>): void {
    this.undo.push({ label, fn });
  }

  /** Runs every registered undo once, even if some fail; returns the failures. */
  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      const startedAt = performance.now();
      const failures: string[] = [];
      for (const { label, fn } of this.undo.reverse()) {
        try {
          await fn();
        } catch (err) {
          failures.push(`${label}: ${(err as Error).message}`);
        }
      }
      const durationMs = performance.now() - startedAt;
      this.timings.push({ label: 'cleanup', durationMs });
      this.out.write(`==> cleanup: ${failures.length === 0 ? 'done' : `${failures.length} problem(s)`} (${seconds(durationMs)})\n`);
      for (const f of failures) this.out.write(`    ${f}\n`);
      if (failures.length > 0) process.exitCode = 1;
    })();
    return this.cleaning;
  }

  printTimings(): void {
    const width = Math.max(...this.timings.map((t) => t.label.length));
    this.out.write('\nTimings:\n');
    for (const t of this.timings) this.out.write(`  ${t.label.padEnd(width)}  ${seconds(t.durationMs).padStart(8)}\n`);
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** Bytes of all files under `dir` (0 if it does not exist): a block cache's fill level. */
export async function dirSizeBytes(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await dirSizeBytes(path);
    else if (e.isFile()) total += (await stat(path)).size;
  }
  return total;
}
