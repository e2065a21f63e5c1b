// The daemon's malloc thresholds (native/src/allocator.cc, chalkfs/host/memory-allocator.ts).
// A child process churns 1 MiB buffers the way the daemon does in a bulk copy: each new
// block joins a memory tier of 128 blocks and evicts the oldest, and the collector frees
// the evicted ones in bursts. With glibc's default thresholds the next blocks are fresh
// pages the kernel faults in (and zeroes); with the daemon's thresholds they reuse the
// freed memory. Page faults are counted, not timed; the child's collector runs on its one
// thread (--single-threaded-gc), so buffers are freed inside gc(), not whenever a
// background sweeper gets to them (under load that left the heap growing, and faulting).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES, tuneMemoryAllocator } from '../../chalkfs/host/memory-allocator.js';
import { loadNativeAddon, nativeAddonPath } from '../../chalkfs/util/native-addon.js';

const churn = `
const { readFileSync } = require('node:fs');
const [addonPath, mmap, trim] = process.argv.slice(1);
const tuned = mmap === undefined ? null : require(addonPath).allocator.tune(Number(mmap), Number(trim));
const faults = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7]);
const tier = [];
const blocks = (n) => {
  for (let i = 0; i < n; i++) {
    tier.push(Buffer.allocUnsafeSlow(1 << 20).fill(i));
    if (tier.length > 128) tier.shift();
    if (i % 32 === 31) globalThis.gc();
  }
};
blocks(256);
const before = faults();
blocks(512);
process.stdout.write(JSON.stringify({ tuned, faultsPerBlock: (faults() - before) / 512 }));
`;

function faultsPerBlock(thresholds?: [number, number]): { tuned: boolean | null; faultsPerBlock: number } {
  const args = ['--expose-gc', '--single-threaded-gc', '-e', churn, nativeAddonPath, ...(thresholds ?? []).map(String)];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 })) as { tuned: boolean | null; faultsPerBlock: number };
}

describe('the daemon malloc thresholds', () => {
  it('keep freed block buffers for the next ones instead of faulting in fresh pages', () => {
    // A 1 MiB block is 256 pages. The default run shows the probe exercises the problem.
    const byDefault = faultsPerBlock();
    const tuned = faultsPerBlock([MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES]);
    const seen = JSON.stringify({ byDefault, tuned });
    expect(tuned.tuned, seen).toBe(true);
    expect(byDefault.faultsPerBlock, seen).toBeGreaterThan(8);
    expect(tuned.faultsPerBlock, seen).toBeLessThan(2);
  });

  it('refuses thresholds glibc would reject, with a clear error', () => {
    const { allocator } = loadNativeAddon<{ allocator: { tune(a: unknown, b: unknown): boolean } }>();
    expect(() => allocator.tune(64 << 20, 1 << 20)).toThrow(/mmap 1\.\.32 MiB/);
    expect(() => allocator.tune(0, 1 << 20)).toThrow(RangeError);
    expect(() => allocator.tune('1MiB', 1 << 20)).toThrow(/takes two numbers/);
  });

  it('are set by the module the daemon calls (glibc here)', () => {
    expect(tuneMemoryAllocator()).toBe(true);
  });
});
