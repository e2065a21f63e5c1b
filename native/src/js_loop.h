// The kernel's requests read and answered on the JavaScript thread itself
// (LowLevelMountOptions.loop = 'js-thread').
//
// With libfuse's own loop threads a request reaches JavaScript through a thread-safe
// function: a loop thread wakes to read it, queues it and wakes the event loop (an
// eventfd), and only then does the JS thread run its handler. Here libuv polls /dev/fuse
// and the JS thread reads each request and runs its handler at once: one thread woken per
// request instead of two (issue 16: a 4 KiB write's trip, not its handler, was most of
// its cost). Requests the C rules answer are answered on the JS thread too.
#pragma once

#include <uv.h>

#include <future>
#include <memory>

#include "core.h"

namespace chalkfs {

class Session;

class JsLoop {
 public:
  // On the loop thread, once mounted: hands the device to the JS thread (which makes a
  // JsLoop through Session::start_js_loop) and waits for the loop's result.
  static int serve(Core& core);

  // On the JS thread: polls the session's device until the connection ends, then
  // fulfils done with the loop's result (0 for an unmount) and touches the session no more.
  JsLoop(Napi::Env env, Session* session, std::shared_ptr<Core> core, std::promise<int> done);
  ~JsLoop();
  JsLoop(const JsLoop&) = delete;
  JsLoop& operator=(const JsLoop&) = delete;

 private:
  static void on_poll(uv_poll_t* handle, int status, int events);
  void drain(int status);
  void finish(int result);

  napi_env env_;
  Session* session_;
  std::shared_ptr<Core> core_;
  std::promise<int> done_;
  Napi::AsyncContext async_;
  uv_poll_t* poll_ = nullptr;  // freed by its close callback
  fuse_buf buf_{};
  bool finished_ = false;
};

}  // namespace chalkfs
