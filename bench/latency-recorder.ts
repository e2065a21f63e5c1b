/*
 * Latency percentiles of the bench workloads, kept in an HDR histogram (hdr-histogram-js):
 * fixed memory however many samples a loop records, and percentiles without sorting them.
 */
import * as hdr from 'hdr-histogram-js';

/** Percentiles of one latency series, in microseconds. */
export interface LatencySummary {
  count: number;
  p50Us: number;
  p95Us: number;
  p99Us: number;
  meanUs: number;
  maxUs: number;
}

/**
 * Records latencies into an HDR histogram. Values are recorded in nanoseconds so that
 * 3 significant digits still resolve a 2 µs page-cache read; summaries are in µs.
 */
export class LatencyRecorder {
  private readonly histogram = hdr.build({
    bitBucketSize: 64,
    numberOfSignificantValueDigits: 3,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600e9, // 10 minutes in ns; autoResize handles outliers
    autoResize: true,
  });

  recordNs(valueNs: number | bigint): void {
    this.histogram.recordValue(Math.max(1, Number(valueNs)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  summary(): LatencySummary {
    const h = this.histogram;
    const us = (ns: number): number => round3(ns / 1000);
    return {
      count: h.totalCount,
      p50Us: us(h.getValueAtPercentile(50)),
      p95Us: us(h.getValueAtPercentile(95)),
      p99Us: us(h.getValueAtPercentile(99)),
      meanUs: us(h.mean),
      maxUs: us(h.maxValue),
    };
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Times `fn` with the monotonic clock and records it; returns what fn returned. */
export function timed<T>(recorder: LatencyRecorder, fn: () => T): T {
  const start = process.hrtime.bigint();
  const out = fn();
  recorder.recordNs(process.hrtime.bigint() - start);
  return out;
}
