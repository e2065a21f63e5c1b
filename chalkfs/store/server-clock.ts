// How far this host's clock is from the store's, from the HTTP Date header of its answers
// (`chalkfs doctor`: leases compare times written by different hosts, lease-rules.ts).
// A Date header has whole seconds: the server's clock read somewhere between its value
// and one second later, at some instant between our send and our receipt. So one answer
// bounds the offset to an interval a little over a second wide; answers taken at
// different fractions of our second narrow it (the intersection), as htpdate does.
import { setTimeout as sleep } from 'node:timers/promises';

export interface DateSample {
  /** Our clock when the request left and when the answer arrived (ms since the epoch). */
  sentMs: number;
  receivedMs: number;
  /** The answer's Date header (ms since the epoch, a whole second). */
  serverDateMs: number;
}

/** Bounds on (store clock - our clock), in ms: the store is `lowMs` to `highMs` ahead. */
export interface ClockOffset {
  lowMs: number;
  highMs: number;
  samples: number;
}

export function clockOffset(samples: readonly DateSample[]): ClockOffset {
  let lowMs = Number.NEGATIVE_INFINITY;
  let highMs = Number.POSITIVE_INFINITY;
  for (const s of samples) {
    lowMs = Math.max(lowMs, s.serverDateMs - s.receivedMs);
    highMs = Math.min(highMs, s.serverDateMs + 1000 - s.sentMs);
  }
  // Samples that disagree (a clock stepped meanwhile): fall back to their whole span.
  if (lowMs > highMs) {
    lowMs = Math.min(...samples.map((s) => s.serverDateMs - s.receivedMs));
    highMs = Math.max(...samples.map((s) => s.serverDateMs + 1000 - s.sentMs));
  }
  return { lowMs, highMs, samples: samples.length };
}

/** The offset's smallest possible size: 0 when the bounds straddle zero. */
export function leastSkewMs(offset: ClockOffset): number {
  return offset.lowMs > 0 ? offset.lowMs : offset.highMs < 0 ? -offset.highMs : 0;
}

/** The offset's largest possible size. */
export function mostSkewMs(offset: ClockOffset): number {
  return Math.max(Math.abs(offset.lowMs), Math.abs(offset.highMs));
}

/**
 * Takes `count` samples spread over a little more than a second of our clock, so their
 * send times fall at different fractions of the store's second.
 */
export async function measureClockOffset(sample: () => Promise<DateSample>, count = 8): Promise<ClockOffset> {
  const samples: DateSample[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await sleep(Math.round(1100 / count));
    samples.push(await sample());
  }
  return clockOffset(samples);
}
