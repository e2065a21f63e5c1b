/*
 * A small parser for the Prometheus text format, enough to read the chalkfs daemon's own
 * counters (store requests, FUSE ops, cache hits) in targets/chalkfs-target.ts.
 */
/** One sample of a Prometheus text exposition. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/**
 * Sums the samples of counters whose name matches `name`, keyed by the first of
 * `labelKeys` present (e.g. op, operation, type). Histogram buckets are skipped; the
 * `_count` series of a histogram counts like a counter.
 */
export function countsByLabel(samples: PromSample[], name: RegExp, labelKeys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (!name.test(s.name) || s.name.endsWith('_bucket') || s.name.endsWith('_sum')) continue;
    const key = labelKeys.map((k) => s.labels[k]).find((v) => v !== undefined) ?? 'all';
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}
