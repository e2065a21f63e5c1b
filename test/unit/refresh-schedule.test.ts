// vfs/refresh-schedule.ts: a reader polls at the active interval while the volume changes
// and backs off to the idle one when it does not.
import { describe, expect, it } from 'vitest';
import { RefreshSchedule } from '../../chalkfs/vfs/refresh-schedule.js';

describe('RefreshSchedule', () => {
  it('polls at the active interval while the volume changes, then backs off to the idle interval', () => {
    let now = 0;
    const schedule = new RefreshSchedule(250, 1000, 10_000, () => now);
    expect(schedule.nextDelayMs()).toBe(250);
    now = 9_999;
    expect(schedule.nextDelayMs()).toBe(250);
    now = 10_000;
    expect([schedule.nextDelayMs(), schedule.nextDelayMs(), schedule.nextDelayMs(), schedule.nextDelayMs()]).toEqual([500, 1000, 1000, 1000]);
    schedule.sawChange();
    expect(schedule.nextDelayMs()).toBe(250);
    now = 30_000;
    expect(schedule.nextDelayMs()).toBe(500);
  });

  it('never polls less often than the active interval when the idle one is shorter', () => {
    let now = 0;
    const schedule = new RefreshSchedule(500, 100, 0, () => now);
    now = 1;
    expect(schedule.nextDelayMs()).toBe(500);
  });
});
