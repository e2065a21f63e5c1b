// A quantile from a Prometheus histogram's cumulative buckets, estimated as Prometheus's
// histogram_quantile() does (linear inside the bucket holding the rank), so the p99
// `chalkfs status` prints matches the one a dashboard computes from the same counts.

export interface CumulativeBucket {
  /** The bucket's upper bound (`le`); Infinity for the last. */
  le: number;
  /** Observations at or below `le`. */
  count: number;
}

/** The q-quantile (0..1), or undefined without observations. Above the last finite bound: that bound. */
export function histogramQuantile(q: number, buckets: readonly CumulativeBucket[]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of sorted) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return lowerBound;
      const inBucket = bucket.count - lowerCount;
      return inBucket === 0 ? bucket.le : lowerBound + (bucket.le - lowerBound) * ((rank - lowerCount) / inBucket);
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}
