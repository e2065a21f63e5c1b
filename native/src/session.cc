#include "session.h"

#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "convert.h"

extern char** environ;

namespace chalkfs {

namespace {

// libfuse reports why a session could not be made or mounted only through its log; the
// last line logged on the calling thread becomes the error's message.
thread_local std::string last_log;

void log_to_stderr_and_keep(enum fuse_log_level level, const char* fmt, va_list ap) {
  char line[1024];
  vsnprintf(line, sizeof(line), fmt, ap);
  if (level <= FUSE_LOG_ERR) last_log = line;
  if (level <= FUSE_LOG_WARNING) fprintf(stderr, "chalkfs-fuse: %s", line);
}

std::string escape_option(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == ',' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

struct ReadyMessage : Message {
  void deliver(Napi::Env, Session* s) override {
    s->on_ready();
    delete this;
  }
};

struct ClosedMessage : Message {
  int result;
  std::string error;
  ClosedMessage(int r, std::string e) : result(r), error(std::move(e)) {}
  void deliver(Napi::Env, Session* s) override {
    s->on_closed(result, error);
    delete this;
  }
};

struct NoticeDoneMessage : Message {
  uint64_t id;
  int result;
  NoticeDoneMessage(uint64_t i, int r) : id(i), result(r) {}
  void deliver(Napi::Env, Session* s) override {
    s->on_notice_done(id, result);
    delete this;
  }
};

// The kernel side of an unmount, off the JS thread (it can wait on the kernel): umount2
// as root, fusermount3 otherwise, run directly (no shell). The loop then sees the
// connection end and closes the session.
class UnmountWorker : public Napi::AsyncWorker {
 public:
  UnmountWorker(Napi::Env env, std::string mountpoint, bool lazy)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), mountpoint_(std::move(mountpoint)), lazy_(lazy) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    if (geteuid() == 0) {
      result_ = umount2(mountpoint_.c_str(), lazy_ ? MNT_DETACH : 0) == 0 ? 0 : errno;
      return;
    }
    std::vector<std::string> args = {"fusermount3", "-u", "-q"};
    if (lazy_) args.push_back("-z");
    args.push_back("--");
    args.push_back(mountpoint_);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid;
    int err = posix_spawnp(&pid, "fusermount3", nullptr, nullptr, argv.data(), environ);
    if (err != 0) {
      result_ = err;
      return;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result_ = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EBUSY;
  }
  void OnOK() override { deferred_.Resolve(Napi::Number::New(Env(), result_)); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string mountpoint_;
  bool lazy_;
  int result_ = 0;
};

}  // namespace

void CallJs(Napi::Env env, Napi::Function, Session* session, Message* message) {
  if (env == nullptr || session == nullptr) {
    message->abandon();
    return;
  }
  message->deliver(env, session);
}

Napi::Function Session::Define(Napi::Env env) {
  fuse_set_log_func(log_to_stderr_and_keep);
  return DefineClass(env, "Session",
                     {
                         InstanceMethod("mount", &Session::Mount),
                         InstanceMethod("kernelUnmount", &Session::KernelUnmount),
                         InstanceMethod("closed", &Session::Closed),
                         // notices
                         InstanceMethod("notifyInvalInode", &Session::NotifyInvalInode),
                         InstanceMethod("notifyInvalEntry", &Session::NotifyInvalEntry),
                         // rules
                         InstanceMethod("attrCache", &Session::AttrCache),
                         InstanceMethod("retireShared", &Session::RetireShared),
                         // what is known
                         InstanceMethod("stats", &Session::Stats),
                         InstanceMethod("connection", &Session::Connection),
                     });
}

Session::Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info), core_(std::make_shared<Core>()) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject() || !info[1].IsObject()) throw Napi::TypeError::New(env, "new Session(options, handlers)");
  Napi::Object o = info[0].As<Napi::Object>();
  Napi::Object h = info[1].As<Napi::Object>();
  Config& cfg = core_->cfg;

  cfg.mountpoint = get_string(o, "mountpoint");
  cfg.default_permissions = get_bool(o, "defaultPermissions", false);
  cfg.no_open = get_bool(o, "noOpen", false);
  cfg.share_opens = get_bool(o, "shareOpens", false);
  cfg.attr_cache = get_bool(o, "attrCache", false);
  cfg.auto_inval_data = get_bool(o, "autoInvalData", true);
  cfg.explicit_inval_data = get_bool(o, "explicitInvalData", false);
  cfg.max_write = get_uint(o, "maxWriteBytes", 0);
  cfg.max_readahead = get_uint(o, "maxReadaheadBytes", 0);
  cfg.max_background = get_uint(o, "maxBackground", 0);
  cfg.max_threads = get_uint(o, "maxThreads", 0);
  std::string loop = o.Has("loop") ? get_string(o, "loop") : "threads";
  if (loop == "js-thread") cfg.js_thread_loop = true;
  else if (loop != "threads") throw Napi::TypeError::New(env, "loop: threads or js-thread");
  std::string plus = o.Has("readdirplus") ? get_string(o, "readdirplus") : "always";
  if (plus == "off") cfg.readdirplus = Config::Readdirplus::kOff;
  else if (plus == "auto") cfg.readdirplus = Config::Readdirplus::kAuto;
  else if (plus == "always") cfg.readdirplus = Config::Readdirplus::kAlways;
  else throw Napi::TypeError::New(env, "readdirplus: off, always or auto");

  for (int i = 0; i < static_cast<int>(Op::kCount); i++) {
    Napi::Value fn = h.Get(kOpNames[i]);
    if (fn.IsUndefined()) continue;
    if (!fn.IsFunction()) throw Napi::TypeError::New(env, std::string("handler ") + kOpNames[i] + " is not a function");
    // With default_permissions the kernel checks access itself; access stays unregistered.
    if (static_cast<Op>(i) == Op::kAccess && cfg.default_permissions) continue;
    handlers_[i] = Napi::Persistent(fn.As<Napi::Function>());
    cfg.registered[i] = true;
  }

  std::string opts = "fsname=" + escape_option(get_string(o, "fsname"));
  opts += ",subtype=" + escape_option(o.Has("subtype") ? get_string(o, "subtype") : "chalkfs");
  if (cfg.default_permissions) opts += ",default_permissions";
  if (get_bool(o, "allowOther", false)) opts += ",allow_other";
  if (get_bool(o, "autoUnmount", false)) opts += ",auto_unmount";
  if (get_bool(o, "readOnly", false)) opts += ",ro";
  cfg.max_read = get_uint(o, "maxReadBytes", 0);
  if (cfg.max_read != 0) opts += ",max_read=" + std::to_string(cfg.max_read);
  args_ = {"chalkfs", "-o", opts};
  if (get_bool(o, "debug", false)) args_.push_back("-d");
}

Session::~Session() {
  // A session collected while mounted cannot happen (it holds a reference to itself
  // until closed); the loop thread is joined when closed is delivered.
  if (loop_.joinable()) loop_.detach();
}

Napi::Value Session::Mount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (state_ != State::kNew) throw Napi::Error::New(env, "a session mounts once");
  std::vector<char*> argv;
  for (auto& a : args_) argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  fuse_lowlevel_ops ops = make_ops(core_->cfg);
  last_log.clear();
  core_->se = fuse_session_new(&args, &ops, sizeof(ops), core_.get());
  fuse_opt_free_args(&args);
  if (core_->se == nullptr) throw Napi::Error::New(env, "fuse_session_new: " + (last_log.empty() ? "invalid options" : last_log));

  core_->tsfn = Tsfn::New(env, "chalkfs-fuse", 0, 1, this);
  mounting_ = std::make_unique<Napi::Promise::Deferred>(env);
  Napi::Promise promise = mounting_->Promise();
  state_ = State::kMounting;
  Ref();
  loop_ = std::thread([this] { run_loop(); });
  return promise;
}

// The loop thread: mount, serve until the connection ends, then stop the notifier, mark
// the session ended (replies after this are dropped), unmount if still mounted and
// destroy the session, all here, and tell the JS thread last.
void Session::run_loop() {
  std::shared_ptr<Core> core = core_;
  last_log.clear();
  if (fuse_session_mount(core->se, core->cfg.mountpoint.c_str()) != 0) {
    std::string error = "fuse_session_mount: " + (last_log.empty() ? "failed" : last_log);
    fuse_session_destroy(core->se);
    {
      std::unique_lock<std::shared_mutex> lock(core->alive);
      core->ended = true;
    }
    core->post(new ClosedMessage(-EIO, error));
    core->tsfn.Release();
    return;
  }
  Core* raw = core.get();
  core->notifier.start(core->se, [raw](uint64_t id, int result) { raw->post(new NoticeDoneMessage(id, result)); });

  int result;
  last_log.clear();
  if (core->cfg.js_thread_loop) {
    result = JsLoop::serve(*core);  // this thread only waits (js_loop.h)
  } else {
    fuse_loop_config* loop_cfg = fuse_loop_cfg_create();
    if (core->cfg.max_threads != 0) fuse_loop_cfg_set_max_threads(loop_cfg, core->cfg.max_threads);
    result = fuse_session_loop_mt(core->se, loop_cfg);
    fuse_loop_cfg_destroy(loop_cfg);
  }
  std::string error = last_log;

  core->notifier.stop();
  {
    std::unique_lock<std::shared_mutex> lock(core->alive);
    core->ended = true;
  }
  fuse_session_unmount(core->se);
  fuse_session_destroy(core->se);
  core->se = nullptr;
  core->post(new ClosedMessage(result, error));
  core->tsfn.Release();
}

void Session::on_ready() {
  if (state_ != State::kMounting) return;
  state_ = State::kMounted;
  mounting_->Resolve(Env().Undefined());
  mounting_.reset();
}

void Session::start_js_loop(Napi::Env env, std::promise<int> done) {
  js_loop_ = std::make_unique<JsLoop>(env, this, core_, std::move(done));
}

void Session::on_closed(int loop_result, const std::string& error) {
  Napi::Env env = Env();
  if (loop_.joinable()) loop_.join();
  js_loop_.reset();
  if (mounting_) {
    std::string why = error.empty() ? "the session ended before the kernel's INIT (result " + std::to_string(loop_result) + ")" : error;
    mounting_->Reject(Napi::Error::New(env, why).Value());
    mounting_.reset();
  }
  state_ = State::kClosed;
  for (auto& d : closed_waiters_) d.Resolve(Napi::Number::New(env, loop_result));
  closed_waiters_.clear();
  for (auto& [id, d] : notices_) d.Resolve(Napi::Number::New(env, -ENOTCONN));
  notices_.clear();
  Unref();
}

void Session::on_notice_done(uint64_t id, int result) {
  auto it = notices_.find(id);
  if (it == notices_.end()) return;
  it->second.Resolve(Napi::Number::New(Env(), result));
  notices_.erase(it);
}

Napi::Value Session::KernelUnmount(const Napi::CallbackInfo& info) {
  auto* worker = new UnmountWorker(info.Env(), core_->cfg.mountpoint, info[0].ToBoolean().Value());
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

// Resolves with the loop's result once the session is destroyed (at once if it never
// mounted or is already closed).
Napi::Value Session::Closed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto d = Napi::Promise::Deferred::New(env);
  if (state_ == State::kNew || state_ == State::kClosed) d.Resolve(Napi::Number::New(env, 0));
  else closed_waiters_.push_back(d);
  return d.Promise();
}

Napi::Value Session::notice(Napi::Env env, Notifier::Notice n) {
  auto d = Napi::Promise::Deferred::New(env);
  n.id = next_notice_++;
  if (state_ != State::kMounted || !core_->notifier.push(n)) {
    d.Resolve(Napi::Number::New(env, -ENOTCONN));
  } else {
    notices_.emplace(n.id, d);
  }
  return d.Promise();
}

Napi::Value Session::NotifyInvalInode(const Napi::CallbackInfo& info) {
  Notifier::Notice n{Notifier::Notice::Kind::kInode, to_u64(info[0], "ino"), info[1].As<Napi::Number>().Int64Value(), info[2].As<Napi::Number>().Int64Value(), "", 0};
  return notice(info.Env(), std::move(n));
}

Napi::Value Session::NotifyInvalEntry(const Napi::CallbackInfo& info) {
  Notifier::Notice n{Notifier::Notice::Kind::kEntry, to_u64(info[0], "parent"), 0, 0, info[1].As<Napi::String>().Utf8Value(), 0};
  return notice(info.Env(), std::move(n));
}

// attrCache(action, ino?, attr?, timeoutS?): 'put' | 'invalidate' | 'drop' | 'clear'.
Napi::Value Session::AttrCache(const Napi::CallbackInfo& info) {
  std::string action = info[0].As<Napi::String>().Utf8Value();
  if (action == "clear") {
    core_->attrs.clear();
    return info.Env().Undefined();
  }
  uint64_t ino = to_u64(info[1], "ino");
  if (action == "put" && core_->cfg.attr_cache) core_->attrs.put(ino, stat_from_js(info[2].As<Napi::Object>()), info[3].As<Napi::Number>().DoubleValue());
  else if (action == "invalidate") core_->attrs.invalidate(ino);
  else if (action == "drop") core_->attrs.drop(ino);
  else if (action != "put") throw Napi::TypeError::New(info.Env(), "attrCache: put, invalidate, drop or clear");
  return info.Env().Undefined();
}

// retireShared(ino) or retireShared() for every inode: the idle handles to release now.
Napi::Value Session::RetireShared(const Napi::CallbackInfo& info) {
  std::vector<uint64_t> idle = info[0].IsUndefined() ? core_->shared.retire_all() : core_->shared.retire(to_u64(info[0], "ino"));
  Napi::Array out = Napi::Array::New(info.Env(), idle.size());
  for (size_t i = 0; i < idle.size(); i++) out.Set(i, Napi::Number::New(info.Env(), static_cast<double>(idle[i])));
  return out;
}

Napi::Value Session::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  auto n = [&](uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); };
  AttrCache::Counts attrs = core_->attrs.counts();
  SharedOpens::Counts shared = core_->shared.counts();
  o.Set("attrCacheHits", n(attrs.hits));
  o.Set("attrCacheEntries", n(attrs.entries));
  o.Set("sharedOpenHits", n(shared.hits));
  o.Set("sharedHandles", n(shared.live));
  o.Set("sharedReleases", n(core_->shared_releases.load()));
  o.Set("noOpenAnswers", n(core_->no_open_answers.load()));
  o.Set("namesTooLong", n(core_->names_too_long.load()));
  o.Set("unanswered", n(core_->unanswered.load()));
  return o;
}

Napi::Value Session::Connection(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ConnInfo& c = core_->conn;
  Napi::Object o = Napi::Object::New(env);
  o.Set("protoMajor", c.proto_major);
  o.Set("protoMinor", c.proto_minor);
  o.Set("capable", Napi::Number::New(env, static_cast<double>(c.capable)));
  o.Set("want", Napi::Number::New(env, static_cast<double>(c.want)));
  o.Set("maxWrite", c.max_write);
  o.Set("maxRead", c.max_read);
  o.Set("maxReadahead", c.max_readahead);
  o.Set("maxBackground", c.max_background);
  o.Set("noOpenCapable", core_->no_open_capable.load());
  return o;
}

// The init op lives here, next to the Ready message it sends.
void post_ready(Core* core) { core->post(new ReadyMessage()); }

}  // namespace chalkfs
