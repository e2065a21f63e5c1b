// The multi-host tests' child wrapper (test/support/multihost-children.ts): a child whose
// exit code is already set may still have lines on their way through its stdout pipe.
// Seen: sqlite-locks-load failed with "child exited (0)" although the child had printed
// its summary before exiting.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { JsonChild } from '../support/multihost-children.js';

/** A stand-in child process: its exit code and its output arrive in the order a test says. */
function fakeChild(): { child: ChildProcess; stdout: PassThrough; stderr: PassThrough; exit: (code: number) => void } {
  const emitter = new EventEmitter() as unknown as ChildProcess & { exitCode: number | null; signalCode: NodeJS.Signals | null; pid: number };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  Object.assign(emitter, { stdout, stderr, exitCode: null, signalCode: null, pid: 4242 });
  return { child: emitter, stdout, stderr, exit: (code) => Object.assign(emitter, { exitCode: code }) };
}

describe('JsonChild', () => {
  it('finds a line that arrives after the exit code is set but before the child closes', async () => {
    const { child, stdout, stderr, exit } = fakeChild();
    const json = new JsonChild(child);
    exit(0);
    const found = json.waitForLine('the summary', 5_000, (l) => l.type === 'summary');
    await new Promise((r) => setTimeout(r, 120)); // a few polls see the exit code and no line
    stdout.end(JSON.stringify({ type: 'summary', reads: 3 }) + '\n');
    stderr.end();
    await new Promise((r) => setImmediate(r));
    child.emit('close', 0, null);
    await expect(found).resolves.toMatchObject({ type: 'summary', reads: 3 });
    await expect(json.exited).resolves.toBe(0);
  });

  it('gives up on a line once the child has closed without printing it', async () => {
    const { child, stdout, stderr, exit } = fakeChild();
    const json = new JsonChild(child);
    stderr.end('boom\n');
    stdout.end();
    exit(1);
    child.emit('close', 1, null);
    await expect(json.waitForLine('the summary', 5_000, (l) => l.type === 'summary')).rejects.toThrow(/exited \(1\): boom/);
  });
});
