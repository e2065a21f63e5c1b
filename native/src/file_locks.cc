// Open-file-description locks, non-blocking only (the waiting policy lives in TypeScript).
//
// Why OFD locks and not classic POSIX (F_SETLK) locks: a POSIX lock belongs to the
// process, so any close() of any descriptor of the file by the daemon drops it, and two
// holders in one process never conflict with each other. An OFD lock belongs to the
// open file description: it conflicts with every other description's locks, OFD or
// POSIX (so with the POSIX locks SQLite's os_unix.c takes), and it works the same from a
// worker thread. The kernel does the arbitration; this file only translates arguments.
//
//   setLock(fd, 'read'|'write'|'unlock', start, len) -> true when set, false when another
//     description holds a conflicting lock (EAGAIN/EACCES); throws on any other error.
//   getLock(fd, 'read'|'write', start, len) -> null when the lock could be set now, else
//     the first conflicting lock: { type, start, len, pid } (pid is -1 for an OFD lock,
//     the holder's pid for a POSIX lock).
#include "file_locks.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace chalkfs {

namespace {

short lock_type_of(Napi::Env env, const Napi::Value& v, bool unlock_allowed) {
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    if (s == "read") return F_RDLCK;
    if (s == "write") return F_WRLCK;
    if (s == "unlock" && unlock_allowed) return F_UNLCK;
  }
  throw Napi::TypeError::New(env, unlock_allowed ? "lock type must be 'read', 'write' or 'unlock'" : "lock type must be 'read' or 'write'");
}

int64_t whole_number(Napi::Env env, const Napi::Value& v, const char* what, int64_t min) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d)) || d < static_cast<double>(min) || d > 9007199254740991.0) {
    throw Napi::RangeError::New(env, std::string(what) + " must be a whole number of at least " + std::to_string(min));
  }
  return static_cast<int64_t>(d);
}

// The lock a call describes; l_pid must be 0 for OFD commands.
struct flock lock_of(const Napi::CallbackInfo& info, bool unlock_allowed, int* fd) {
  Napi::Env env = info.Env();
  if (info.Length() != 4) throw Napi::TypeError::New(env, "expected (fd, type, start, len)");
  *fd = static_cast<int>(whole_number(env, info[0], "fd", 0));
  struct flock lock;
  std::memset(&lock, 0, sizeof(lock));
  lock.l_type = lock_type_of(env, info[1], unlock_allowed);
  lock.l_whence = SEEK_SET;
  lock.l_start = static_cast<off_t>(whole_number(env, info[2], "start", 0));
  lock.l_len = static_cast<off_t>(whole_number(env, info[3], "len", 0));
  return lock;
}

Napi::Error errno_error(Napi::Env env, const char* call, int err) {
  Napi::Error e = Napi::Error::New(env, std::string(call) + ": " + std::strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

Napi::Value SetLock(const Napi::CallbackInfo& info) {
  int fd;
  struct flock lock = lock_of(info, true, &fd);
  if (fcntl(fd, F_OFD_SETLK, &lock) == 0) return Napi::Boolean::New(info.Env(), true);
  int err = errno;
  if (err == EAGAIN || err == EACCES) return Napi::Boolean::New(info.Env(), false);
  throw errno_error(info.Env(), "fcntl(F_OFD_SETLK)", err);
}

Napi::Value GetLock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  struct flock lock = lock_of(info, false, &fd);
  if (fcntl(fd, F_OFD_GETLK, &lock) != 0) throw errno_error(env, "fcntl(F_OFD_GETLK)", errno);
  if (lock.l_type == F_UNLCK) return env.Null();
  Napi::Object holder = Napi::Object::New(env);
  holder.Set("type", Napi::String::New(env, lock.l_type == F_WRLCK ? "write" : "read"));
  holder.Set("start", Napi::Number::New(env, static_cast<double>(lock.l_start)));
  holder.Set("len", Napi::Number::New(env, static_cast<double>(lock.l_len)));
  holder.Set("pid", Napi::Number::New(env, static_cast<double>(lock.l_pid)));
  return holder;
}

}  // namespace

Napi::Object file_locks_object(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("setLock", Napi::Function::New(env, SetLock, "setLock"));
  o.Set("getLock", Napi::Function::New(env, GetLock, "getLock"));
  return o;
}

}  // namespace chalkfs
