// chalkfs's libfuse 3 binding: the Session class, the reply functions, the open-file-description
// locks the daemon takes SQLite's locks with (file_locks.cc), malloc's thresholds
// (allocator.cc) and the disk cache's writes without the page cache (uncached_write.cc).
#include <napi.h>

#include "allocator.h"
#include "file_locks.h"
#include "replies.h"
#include "session.h"
#include "uncached_write.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Session", chalkfs::Session::Define(env));
  chalkfs::export_replies(env, exports);
  exports.Set("libfuseVersion", fuse_version());
  exports.Set("fileLocks", chalkfs::file_locks_object(env));
  exports.Set("allocator", chalkfs::allocator_object(env));
  exports.Set("uncachedWrite", chalkfs::uncached_write_object(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(chalkfs_fuse, Init)
