// The daemon as a process. `chalkfs mount` forks the CLI again with `--foreground
// --notify-parent`; the child runs serveMountProcess, which tells the parent over IPC
// that the mount is ready (with its record) or why it failed (with the error's kind, so
// the parent exits 1 or 2 as the daemon would have), then disconnects and serves until
// unmounted or signalled. awaitDaemonReady is the parent's side of that exchange.
import type { ChildProcess } from 'node:child_process';
import { ChalkError, isChalkError, type ErrorKind } from '../util/chalk-error.js';
import type { MountDaemonOptions } from './mount-daemon.js';
import type { MountRecord } from './mount-records.js';

type DaemonMessage = { type: 'ready'; record: MountRecord } | { type: 'error'; message?: string; kind?: ErrorKind };

const readyTimeoutMs = 60_000;

/**
 * Node options the daemon runs with (before the CLI entry on its command line; V8 reads
 * heap sizes only at start, and refuses this one in NODE_OPTIONS).
 *
 * Why a 256 MiB initial old generation: the daemon's JS heap is small (about 15 MiB live)
 * while it allocates fast (a block's objects per MB moved). V8 then sizes the old
 * generation's limit at twice the live size, which leaves less room than the young
 * generation's 16 MiB, and counts that as being near the limit: it ran a full mark-compact
 * every 10-40 MB of a bulk copy (6-24 per 256 MiB), about a fifth of the daemon's CPU.
 * With this floor only the external-memory trigger is left (one per 64 MiB of block
 * buffers: 3-4 per 256 MiB), and the daemon's CPU per MB of copy-in fell from 4.44 ms to
 * 3.39 (medians of 16 alternating copies), at 40 MB more resident memory after 1 GiB
 * (docs/BENCHMARKS.md, bulk bytes part 10).
 */
export const DAEMON_NODE_OPTIONS: readonly string[] = ['--initial-old-space-size=256'];

/** Serves the mount in this process until it is unmounted, then exits 0. */
export async function serveMountProcess(options: MountDaemonOptions & { notifyParent: boolean }): Promise<void> {
  const { logger, notifyParent } = options;
  if (notifyParent) {
    // The daemon's stdout and stderr are its log file too: a full disk there must not kill it.
    process.stdout.on('error', () => undefined);
    process.stderr.on('error', () => undefined);
  }
  const notify = (message: DaemonMessage) => process.send?.(message);
  let running;
  try {
    // Loaded here, inside the try, for two reasons: the parent (awaitDaemonReady) imports
    // this module and need not load the daemon's stack, ~340 ms of the CLI's start; and a
    // stack that fails to load (a missing native binding) is reported like any mount failure.
    const { runMountDaemon } = await import('./mount-daemon.js');
    running = await runMountDaemon(options);
  } catch (err) {
    logger.error({ err }, 'mount failed');
    logger.flush();
    if (notifyParent) {
      notify({ type: 'error', message: (err as Error).message, kind: isChalkError(err) ? err.kind : 'io' });
      if (process.connected) process.disconnect?.();
      process.exitCode = 1;
      return;
    }
    throw err;
  }
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => void running.shutdown(signal).catch(() => undefined));
  }
  if (notifyParent) {
    notify({ type: 'ready', record: running.record });
    if (process.connected) process.disconnect?.();
  } else {
    process.stderr.write(`mounted ${options.volumeRef} at ${running.record.mountpoint} (${running.record.mode}); Ctrl-C to unmount\n`);
  }
  await running.done;
  logger.flush();
  process.exit(0);
}

/**
 * Waits for a forked daemon's ready message; throws a ChalkError of the daemon's own kind
 * (a store failure is a runtime failure, bad input a usage error) if it failed, exited
 * or stayed silent for a minute (then it is killed).
 */
export async function awaitDaemonReady(child: ChildProcess, logFile: string): Promise<MountRecord> {
  const outcome = await new Promise<DaemonMessage>((resolvePromise) => {
    const timer = setTimeout(() => resolvePromise({ type: 'error', message: `the mount daemon did not become ready within ${readyTimeoutMs / 1000} s (log: ${logFile})` }), readyTimeoutMs);
    child.on('message', (m: DaemonMessage) => {
      clearTimeout(timer);
      resolvePromise(m);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ type: 'error', message: `the mount daemon exited (code ${code}) before it was ready; see ${logFile}` });
    });
  });
  child.unref();
  // The daemon disconnects right after its message; by now it may have (then this throws).
  if (child.connected) child.disconnect();
  if (outcome.type !== 'ready') {
    if (child.exitCode === null && outcome.message?.includes('did not become ready')) child.kill('SIGKILL');
    throw new ChalkError(outcome.kind ?? 'io', outcome.message ?? 'mount failed');
  }
  return outcome.record;
}
