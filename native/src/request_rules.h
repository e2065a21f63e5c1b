// Small rules that decide, in C, how a request is answered before any JavaScript runs.
#pragma once

#include <fcntl.h>
#include <time.h>

#include <cmath>
#include <cstddef>

namespace chalkfs {

// Linux's NAME_MAX. The kernel passes FUSE names up to 1024 bytes; a local disk refuses
// anything over 255 with ENAMETOOLONG, on every call that takes a name.
constexpr size_t kNameMax = 255;

inline bool name_too_long(size_t len) { return len > kNameMax; }

enum class OpenRoute {
  kNoOpen,     // answer ENOSYS: the kernel stops sending OPEN and RELEASE (FUSE_CAP_NO_OPEN_SUPPORT)
  kTryShared,  // a shared read-only handle may answer it
  kJs,         // JavaScript answers
};

// Only an open that cannot change the file may skip the daemon: no write access, no
// truncation. no_open is connection-wide once answered (the kernel remembers the first
// ENOSYS), so it is for mounts where every open is read-only.
inline bool read_only_open(int flags) { return (flags & O_ACCMODE) == O_RDONLY && (flags & O_TRUNC) == 0; }

inline OpenRoute open_route(int flags, bool no_open, bool no_open_capable, bool share_opens) {
  if (!read_only_open(flags)) return OpenRoute::kJs;
  if (no_open && no_open_capable) return OpenRoute::kNoOpen;
  if (share_opens) return OpenRoute::kTryShared;
  return OpenRoute::kJs;
}

// Times cross into JavaScript as milliseconds since the epoch (a double, like fs.Stats'
// mtimeMs): exact to well under a microsecond for present-day dates.
inline struct timespec timespec_from_ms(double ms) {
  double sec = std::floor(ms / 1000.0);
  long nsec = static_cast<long>(std::llround((ms - sec * 1000.0) * 1e6));
  if (nsec >= 1000000000L) {
    sec += 1;
    nsec -= 1000000000L;
  }
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(sec);
  ts.tv_nsec = nsec;
  return ts;
}

inline double ms_from_timespec(const struct timespec& ts) {
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace chalkfs
