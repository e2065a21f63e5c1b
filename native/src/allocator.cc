// glibc malloc's two thresholds, set once by the daemon (chalkfs/host/memory-allocator.ts).
//
// Why: the daemon allocates a block-sized buffer per block it moves (a WRITE's bytes, a
// GET's body) and frees them in bursts, when V8 collects. By default glibc serves a 1 MiB
// request with mmap until the first such chunk is freed, then from the heap, but returns
// the top of the heap to the kernel whenever more than twice that is free: after each
// burst the next buffers are fresh pages the kernel must fault in and zero. In a bulk
// copy that was 250 page faults per MB and up to 17 % of the daemon's CPU in clear_page
// (docs/BENCHMARKS.md, part 8). A fixed mmap threshold above any buffer size and a trim
// threshold of a burst's size keep those pages for the next buffers.
#include "allocator.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace chalkfs {
namespace {

Napi::Value tune(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "tune(mmapThresholdBytes, trimThresholdBytes) takes two numbers");
  }
  const int64_t mmap_threshold = info[0].As<Napi::Number>().Int64Value();
  const int64_t trim_threshold = info[1].As<Napi::Number>().Int64Value();
  // glibc caps M_MMAP_THRESHOLD at 32 MiB on 64-bit (HEAP_MAX_SIZE / 2) and rejects more.
  if (mmap_threshold <= 0 || mmap_threshold > (int64_t{32} << 20) || trim_threshold <= 0 || trim_threshold > INT32_MAX) {
    throw Napi::RangeError::New(env, "tune: thresholds out of range (mmap 1..32 MiB, trim 1..2 GiB - 1)");
  }
#if defined(__GLIBC__)
  // Either call turns glibc's dynamic thresholds off; both must be set, or the mmap
  // threshold falls back to its 128 KiB start and every block is an mmap again.
  const bool ok = mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmap_threshold)) == 1 &&
                  mallopt(M_TRIM_THRESHOLD, static_cast<int>(trim_threshold)) == 1;
  return Napi::Boolean::New(env, ok);
#else
  return Napi::Boolean::New(env, false);
#endif
}

}  // namespace

Napi::Object allocator_object(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("tune", Napi::Function::New(env, tune, "tune"));
  return o;
}

}  // namespace chalkfs
