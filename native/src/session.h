// The JavaScript object for one mount: options and handlers in, mount/unmount, cache and
// notice calls out. The kernel session itself lives on its loop thread (session.cc).
#pragma once

#include <napi.h>

#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "core.h"
#include "js_loop.h"

namespace chalkfs {

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Session(const Napi::CallbackInfo& info);
  ~Session() override;

  Napi::FunctionReference& handler(Op op) { return handlers_[static_cast<int>(op)]; }
  const std::shared_ptr<Core>& core() const { return core_; }

  // Events from the loop thread, delivered on the JS thread.
  void on_ready();
  void on_closed(int loop_result, const std::string& error);
  void on_notice_done(uint64_t id, int result);
  void start_js_loop(Napi::Env env, std::promise<int> done);

 private:
  // Lifecycle.
  Napi::Value Mount(const Napi::CallbackInfo& info);
  Napi::Value KernelUnmount(const Napi::CallbackInfo& info);
  Napi::Value Closed(const Napi::CallbackInfo& info);

  // Notices to the kernel (notifier.h).
  Napi::Value NotifyInvalInode(const Napi::CallbackInfo& info);
  Napi::Value NotifyInvalEntry(const Napi::CallbackInfo& info);

  // The C rules' state: the attribute cache (one call, by action) and shared handles.
  Napi::Value AttrCache(const Napi::CallbackInfo& info);
  Napi::Value RetireShared(const Napi::CallbackInfo& info);

  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Connection(const Napi::CallbackInfo& info);

  Napi::Value notice(Napi::Env env, Notifier::Notice n);
  void run_loop();

  enum class State { kNew, kMounting, kMounted, kClosed } state_ = State::kNew;
  std::shared_ptr<Core> core_;
  std::vector<std::string> args_;
  Napi::FunctionReference handlers_[static_cast<int>(Op::kCount)];
  std::unique_ptr<Napi::Promise::Deferred> mounting_;
  std::vector<Napi::Promise::Deferred> closed_waiters_;
  std::map<uint64_t, Napi::Promise::Deferred> notices_;
  uint64_t next_notice_ = 1;
  std::thread loop_;
  std::unique_ptr<JsLoop> js_loop_;
};

}  // namespace chalkfs
