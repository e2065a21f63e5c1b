// chalkfs's libfuse 3 binding: the Session class and the reply functions.
#include <napi.h>

#include "replies.h"
#include "session.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Session", chalkfs::Session::Define(env));
  chalkfs::export_replies(env, exports);
  exports.Set("libfuseVersion", fuse_version());
  return exports;
}

}  // namespace

NODE_API_MODULE(chalkfs_fuse, Init)
