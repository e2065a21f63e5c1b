#pragma once
// Writing a new file without the page cache (O_DIRECT), for the disk tier of the block
// cache: see uncached_write.cc.
#include <napi.h>

namespace chalkfs {
// An object with write(path, buffer): Promise<boolean>, true when written with O_DIRECT,
// false when the filesystem refuses O_DIRECT (nothing is left at path); rejects with an
// Error carrying code, errno, syscall and path, like node:fs, on any other failure.
Napi::Object uncached_write_object(Napi::Env env);
}  // namespace chalkfs
