// cache/keyed-task-queue.ts: order, bounded concurrency, one entry per key, a full queue
// refusing, and failures that do not stop the queue.
import { describe, expect, it } from 'vitest';
import { KeyedTaskQueue } from '../../chalkfs/cache/keyed-task-queue.js';

/** A task that records when it starts and finishes only when released. */
function gate() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { done, release };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedTaskQueue', () => {
  it('starts tasks in the order added, never more than the concurrency at once', async () => {
    const q = new KeyedTaskQueue(2);
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof gate>>();
    for (const key of ['a', 'b', 'c', 'd']) {
      gates.set(key, gate());
      q.add(key, async () => {
        started.push(key);
        await gates.get(key)!.done;
      });
    }
    await tick();
    expect(started).toEqual(['a', 'b']);
    expect(q.runningCount).toBe(2);
    gates.get('b')!.release();
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    gates.get('a')!.release();
    gates.get('c')!.release();
    gates.get('d')!.release();
    await q.idle();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    expect(q.size).toBe(0);
  });

  it('queues a key once while it is queued or running, and again after it finished', async () => {
    const q = new KeyedTaskQueue(1);
    let runs = 0;
    const g = gate();
    expect(q.add('x', async () => { runs++; await g.done; })).toBe(true);
    expect(q.add('x', async () => { runs++; })).toBe(false);
    await tick();
    expect(q.has('x')).toBe(true);
    expect(q.add('x', async () => { runs++; })).toBe(false);
    g.release();
    await q.idle();
    expect(q.has('x')).toBe(false);
    expect(q.add('x', async () => { runs++; })).toBe(true);
    await q.idle();
    expect(runs).toBe(2);
  });

  it('refuses new keys when the queue is full, not counting running tasks', async () => {
    const q = new KeyedTaskQueue(1, 2);
    const g = gate();
    expect(q.add('running', () => g.done)).toBe(true);
    await tick();
    expect(q.add('q1', async () => undefined)).toBe(true);
    expect(q.add('q2', async () => undefined)).toBe(true);
    expect(q.add('q3', async () => undefined)).toBe(false);
    g.release();
    await q.idle();
  });

  it('reports a failed task and goes on with the next', async () => {
    const errors: string[] = [];
    const q = new KeyedTaskQueue(1, Infinity, (err, key) => errors.push(`${key}: ${(err as Error).message}`));
    let ran = false;
    q.add('bad', async () => {
      throw new Error('boom');
    });
    q.add('good', async () => {
      ran = true;
    });
    await q.idle();
    expect(errors).toEqual(['bad: boom']);
    expect(ran).toBe(true);
  });

  it('never runs a task inside add(), and idle() resolves at once when empty', async () => {
    const q = new KeyedTaskQueue(1);
    await q.idle();
    let ran = false;
    q.add('k', async () => {
      ran = true;
    });
    expect(ran).toBe(false);
    await q.idle();
    expect(ran).toBe(true);
    expect(() => new KeyedTaskQueue(0)).toThrow(RangeError);
  });
});
