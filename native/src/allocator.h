#pragma once
// glibc malloc's thresholds for the daemon's process (mallopt): see allocator.cc.
#include <napi.h>

namespace chalkfs {
// An object with tune(mmapThresholdBytes, trimThresholdBytes): boolean (false where the
// C library has no mallopt).
Napi::Object allocator_object(Napi::Env env);
}  // namespace chalkfs
