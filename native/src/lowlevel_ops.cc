// libfuse's low-level operations. Each either answers in C (a rule in attr_cache,
// shared_opens or request_rules says it can) or copies the request and sends it to
// JavaScript, returning at once so the loop thread reads the next request.
#include <cstring>

#include "request.h"
#include "request_rules.h"

namespace chalkfs {

void post_ready(Core* core);  // session.cc

const char* const kOpNames[static_cast<int>(Op::kCount)] = {
    "lookup", "forget", "getattr", "setattr", "readlink", "mknod", "mkdir", "unlink", "rmdir",
    "symlink", "rename", "link", "open", "read", "write", "flush", "release", "fsync", "opendir",
    "readdir", "readdirplus", "releasedir", "fsyncdir", "statfs", "create", "fallocate", "access",
};

// Open-reply flags stored with a shared handle (shared_opens.h).
constexpr uint32_t kKeepCache = 1, kDirectIo = 2, kNoflush = 4;

uint32_t open_bits_of(const fuse_file_info& fi) {
  return (fi.keep_cache ? kKeepCache : 0) | (fi.direct_io ? kDirectIo : 0) | (fi.noflush ? kNoflush : 0);
}

namespace {

Core* core_of(fuse_req_t req) { return static_cast<Core*>(fuse_req_userdata(req)); }

Request* make(fuse_req_t req, Op op, fuse_ino_t ino) {
  return new Request(core_of(req)->shared_from_this(), op, req, ino);
}

bool refused_name(fuse_req_t req, const char* name) {
  if (!name_too_long(std::strlen(name))) return false;
  core_of(req)->names_too_long++;
  fuse_reply_err(req, ENAMETOOLONG);
  return true;
}

// A change to an inode the request names: its cached attributes go at once, so no
// getattr racing the change is answered from before it.
void changed(fuse_req_t req, fuse_ino_t ino) {
  Core* c = core_of(req);
  if (c->cfg.attr_cache) c->attrs.invalidate(ino);
}

void with_fh(Request* r, const fuse_file_info* fi) {
  if (fi == nullptr) return;
  r->fh = fi->fh;
  r->has_fh = true;
  r->flags = fi->flags;
}

void ll_init(void* userdata, fuse_conn_info* conn) {
  Core* c = static_cast<Core*>(userdata);
  const Config& cfg = c->cfg;
  auto want = [conn](uint64_t cap, bool on) {
    if (on && (conn->capable & cap)) conn->want |= cap;
    if (!on) conn->want &= ~cap;
  };
  bool plus = cfg.registered[static_cast<int>(Op::kReaddirplus)] && cfg.readdirplus != Config::Readdirplus::kOff;
  want(FUSE_CAP_PARALLEL_DIROPS, true);
  want(FUSE_CAP_READDIRPLUS, plus);
  want(FUSE_CAP_READDIRPLUS_AUTO, plus && cfg.readdirplus == Config::Readdirplus::kAuto);
  want(FUSE_CAP_NO_OPEN_SUPPORT, cfg.no_open);
  // The kernel clears setuid/setgid on write and chown itself (a setattr reaches us).
  want(FUSE_CAP_HANDLE_KILLPRIV, false);
  // The kernel applies the caller's umask to create, mkdir and mknod modes (it also sends
  // the umask, which the handlers apply again: the same result, and no ACLs to defer to).
  want(FUSE_CAP_DONT_MASK, false);
  want(FUSE_CAP_AUTO_INVAL_DATA, cfg.auto_inval_data);
  want(FUSE_CAP_EXPLICIT_INVAL_DATA, cfg.explicit_inval_data);
  // Locks stay in the kernel (no lock ops are registered, so libfuse never asks).
  want(FUSE_CAP_POSIX_LOCKS, false);
  want(FUSE_CAP_FLOCK_LOCKS, false);
  // libfuse refuses an INIT whose max_read differs from the mount option's.
  conn->max_read = cfg.max_read;
  // libfuse has already bounded max_write by its buffer: only ever lower it.
  if (cfg.max_write != 0 && cfg.max_write < conn->max_write) conn->max_write = cfg.max_write;
  if (cfg.max_readahead != 0 && cfg.max_readahead < conn->max_readahead) conn->max_readahead = cfg.max_readahead;
  if (cfg.max_background != 0) conn->max_background = cfg.max_background;
  c->no_open_capable = (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT) != 0;
  c->conn = ConnInfo{conn->proto_major, conn->proto_minor, conn->capable, conn->want,
                     conn->max_write, conn->max_read, conn->max_readahead, conn->max_background};
  post_ready(c);
}

void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (refused_name(req, name)) return;
  Request* r = make(req, Op::kLookup, parent);
  r->name = name;
  post_request(r);
}

void post_forgets(fuse_req_t req, const fuse_forget_data* items, size_t count) {
  Core* c = core_of(req);
  fuse_reply_none(req);
  auto* m = new ForgetMessage();
  m->items.assign(items, items + count);
  if (!c->post(m)) delete m;
}

void ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  fuse_forget_data one{ino, nlookup};
  post_forgets(req, &one, 1);
}

void ll_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) { post_forgets(req, forgets, count); }

void ll_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Core* c = core_of(req);
  if (c->cfg.attr_cache) {
    struct stat st;
    double timeout_s;
    if (c->attrs.get(ino, &st, &timeout_s)) {
      fuse_reply_attr(req, &st, timeout_s);
      return;
    }
  }
  Request* r = make(req, Op::kGetattr, ino);
  with_fh(r, fi);
  post_request(r);
}

void ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  changed(req, ino);
  Request* r = make(req, Op::kSetattr, ino);
  r->attr = *attr;
  r->to_set = to_set;
  with_fh(r, fi);
  post_request(r);
}

void ll_readlink(fuse_req_t req, fuse_ino_t ino) { post_request(make(req, Op::kReadlink, ino)); }

// A request about one name in parent that changes parent (it gains or loses the name);
// nullptr when the name was refused (and answered) here.
Request* name_change(fuse_req_t req, Op op, fuse_ino_t parent, const char* name) {
  if (refused_name(req, name)) return nullptr;
  changed(req, parent);
  Request* r = make(req, op, parent);
  r->name = name;
  return r;
}

void ll_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  if (Request* r = name_change(req, Op::kMknod, parent, name)) {
    r->mode = mode;
    r->rdev = rdev;
    post_request(r);
  }
}

void ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  if (Request* r = name_change(req, Op::kMkdir, parent, name)) {
    r->mode = mode;
    post_request(r);
  }
}

void ll_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (Request* r = name_change(req, Op::kUnlink, parent, name)) post_request(r);
}

void ll_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (Request* r = name_change(req, Op::kRmdir, parent, name)) post_request(r);
}

void ll_symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  if (Request* r = name_change(req, Op::kSymlink, parent, name)) {
    r->name2 = target;
    post_request(r);
  }
}

void ll_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname, unsigned int flags) {
  if (refused_name(req, name) || refused_name(req, newname)) return;
  changed(req, parent);
  changed(req, newparent);
  Request* r = make(req, Op::kRename, parent);
  r->name = name;
  r->ino2 = newparent;
  r->name2 = newname;
  r->flags = static_cast<int>(flags);
  post_request(r);
}

void ll_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
  if (refused_name(req, newname)) return;
  changed(req, ino);
  changed(req, newparent);
  Request* r = make(req, Op::kLink, ino);
  r->ino2 = newparent;
  r->name2 = newname;
  post_request(r);
}

void ll_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Core* c = core_of(req);
  OpenRoute route = open_route(fi->flags, c->cfg.no_open, c->no_open_capable, c->cfg.share_opens);
  if (route == OpenRoute::kNoOpen) {
    c->no_open_answers++;
    fuse_reply_err(req, ENOSYS);
    return;
  }
  if (route == OpenRoute::kTryShared) {
    if (auto h = c->shared.acquire(ino)) {
      fi->fh = h->fh;
      fi->keep_cache = (h->open_bits & kKeepCache) != 0;
      fi->direct_io = (h->open_bits & kDirectIo) != 0;
      fi->noflush = (h->open_bits & kNoflush) != 0;
      fuse_reply_open(req, fi);
      return;
    }
  }
  if (!c->has(Op::kOpen)) {
    fuse_reply_open(req, fi);
    return;
  }
  Request* r = make(req, Op::kOpen, ino);
  r->flags = fi->flags;
  if (route == OpenRoute::kTryShared) r->share_ticket = c->shared.ticket();
  post_request(r);
}

void ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Request* r = make(req, Op::kRead, ino);
  r->size = size;
  r->off = off;
  with_fh(r, fi);
  post_request(r);
}

void ll_write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  changed(req, ino);
  Request* r = make(req, Op::kWrite, ino);
  r->data = new char[size > 0 ? size : 1];
  std::memcpy(r->data, buf, size);
  r->size = size;
  r->off = off;
  with_fh(r, fi);
  post_request(r);
}

void ll_flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Request* r = make(req, Op::kFlush, ino);
  with_fh(r, fi);
  post_request(r);
}

void ll_release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Core* c = core_of(req);
  if (c->cfg.share_opens && c->shared.release(ino, fi->fh)) {
    c->shared_releases++;
    fuse_reply_err(req, 0);
    return;
  }
  if (!c->has(Op::kRelease)) {
    fuse_reply_err(req, 0);
    return;
  }
  Request* r = make(req, Op::kRelease, ino);
  with_fh(r, fi);
  post_request(r);
}

void post_sync(fuse_req_t req, Op op, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  Request* r = make(req, op, ino);
  r->datasync = datasync;
  with_fh(r, fi);
  post_request(r);
}

void ll_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) { post_sync(req, Op::kFsync, ino, datasync, fi); }
void ll_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) { post_sync(req, Op::kFsyncdir, ino, datasync, fi); }

void ll_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Request* r = make(req, Op::kOpendir, ino);
  r->flags = fi->flags;
  post_request(r);
}

void post_readdir(fuse_req_t req, Op op, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  Request* r = make(req, op, ino);
  r->size = size;
  r->off = off;
  with_fh(r, fi);
  post_request(r);
}

void ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) { post_readdir(req, Op::kReaddir, ino, size, off, fi); }
void ll_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) { post_readdir(req, Op::kReaddirplus, ino, size, off, fi); }

void ll_releasedir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Request* r = make(req, Op::kReleasedir, ino);
  with_fh(r, fi);
  post_request(r);
}

void ll_statfs(fuse_req_t req, fuse_ino_t ino) { post_request(make(req, Op::kStatfs, ino)); }

void ll_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  if (Request* r = name_change(req, Op::kCreate, parent, name)) {
    r->mode = mode;
    r->flags = fi->flags;
    post_request(r);
  }
}

void ll_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len, fuse_file_info* fi) {
  changed(req, ino);
  Request* r = make(req, Op::kFallocate, ino);
  with_fh(r, fi);
  r->mode = static_cast<uint32_t>(mode);
  r->off = off;
  r->len = len;
  post_request(r);
}

void ll_access(fuse_req_t req, fuse_ino_t ino, int mask) {
  Request* r = make(req, Op::kAccess, ino);
  r->mode = static_cast<uint32_t>(mask);
  post_request(r);
}

}  // namespace

fuse_lowlevel_ops make_ops(const Config& cfg) {
  fuse_lowlevel_ops ops;
  std::memset(&ops, 0, sizeof(ops));
  auto on = [&cfg](Op op) { return cfg.registered[static_cast<int>(op)]; };
  ops.init = ll_init;
  if (on(Op::kLookup)) ops.lookup = ll_lookup;
  if (on(Op::kForget)) {
    ops.forget = ll_forget;
    ops.forget_multi = ll_forget_multi;
  }
  if (on(Op::kGetattr)) ops.getattr = ll_getattr;
  if (on(Op::kSetattr)) ops.setattr = ll_setattr;
  if (on(Op::kReadlink)) ops.readlink = ll_readlink;
  if (on(Op::kMknod)) ops.mknod = ll_mknod;
  if (on(Op::kMkdir)) ops.mkdir = ll_mkdir;
  if (on(Op::kUnlink)) ops.unlink = ll_unlink;
  if (on(Op::kRmdir)) ops.rmdir = ll_rmdir;
  if (on(Op::kSymlink)) ops.symlink = ll_symlink;
  if (on(Op::kRename)) ops.rename = ll_rename;
  if (on(Op::kLink)) ops.link = ll_link;
  // open and release are answered in C by no_open and shared handles even without handlers.
  if (on(Op::kOpen) || cfg.no_open || cfg.share_opens) ops.open = ll_open;
  if (on(Op::kRead)) ops.read = ll_read;
  if (on(Op::kWrite)) ops.write = ll_write;
  if (on(Op::kFlush)) ops.flush = ll_flush;
  if (on(Op::kRelease) || cfg.share_opens) ops.release = ll_release;
  if (on(Op::kFsync)) ops.fsync = ll_fsync;
  if (on(Op::kOpendir)) ops.opendir = ll_opendir;
  if (on(Op::kReaddir)) ops.readdir = ll_readdir;
  if (on(Op::kReaddirplus)) ops.readdirplus = ll_readdirplus;
  if (on(Op::kReleasedir)) ops.releasedir = ll_releasedir;
  if (on(Op::kFsyncdir)) ops.fsyncdir = ll_fsyncdir;
  if (on(Op::kStatfs)) ops.statfs = ll_statfs;
  if (on(Op::kCreate)) ops.create = ll_create;
  if (on(Op::kFallocate)) ops.fallocate = ll_fallocate;
  if (on(Op::kAccess)) ops.access = ll_access;
  return ops;
}

}  // namespace chalkfs
