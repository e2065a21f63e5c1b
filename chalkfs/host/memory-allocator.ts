// The C library's allocator thresholds for a daemon that moves block-sized buffers
// (native/src/allocator.cc has the why): a fixed mmap threshold of 32 MiB, so a block is
// never an mmap of its own, and a trim threshold of 128 MiB, so memory freed in one burst
// of V8's collector serves the next blocks instead of going back to the kernel. The cost
// is bounded: at most 128 MiB of free heap kept beyond what the daemon holds.
import { loadNativeAddon } from '../util/native-addon.js';

export const MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024;
export const TRIM_THRESHOLD_BYTES = 128 * 1024 * 1024;

interface NativeAllocator {
  tune(mmapThresholdBytes: number, trimThresholdBytes: number): boolean;
}

/** Sets both thresholds for this process; false where the C library has no mallopt (not glibc). */
export function tuneMemoryAllocator(): boolean {
  return loadNativeAddon<{ allocator: NativeAllocator }>().allocator.tune(MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES);
}
