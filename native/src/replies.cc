// The reply functions JavaScript answers requests with. Each checks that the request is
// one, not yet answered, and of an op that takes this kind of reply; answers it under the
// session's alive lock (after the session ended a reply is dropped and gives -ENOTCONN);
// and returns libfuse's result: 0, or -errno when the kernel refused the reply (the
// request was interrupted).
#include <sys/uio.h>

#include <shared_mutex>
#include <vector>

#include "convert.h"
#include "replies.h"
#include "request.h"
#include "request_rules.h"

namespace chalkfs {

uint32_t open_bits_of(const fuse_file_info& fi);

namespace {

Request* unwrap(const Napi::CallbackInfo& info, std::initializer_list<Op> ops) {
  Napi::Env env = info.Env();
  if (!info[0].IsExternal()) throw Napi::TypeError::New(env, "not a FUSE request");
  auto ext = info[0].As<Napi::External<Request>>();
  if (!ext.CheckTypeTag(&kRequestTag)) throw Napi::TypeError::New(env, "not a FUSE request");
  Request* r = ext.Data();
  if (r->replied) throw Napi::Error::New(env, std::string(kOpNames[static_cast<int>(r->op)]) + ": request already answered");
  if (ops.size() != 0) {
    bool ok = false;
    for (Op op : ops) ok = ok || op == r->op;
    if (!ok) throw Napi::TypeError::New(env, std::string(kOpNames[static_cast<int>(r->op)]) + " cannot be answered this way");
  }
  return r;
}

template <typename Send>
Napi::Value answer(Napi::Env env, Request* r, Send send) {
  std::shared_lock<std::shared_mutex> lock(r->core->alive);
  r->replied = true;
  int result = r->core->ended ? -ENOTCONN : send(r->req);
  return Napi::Number::New(env, result);
}

void fill_cache(Request* r, const struct stat& st, double timeout_s) {
  if (r->core->cfg.attr_cache && st.st_ino != 0) r->core->attrs.fill(st.st_ino, st, timeout_s, r->attr_ticket);
}

// Ops whose success carries no data: only they may be answered with errno 0.
bool answers_with_nothing(Op op) {
  switch (op) {
    case Op::kUnlink: case Op::kRmdir: case Op::kRename: case Op::kFlush: case Op::kRelease:
    case Op::kFsync: case Op::kReleasedir: case Op::kFsyncdir: case Op::kFallocate: case Op::kAccess:
      return true;
    default:
      return false;
  }
}

Napi::Value ReplyErr(const Napi::CallbackInfo& info) {
  Request* r = unwrap(info, {});
  int err = info[1].As<Napi::Number>().Int32Value();
  if (err < 0 || (err == 0 && !answers_with_nothing(r->op))) throw Napi::RangeError::New(info.Env(), "errno must be positive (0 only for ops that return nothing)");
  return answer(info.Env(), r, [err](fuse_req_t q) { return fuse_reply_err(q, err); });
}

Napi::Value ReplyEntry(const Napi::CallbackInfo& info) {
  Request* r = unwrap(info, {Op::kLookup, Op::kMknod, Op::kMkdir, Op::kSymlink, Op::kLink});
  fuse_entry_param e = entry_from_js(info[1].As<Napi::Object>());
  if (e.ino == 0 && r->op != Op::kLookup) throw Napi::RangeError::New(info.Env(), "only a lookup may answer a negative entry (ino 0)");
  fill_cache(r, e.attr, e.attr_timeout);
  return answer(info.Env(), r, [&e](fuse_req_t q) { return fuse_reply_entry(q, &e); });
}

Napi::Value ReplyCreate(const Napi::CallbackInfo& info) {
  Request* r = unwrap(info, {Op::kCreate});
  fuse_entry_param e = entry_from_js(info[1].As<Napi::Object>());
  if (e.ino == 0) throw Napi::RangeError::New(info.Env(), "create needs an inode");
  fuse_file_info fi{};
  fi.flags = r->flags;
  open_from_js(info[2].As<Napi::Object>(), &fi);
  fill_cache(r, e.attr, e.attr_timeout);
  return answer(info.Env(), r, [&](fuse_req_t q) { return fuse_reply_create(q, &e, &fi); });
}

Napi::Value ReplyAttr(const Napi::CallbackInfo& info) {
  Request* r = unwrap(info, {Op::kGetattr, Op::kSetattr});
  struct stat st = stat_from_js(info[1].As<Napi::Object>());
  double timeout_s = info[2].As<Napi::Number>().DoubleValue();
  if (st.st_ino == 0) st.st_ino = r->ino;
  fill_cache(r, st, timeout_s);
  return answer(info.Env(), r, [&](fuse_req_t q) { return fuse_reply_attr(q, &st, timeout_s); });
}

Napi::Value ReplyReadlink(const Napi::CallbackInfo& info) {
  Request* r = unwrap(info, {Op::kReadlink});
  std::string target = info[1].As<Napi::String>().Utf8Value();
  return answer(info.Env(), r, [&](fuse_req_t q) { return fuse_reply_readlink(q, target.c_str()); });
}

// A read-only open's handle marked share: true may answer later read-only opens of the
// inode in C (shared_opens.h). If the kernel refuses a reply whose handle was shared,
// its count is undone and the handle stays with the shared table (it comes back through
// retire): the result is then 0, so the caller never releases a shared handle itself.
Napi::Value ReplyOpen(const Napi::CallbackInfo& info) {
  Request* r = unwrap(info, {Op::kOpen, Op::kOpendir});
  Napi::Object o = info[1].As<Napi::Object>();
  fuse_file_info fi{};
  fi.flags = r->flags;
  open_from_js(o, &fi);
  Core& c = *r->core;
  bool shared = r->op == Op::kOpen && c.cfg.share_opens && get_bool(o, "share", false) && read_only_open(r->flags) &&
                c.shared.offer(r->ino, fi.fh, open_bits_of(fi), r->share_ticket);
  Napi::Value result = answer(info.Env(), r, [&](fuse_req_t q) { return fuse_reply_open(q, &fi); });
  if (shared && result.As<Napi::Number>().Int32Value() != 0) {
    c.shared.release(r->ino, fi.fh);
    return Napi::Number::New(info.Env(), 0);
  }
  return result;
}

Napi::Value ReplyWrite(const Napi::CallbackInfo& info) {
  Request* r = unwrap(info, {Op::kWrite});
  size_t count = static_cast<size_t>(to_u64(info[1], "count"));
  return answer(info.Env(), r, [count](fuse_req_t q) { return fuse_reply_write(q, count); });
}

// A read answers with one buffer, or with several sent as one reply (fuse_reply_iov): a
// read that spans blocks is answered from views of each, with no copy into one buffer.
Napi::Value ReplyBuf(const Napi::CallbackInfo& info) {
  Request* r = unwrap(info, {Op::kRead});
  Napi::Env env = info.Env();
  const char* kWhat = "read answers with a Buffer or Uint8Array, or an array of them";
  if (info[1].IsTypedArray()) {
    auto bytes = info[1].As<Napi::Uint8Array>();
    size_t len = std::min(bytes.ByteLength(), static_cast<size_t>(r->size));
    return answer(env, r, [&](fuse_req_t q) { return fuse_reply_buf(q, reinterpret_cast<const char*>(bytes.Data()), len); });
  }
  if (!info[1].IsArray()) throw Napi::TypeError::New(env, kWhat);
  auto parts = info[1].As<Napi::Array>();
  std::vector<iovec> iov;
  size_t room = static_cast<size_t>(r->size);
  for (uint32_t i = 0; i < parts.Length() && room > 0; i++) {
    Napi::Value part = parts[i];
    if (!part.IsTypedArray()) throw Napi::TypeError::New(env, kWhat);
    auto bytes = part.As<Napi::Uint8Array>();
    size_t len = std::min(bytes.ByteLength(), room);
    if (len == 0) continue;
    iov.push_back(iovec{bytes.Data(), len});
    room -= len;
  }
  // Every part is alive until this call returns, and libfuse writes the reply before that.
  // writev takes at most UIO_MAXIOV (1024) pieces: past kMaxIov they are joined first.
  constexpr size_t kMaxIov = 64;
  std::vector<char> joined;
  if (iov.size() > kMaxIov) {
    joined.reserve(static_cast<size_t>(r->size) - room);
    for (const iovec& v : iov) joined.insert(joined.end(), static_cast<char*>(v.iov_base), static_cast<char*>(v.iov_base) + v.iov_len);
    iov.assign(1, iovec{joined.data(), joined.size()});
  }
  return answer(env, r, [&](fuse_req_t q) { return iov.empty() ? fuse_reply_buf(q, nullptr, 0) : fuse_reply_iov(q, iov.data(), static_cast<int>(iov.size())); });
}

Napi::Value ReplyStatfs(const Napi::CallbackInfo& info) {
  Request* r = unwrap(info, {Op::kStatfs});
  struct statvfs s = statvfs_from_js(info[1].As<Napi::Object>());
  return answer(info.Env(), r, [&s](fuse_req_t q) { return fuse_reply_statfs(q, &s); });
}

// Directory entries from the request's offset on: [{ name, offset (the next entry's
// cookie), ino and mode (readdir) or entry (readdirplus) }]. As many as fit the kernel's
// buffer are sent; the result is how many (or -errno). Each sent readdirplus entry other
// than "." and ".." counts one lookup of its inode, as a lookup reply does.
Napi::Value ReplyDirents(const Napi::CallbackInfo& info) {
  Request* r = unwrap(info, {Op::kReaddir, Op::kReaddirplus});
  Napi::Array list = info[1].As<Napi::Array>();
  std::vector<char> buf(r->size);
  size_t used = 0;
  uint32_t packed = 0;
  for (; packed < list.Length(); packed++) {
    Napi::Object d = list.Get(packed).As<Napi::Object>();
    std::string name = get_string(d, "name");
    off_t next = static_cast<off_t>(to_u64(d.Get("offset"), "dirent.offset"));
    size_t need;
    if (r->op == Op::kReaddirplus) {
      fuse_entry_param e = entry_from_js(d.Get("entry").As<Napi::Object>());
      need = fuse_add_direntry_plus(r->req, buf.data() + used, buf.size() - used, name.c_str(), &e, next);
      if (need <= buf.size() - used) fill_cache(r, e.attr, e.attr_timeout);
    } else {
      struct stat st {};
      st.st_ino = to_u64(d.Get("ino"), "dirent.ino");
      st.st_mode = static_cast<mode_t>(get_uint(d, "mode", 0));
      need = fuse_add_direntry(r->req, buf.data() + used, buf.size() - used, name.c_str(), &st, next);
    }
    if (need > buf.size() - used) break;
    used += need;
  }
  Napi::Value result = answer(info.Env(), r, [&](fuse_req_t q) { return fuse_reply_buf(q, buf.data(), used); });
  int res = result.As<Napi::Number>().Int32Value();
  return Napi::Number::New(info.Env(), res < 0 ? res : static_cast<int>(packed));
}

// Who asked: uid, gid, pid and umask of the calling process (new files belong to it).
Napi::Value RequestContext(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsExternal()) throw Napi::TypeError::New(env, "not a FUSE request");
  auto ext = info[0].As<Napi::External<Request>>();
  if (!ext.CheckTypeTag(&kRequestTag)) throw Napi::TypeError::New(env, "not a FUSE request");
  const fuse_ctx& c = ext.Data()->ctx;
  Napi::Object o = Napi::Object::New(env);
  o.Set("uid", c.uid);
  o.Set("gid", c.gid);
  o.Set("pid", c.pid);
  o.Set("umask", c.umask);
  return o;
}

}  // namespace

void export_replies(Napi::Env env, Napi::Object exports) {
  exports.Set("replyErr", Napi::Function::New(env, ReplyErr, "replyErr"));
  exports.Set("replyEntry", Napi::Function::New(env, ReplyEntry, "replyEntry"));
  exports.Set("replyCreate", Napi::Function::New(env, ReplyCreate, "replyCreate"));
  exports.Set("replyAttr", Napi::Function::New(env, ReplyAttr, "replyAttr"));
  exports.Set("replyReadlink", Napi::Function::New(env, ReplyReadlink, "replyReadlink"));
  exports.Set("replyOpen", Napi::Function::New(env, ReplyOpen, "replyOpen"));
  exports.Set("replyWrite", Napi::Function::New(env, ReplyWrite, "replyWrite"));
  exports.Set("replyBuf", Napi::Function::New(env, ReplyBuf, "replyBuf"));
  exports.Set("replyStatfs", Napi::Function::New(env, ReplyStatfs, "replyStatfs"));
  exports.Set("replyDirents", Napi::Function::New(env, ReplyDirents, "replyDirents"));
  exports.Set("requestContext", Napi::Function::New(env, RequestContext, "requestContext"));
}

}  // namespace chalkfs
