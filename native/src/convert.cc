#include "convert.h"

#include <cmath>
#include <cstring>

#include "request_rules.h"

namespace chalkfs {

std::string get_string(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

bool get_bool(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : v.ToBoolean().Value();
}

double get_number(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

unsigned get_uint(const Napi::Object& o, const char* key, unsigned fallback) {
  double d = get_number(o, key, fallback);
  if (d < 0 || d > 4294967295.0 || d != std::floor(d)) throw Napi::RangeError::New(o.Env(), std::string(key) + " must be a 32-bit unsigned integer");
  return static_cast<unsigned>(d);
}

uint64_t to_u64(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d < 0 || d > 9007199254740991.0 || d != std::floor(d)) throw Napi::RangeError::New(v.Env(), std::string(what) + " must be a safe non-negative integer");
  return static_cast<uint64_t>(d);
}

struct stat stat_from_js(const Napi::Object& o) {
  struct stat st;
  std::memset(&st, 0, sizeof(st));
  st.st_ino = to_u64(o.Get("ino"), "attr.ino");
  st.st_mode = static_cast<mode_t>(get_uint(o, "mode", 0));
  st.st_nlink = get_uint(o, "nlink", 1);
  st.st_uid = get_uint(o, "uid", 0);
  st.st_gid = get_uint(o, "gid", 0);
  st.st_rdev = get_uint(o, "rdev", 0);
  st.st_size = static_cast<off_t>(get_number(o, "size", 0));
  st.st_blksize = static_cast<blksize_t>(get_number(o, "blksize", 4096));
  Napi::Value blocks = o.Get("blocks");
  st.st_blocks = blocks.IsUndefined() ? (st.st_size + 511) / 512 : static_cast<blkcnt_t>(blocks.As<Napi::Number>().Int64Value());
  st.st_atim = timespec_from_ms(get_number(o, "atimeMs", 0));
  st.st_mtim = timespec_from_ms(get_number(o, "mtimeMs", 0));
  st.st_ctim = timespec_from_ms(get_number(o, "ctimeMs", 0));
  return st;
}

fuse_entry_param entry_from_js(const Napi::Object& o) {
  fuse_entry_param e;
  std::memset(&e, 0, sizeof(e));
  e.ino = to_u64(o.Get("ino"), "entry.ino");
  e.generation = static_cast<uint64_t>(get_number(o, "generation", 0));
  e.attr_timeout = get_number(o, "attrTimeoutS", 0);
  e.entry_timeout = get_number(o, "entryTimeoutS", 0);
  if (e.ino != 0) {
    Napi::Value attr = o.Get("attr");
    if (!attr.IsObject()) throw Napi::TypeError::New(o.Env(), "entry.attr must be an object");
    e.attr = stat_from_js(attr.As<Napi::Object>());
    e.attr.st_ino = e.ino;
  }
  return e;
}

void open_from_js(const Napi::Object& o, fuse_file_info* fi) {
  fi->fh = to_u64(o.Get("fh"), "open.fh");
  fi->keep_cache = get_bool(o, "keepCache", false);
  fi->direct_io = get_bool(o, "directIo", false);
  fi->noflush = get_bool(o, "noflush", false);
  fi->nonseekable = get_bool(o, "nonseekable", false);
  fi->cache_readdir = get_bool(o, "cacheReaddir", false);
}

struct statvfs statvfs_from_js(const Napi::Object& o) {
  struct statvfs s;
  std::memset(&s, 0, sizeof(s));
  s.f_bsize = static_cast<unsigned long>(get_number(o, "bsize", 4096));
  s.f_frsize = static_cast<unsigned long>(get_number(o, "frsize", static_cast<double>(s.f_bsize)));
  s.f_blocks = static_cast<fsblkcnt_t>(get_number(o, "blocks", 0));
  s.f_bfree = static_cast<fsblkcnt_t>(get_number(o, "bfree", 0));
  s.f_bavail = static_cast<fsblkcnt_t>(get_number(o, "bavail", 0));
  s.f_files = static_cast<fsfilcnt_t>(get_number(o, "files", 0));
  s.f_ffree = static_cast<fsfilcnt_t>(get_number(o, "ffree", 0));
  s.f_favail = s.f_ffree;
  s.f_namemax = static_cast<unsigned long>(get_number(o, "namemax", kNameMax));
  return s;
}

}  // namespace chalkfs
