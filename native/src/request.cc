#include "request.h"

#include <shared_mutex>

#include "request_rules.h"
#include "session.h"

namespace chalkfs {

const napi_type_tag kRequestTag = {0x6368616c6b66735fULL, 0x667573652d726571ULL};

Request::Request(std::shared_ptr<Core> c, Op o, fuse_req_t q, fuse_ino_t i) : core(std::move(c)), op(o), req(q), ctx(*fuse_req_ctx(q)), ino(i) {
  if (core->cfg.attr_cache) attr_ticket = core->attrs.ticket();
}

Request::~Request() { delete[] data; }

void post_request(Request* r) {
  if (r->core->post(r)) return;
  fuse_reply_err(r->req, EIO);
  r->replied = true;
  delete r;
}

static void answer_eio_if_open(Request* r) {
  if (r->replied) return;
  r->replied = true;
  std::shared_lock<std::shared_mutex> lock(r->core->alive);
  if (!r->core->ended) fuse_reply_err(r->req, EIO);
}

void Request::abandon() {
  answer_eio_if_open(this);
  delete this;
}

void Request::collected() {
  if (!replied) core->unanswered++;
  answer_eio_if_open(this);
  delete this;
}

static Napi::Value number(Napi::Env env, uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); }
static Napi::Value fh_or_undefined(Napi::Env env, const Request& r) { return r.has_fh ? number(env, r.fh) : env.Undefined(); }

// setattr's changes: only the fields to_set names; a time set to "now" (UTIME_NOW) is
// the string 'now', a time left alone (UTIME_OMIT, as `touch -m` leaves atime) is absent.
static Napi::Object changes_of(Napi::Env env, const Request& r) {
  Napi::Object o = Napi::Object::New(env);
  if (r.to_set & FUSE_SET_ATTR_MODE) o.Set("mode", r.attr.st_mode);
  if (r.to_set & FUSE_SET_ATTR_UID) o.Set("uid", r.attr.st_uid);
  if (r.to_set & FUSE_SET_ATTR_GID) o.Set("gid", r.attr.st_gid);
  if (r.to_set & FUSE_SET_ATTR_SIZE) o.Set("size", number(env, static_cast<uint64_t>(r.attr.st_size)));
  if (r.to_set & FUSE_SET_ATTR_ATIME_NOW) o.Set("atime", "now");
  else if (r.to_set & FUSE_SET_ATTR_ATIME) o.Set("atime", ms_from_timespec(r.attr.st_atim));
  if (r.to_set & FUSE_SET_ATTR_MTIME_NOW) o.Set("mtime", "now");
  else if (r.to_set & FUSE_SET_ATTR_MTIME) o.Set("mtime", ms_from_timespec(r.attr.st_mtim));
  if (r.to_set & FUSE_SET_ATTR_CTIME) o.Set("ctime", ms_from_timespec(r.attr.st_ctim));
  return o;
}

void Request::deliver(Napi::Env env, Session* session) {
  Napi::FunctionReference& handler = session->handler(op);
  if (handler.IsEmpty()) {  // cannot happen: ops are registered only with a handler
    abandon();
    return;
  }
  auto ext = Napi::External<Request>::New(env, this, [](Napi::Env, Request* r) { r->collected(); });
  ext.TypeTag(&kRequestTag);
  std::vector<napi_value> a{ext};
  auto add = [&](Napi::Value v) { a.push_back(v); };
  auto n = [&](uint64_t v) { return number(env, v); };
  auto s = [&](const std::string& v) { return Napi::String::New(env, v); };
  switch (op) {
    case Op::kLookup: case Op::kUnlink: case Op::kRmdir:
      add(n(ino)); add(s(name)); break;
    case Op::kGetattr:
      add(n(ino)); add(fh_or_undefined(env, *this)); break;
    case Op::kSetattr:
      add(n(ino)); add(changes_of(env, *this)); add(fh_or_undefined(env, *this)); break;
    case Op::kReadlink: case Op::kStatfs:
      add(n(ino)); break;
    case Op::kMknod:
      add(n(ino)); add(s(name)); add(n(mode)); add(n(rdev)); break;
    case Op::kMkdir:
      add(n(ino)); add(s(name)); add(n(mode)); break;
    case Op::kSymlink:
      add(s(name2)); add(n(ino)); add(s(name)); break;
    case Op::kRename:
      add(n(ino)); add(s(name)); add(n(ino2)); add(s(name2)); add(n(static_cast<uint32_t>(flags))); break;
    case Op::kLink:
      add(n(ino)); add(n(ino2)); add(s(name2)); break;
    case Op::kOpen: case Op::kOpendir:
      add(n(ino)); add(n(static_cast<uint32_t>(flags))); break;
    case Op::kRead: case Op::kReaddir: case Op::kReaddirplus:
      add(n(ino)); add(n(size)); add(n(static_cast<uint64_t>(off))); add(n(fh)); break;
    case Op::kWrite: {
      char* bytes = data;
      data = nullptr;  // the Buffer owns it now
      add(n(ino));
      add(Napi::Buffer<char>::New(env, bytes, size, [](Napi::Env, char* p) { delete[] p; }));
      add(n(static_cast<uint64_t>(off)));
      add(n(fh));
      break;
    }
    case Op::kFlush: case Op::kReleasedir:
      add(n(ino)); add(n(fh)); break;
    case Op::kRelease:
      add(n(ino)); add(n(fh)); add(n(static_cast<uint32_t>(flags))); break;
    case Op::kFsync: case Op::kFsyncdir:
      add(n(ino)); add(Napi::Boolean::New(env, datasync != 0)); add(n(fh)); break;
    case Op::kCreate:
      add(n(ino)); add(s(name)); add(n(mode)); add(n(static_cast<uint32_t>(flags))); break;
    case Op::kFallocate:
      add(n(ino)); add(n(mode)); add(n(static_cast<uint64_t>(off))); add(n(static_cast<uint64_t>(len))); add(n(fh)); break;
    case Op::kAccess:
      add(n(ino)); add(n(mode)); break;
    case Op::kForget: case Op::kCount:
      break;
  }
  // From here the External owns the request. A handler that throws is a bug in the
  // daemon: the request is answered EIO and the exception surfaces as uncaught.
  try {
    handler.Call(a);
  } catch (const Napi::Error& e) {
    answer_eio_if_open(this);
    e.ThrowAsJavaScriptException();
  }
}

void ForgetMessage::deliver(Napi::Env env, Session* session) {
  Napi::FunctionReference& handler = session->handler(Op::kForget);
  if (!handler.IsEmpty()) {
    Napi::Array list = Napi::Array::New(env, items.size());
    for (size_t i = 0; i < items.size(); i++) {
      Napi::Object item = Napi::Object::New(env);
      item.Set("ino", number(env, items[i].ino));
      item.Set("nlookup", number(env, items[i].nlookup));
      list.Set(i, item);
    }
    try {
      handler.Call({list});
    } catch (const Napi::Error& e) {
      delete this;
      e.ThrowAsJavaScriptException();
      return;
    }
  }
  delete this;
}

}  // namespace chalkfs
