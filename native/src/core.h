// What the loop threads, the notifier thread and the JS thread share about one mount.
#pragma once

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>

#include "attr_cache.h"
#include "notifier.h"
#include "shared_opens.h"

namespace chalkfs {

// The requests JavaScript may answer, in the order handlers are looked up by name.
enum class Op : uint8_t {
  kLookup, kForget, kGetattr, kSetattr, kReadlink, kMknod, kMkdir, kUnlink, kRmdir,
  kSymlink, kRename, kLink, kOpen, kRead, kWrite, kFlush, kRelease, kFsync, kOpendir,
  kReaddir, kReaddirplus, kReleasedir, kFsyncdir, kStatfs, kCreate, kFallocate, kAccess,
  kCount,
};
extern const char* const kOpNames[static_cast<int>(Op::kCount)];

struct Config {
  std::string mountpoint;
  bool registered[static_cast<int>(Op::kCount)] = {};
  bool default_permissions = false;
  bool no_open = false;
  bool share_opens = false;
  bool attr_cache = false;
  enum class Readdirplus { kOff, kAlways, kAuto } readdirplus = Readdirplus::kAlways;
  bool auto_inval_data = true;
  bool explicit_inval_data = false;
  unsigned max_read = 0;        // the max_read mount option; INIT must repeat it
  unsigned max_write = 0;       // 0: libfuse's default
  unsigned max_readahead = 0;   // 0: the kernel's offer
  unsigned max_background = 0;  // 0: libfuse's default
  unsigned max_threads = 0;     // 0: libfuse's default
  bool js_thread_loop = false;  // requests read on the JS thread (js_loop.h), not libfuse's threads
};

// What INIT settled with the kernel; written once on the loop thread before Ready.
struct ConnInfo {
  unsigned proto_major = 0, proto_minor = 0;
  uint64_t capable = 0, want = 0;
  unsigned max_write = 0, max_read = 0, max_readahead = 0, max_background = 0;
};

class Session;
struct Message;
void CallJs(Napi::Env env, Napi::Function fn, Session* session, Message* message);
using Tsfn = Napi::TypedThreadSafeFunction<Session, Message, CallJs>;

// A message from another thread to the JS thread. deliver (or abandon, when the
// environment is going away) owns the message and deletes it, or hands it on.
struct Message {
  virtual ~Message() = default;
  virtual void deliver(Napi::Env env, Session* session) = 0;
  virtual void abandon() { delete this; }
};

struct Core;
// Set on the JS thread while it reads one session's requests itself (js_loop.cc): a message
// that session's ops post is then delivered at once, not through the thread-safe function.
struct DirectDelivery {
  const Core* core;
  napi_env env;
  Session* session;
};
inline thread_local DirectDelivery* direct_delivery = nullptr;

struct Core : std::enable_shared_from_this<Core> {
  Config cfg;
  fuse_session* se = nullptr;
  Tsfn tsfn;
  Notifier notifier;
  AttrCache attrs;
  SharedOpens shared;
  ConnInfo conn;
  std::atomic<bool> no_open_capable{false};

  // Replies take it shared; the loop thread takes it exclusively to mark the session
  // ended before destroying it, so no reply ever reaches a destroyed session.
  std::shared_mutex alive;
  bool ended = false;

  std::atomic<uint64_t> no_open_answers{0};
  std::atomic<uint64_t> shared_releases{0};
  std::atomic<uint64_t> names_too_long{0};
  std::atomic<uint64_t> unanswered{0};

  bool has(Op op) const { return cfg.registered[static_cast<int>(op)]; }
  // Hands a message to the JS thread; false when it can no longer be delivered.
  bool post(Message* m) {
    if (direct_delivery != nullptr && direct_delivery->core == this) {
      m->deliver(Napi::Env(direct_delivery->env), direct_delivery->session);
      return true;
    }
    return tsfn.NonBlockingCall(m) == napi_ok;
  }
};

// The libfuse operations table for a configuration (lowlevel_ops.cc).
fuse_lowlevel_ops make_ops(const Config& cfg);

}  // namespace chalkfs
