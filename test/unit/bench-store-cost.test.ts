// The bench's model of the store's CPU (bench/curl-store-ceiling.ts): a cost per request
// plus one per MB, fitted to the CPU MinIO spent per MB under curl's request shapes.
import { describe, expect, it } from 'vitest';
import { storeCostModel } from '../../bench/curl-store-ceiling.js';

describe('storeCostModel', () => {
  it('splits the cost per MB of two request sizes into a part per request and a part per MB', () => {
    // 1 MB requests: 2 ms/request + 3 ms/MB = 5 ms/MB; 8 MB requests: 2/8 + 3 = 3.25 ms/MB
    const fit = storeCostModel([
      { requestBytes: 1e6, msPerMB: 5 },
      { requestBytes: 8e6, msPerMB: 3.25 },
    ]);
    expect(fit?.msPerRequest).toBeCloseTo(2, 9);
    expect(fit?.msPerMB).toBeCloseTo(3, 9);
  });

  it('fits three sizes by least squares', () => {
    const exact = (mb: number) => ({ requestBytes: mb * 1e6, msPerMB: 1.5 + 0.5 / mb });
    const fit = storeCostModel([exact(1), exact(4), exact(8)]);
    expect(fit?.msPerRequest).toBeCloseTo(0.5, 9);
    expect(fit?.msPerMB).toBeCloseTo(1.5, 9);
  });

  it('needs two distinct sizes with a measured cost', () => {
    expect(storeCostModel([{ requestBytes: 1e6, msPerMB: 5 }])).toBeUndefined();
    expect(storeCostModel([{ requestBytes: 1e6, msPerMB: 5 }, { requestBytes: 1e6, msPerMB: 4 }])).toBeUndefined();
    expect(storeCostModel([{ requestBytes: 1e6, msPerMB: 5 }, { requestBytes: 8e6, msPerMB: undefined }])).toBeUndefined();
  });

  it('clamps a tilt below zero: larger requests measured dearer (noise) cost nothing per request', () => {
    const fit = storeCostModel([
      { requestBytes: 1e6, msPerMB: 3 },
      { requestBytes: 8e6, msPerMB: 3.5 },
    ]);
    expect(fit?.msPerRequest).toBe(0);
    expect(fit?.msPerMB).toBeGreaterThan(3);
  });
});
