// The mount's lock helper starts at its first use, once, and a stop ends whatever was
// started. Against a fake helper: the real one is a worker thread on a FUSE mount,
// exercised by the follower and journal-less integration tests.
import { describe, expect, it } from 'vitest';
import { OnDemandLockHelper, type LockHelper } from '../../chalkfs/host/on-demand-lock-helper.js';
import { isChalkError } from '../../chalkfs/util/chalk-error.js';

const wait = { timeoutMs: 100, retryMs: 1 };

function fakeHelper(tid: number): LockHelper & { stops: number } {
  return {
    stops: 0,
    isHelper: (pid) => pid === tid,
    hold: async () => ({ held: true, waitedMs: 0, release: () => undefined }),
    exclusiveHeld: async (path) => path.endsWith('busy.db'),
    async stop() {
      this.stops++;
    },
  };
}

/** A start the test finishes by hand, counting how often it was asked for. */
function manualStart() {
  const calls: { resolve: (helper: LockHelper) => void; reject: (err: Error) => void }[] = [];
  const start = () => new Promise<LockHelper>((resolve, reject) => void calls.push({ resolve, reject }));
  return { calls, start };
}

describe('OnDemandLockHelper', () => {
  it('starts nothing until used, and a stop then starts nothing either', async () => {
    const { calls, start } = manualStart();
    const helper = new OnDemandLockHelper(start);
    expect(helper.isHelper(1234)).toBe(false);
    await helper.stop();
    expect(calls).toHaveLength(0);
  });

  it('starts once for uses that come together, then answers for the started helper', async () => {
    const { calls, start } = manualStart();
    const helper = new OnDemandLockHelper(start);
    const probes = [helper.exclusiveHeld('/m/busy.db'), helper.exclusiveHeld('/m/free.db')];
    const hold = helper.hold('/m/a.db', 'rollback', wait);
    expect(calls).toHaveLength(1);
    expect(helper.isHelper(77)).toBe(false);
    calls[0]!.resolve(fakeHelper(77));
    expect(await Promise.all(probes)).toEqual([true, false]);
    expect((await hold).held).toBe(true);
    expect(helper.isHelper(77)).toBe(true);
    expect(helper.isHelper(78)).toBe(false);
    await helper.exclusiveHeld('/m/busy.db');
    expect(calls).toHaveLength(1);
  });

  it('fails the uses of a start that failed, with its cause, and starts again at the next use', async () => {
    const { calls, start } = manualStart();
    const helper = new OnDemandLockHelper(start);
    const first = helper.exclusiveHeld('/m/busy.db');
    calls[0]!.reject(new Error('no worker'));
    const err: unknown = await first.catch((e: unknown) => e);
    expect(isChalkError(err) && err.kind).toBe('io');
    expect((err as Error).cause).toEqual(new Error('no worker'));
    const second = helper.exclusiveHeld('/m/busy.db');
    expect(calls).toHaveLength(2);
    calls[1]!.resolve(fakeHelper(5));
    expect(await second).toBe(true);
  });

  it('a stop during the start stops the helper once started; later uses fail', async () => {
    const { calls, start } = manualStart();
    const helper = new OnDemandLockHelper(start);
    const use = helper.exclusiveHeld('/m/free.db');
    const stopped = helper.stop();
    const fake = fakeHelper(9);
    calls[0]!.resolve(fake);
    await stopped;
    await use;
    expect(fake.stops).toBe(1);
    const later: unknown = await helper.hold('/m/a.db', 'rollback', wait).catch((e: unknown) => e);
    expect(isChalkError(later) && later.message).toMatch(/stopped/);
    expect(calls).toHaveLength(1);
  });
});
