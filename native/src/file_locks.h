#pragma once
// Open-file-description locks (fcntl F_OFD_SETLK / F_OFD_GETLK) for JavaScript: the
// primitive chalkfs takes SQLite's own locks with from outside SQLite (docs/ARCHITECTURE.md).
#include <napi.h>

namespace chalkfs {
// An object with setLock(fd, type, start, len) and getLock(fd, type, start, len).
Napi::Object file_locks_object(Napi::Env env);
}  // namespace chalkfs
