// Per-inode attribute cache: getattr answered in C, without a trip into JavaScript,
// while the daemon's answer for that inode cannot have changed.
//
// The daemon fills it (put, or the answer it gives a getattr) and empties it (invalidate,
// drop, clear). An answer JavaScript computed is only stored if nothing changed that
// inode since the request arrived: each change takes a sequence number, each request a
// ticket (the sequence number when it arrived), and a fill whose ticket predates the
// inode's last change is refused. Thread-safe: loop threads read, the JS thread writes.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace chalkfs {

class AttrCache {
 public:
  using Ticket = uint64_t;

  explicit AttrCache(size_t max_entries = 1 << 20) : max_entries_(max_entries) {}

  // Taken when a request that may fill the cache arrives.
  Ticket ticket();
  // A valid cached answer for ino, and the attribute timeout to give the kernel with it.
  bool get(uint64_t ino, struct stat* st, double* timeout_s);
  // An answer computed in JavaScript for a request with ticket t: stored unless ino
  // changed (invalidate, put, drop, clear) after t was taken. Returns whether stored.
  bool fill(uint64_t ino, const struct stat& st, double timeout_s, Ticket t);
  // The daemon's answer after a change it made: stored now, and answers still in flight
  // (computed before it) are refused.
  void put(uint64_t ino, const struct stat& st, double timeout_s);
  // The inode changed: no cached answer until the next fill or put.
  void invalidate(uint64_t ino);
  // The kernel forgot the inode: its entry goes (answers in flight for it are refused).
  void drop(uint64_t ino);
  // Everything may have changed.
  void clear();

  struct Counts {
    uint64_t hits;     // getattrs answered here
    size_t entries;
  };
  Counts counts();

 private:
  struct Entry {
    bool valid = false;
    struct stat st {};
    double timeout_s = 0;
    uint64_t changed_at = 0;
  };
  Entry& slot(uint64_t ino);

  std::mutex mu_;
  std::unordered_map<uint64_t, Entry> entries_;
  uint64_t seq_ = 0;
  // An inode without an entry may have been dropped after a ticket: fills of missing
  // entries are refused for tickets older than the last drop or clear.
  uint64_t floor_ = 0;
  uint64_t hits_ = 0;
  size_t max_entries_;
};

}  // namespace chalkfs
