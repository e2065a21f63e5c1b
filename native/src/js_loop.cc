#include "js_loop.h"

#include <fcntl.h>

#include <cerrno>
#include <cstdlib>

#include "session.h"

namespace chalkfs {

namespace {

// Requests read per wake-up before libuv's other events (the store's sockets, timers)
// get their turn; the poll is level-triggered, so the rest are read on the next turn.
constexpr int kRequestsPerTurn = 64;

// Asks the JS thread to start polling; done carries the loop's result back.
struct StartMessage : Message {
  std::promise<int> done;
  void deliver(Napi::Env env, Session* s) override {
    s->start_js_loop(env, std::move(done));
    delete this;
  }
  void abandon() override {
    done.set_value(-ENOTCONN);
    delete this;
  }
};

}  // namespace

int JsLoop::serve(Core& core) {
  auto* start = new StartMessage();
  std::future<int> done = start->done.get_future();
  if (!core.post(start)) start->abandon();
  return done.get();
}

JsLoop::JsLoop(Napi::Env env, Session* session, std::shared_ptr<Core> core, std::promise<int> done)
    : env_(env), session_(session), core_(std::move(core)), done_(std::move(done)), async_(env, "chalkfs-fuse") {
  int fd = fuse_session_fd(core_->se);
  uv_loop_t* loop = nullptr;
  int flags = fcntl(fd, F_GETFL);
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    finish(-EIO);
    return;
  }
  poll_ = new uv_poll_t;
  poll_->data = this;
  if (uv_poll_init(loop, poll_, fd) != 0) {
    delete poll_;
    poll_ = nullptr;
    finish(-EIO);
    return;
  }
  if (uv_poll_start(poll_, UV_READABLE, &JsLoop::on_poll) != 0) finish(-EIO);
}

JsLoop::~JsLoop() {
  // The session is closed before its loop is dropped; this only covers an environment
  // torn down while mounted.
  if (!finished_) finish(-ENOTCONN);
}

void JsLoop::on_poll(uv_poll_t* handle, int status, int) { static_cast<JsLoop*>(handle->data)->drain(status); }

void JsLoop::drain(int status) {
  if (finished_) return;
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  // Promise reactions and nextTicks the handlers queue run when this scope closes, as
  // after any other callback from libuv.
  Napi::CallbackScope callback_scope(env, async_);
  DirectDelivery direct{core_.get(), env_, session_};
  direct_delivery = &direct;
  fuse_session* se = core_->se;
  for (int i = 0; i < kRequestsPerTurn; i++) {
    int res = fuse_session_receive_buf(se, &buf_);
    if (res == -EINTR) continue;
    if (res == -EAGAIN) {
      // A poll error (the device closed) with nothing left to read ends the loop too.
      if (status < 0) finish(-EIO);
      break;
    }
    if (res <= 0 || fuse_session_exited(se)) {  // 0: unmounted or the connection aborted
      finish(res < 0 ? res : 0);
      break;
    }
    {
      Napi::HandleScope request_scope(env);
      fuse_session_process_buf(se, &buf_);
    }
    // A handler that threw is a bug in the daemon: its request is already answered EIO
    // (request.cc); the exception surfaces as uncaught, as from the thread-safe function.
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env_, e.Value());
    }
  }
  direct_delivery = nullptr;
}

void JsLoop::finish(int result) {
  if (finished_) return;
  finished_ = true;
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  free(buf_.mem);
  buf_.mem = nullptr;
  // After this the loop thread ends and destroys the session (session.cc).
  done_.set_value(result);
}

}  // namespace chalkfs
