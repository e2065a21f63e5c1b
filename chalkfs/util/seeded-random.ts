// A small deterministic PRNG (mulberry32): every run and every target asks for the same
// keys in the same order, so targets are compared on identical access patterns.
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in [1, max], the primary-key range of the seeded users table. */
export function randomKeys(seed: number, max: number): () => number {
  const next = seededRandom(seed);
  return () => 1 + Math.floor(next() * max);
}
