// Shared read-only handles: read-only opens of an inode answered in C with one handle
// JavaScript opened and marked shareable, and their releases answered in C too.
//
// SQLite's open-query-close reader costs two trips into JavaScript (OPEN, RELEASE) per
// query without this. JavaScript sees such a handle opened once and released once:
// after it is retired (the inode's content may change), either at once (retire returns
// it when the kernel holds no open of it) or at the kernel's last release of it.
// A handle offered for an inode retired after the open arrived is not shared (it stays a
// plain handle), and neither is one offered while another is already shared for it.
// Thread-safe: opens and releases arrive on loop threads, offers and retires on the JS one.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

namespace chalkfs {

class SharedOpens {
 public:
  using Ticket = uint64_t;
  // A shared handle, and the open reply's flags (keep_cache, direct_io...) that came
  // with it, as bits the binding defines: every open it answers gets the same.
  struct Handle {
    uint64_t fh;
    uint32_t open_bits;
  };

  Ticket ticket();
  // A read-only open of ino: the shared handle answering it (counted), if any.
  std::optional<Handle> acquire(uint64_t ino);
  // JavaScript answered a read-only open (ticket t) with handle fh, marked shareable.
  // Returns whether it is now shared (its opens count this one).
  bool offer(uint64_t ino, uint64_t fh, uint32_t open_bits, Ticket t);
  // The kernel released handle fh of ino. True when answered here; false when
  // JavaScript must release it (a plain handle, or a retired one's last release).
  bool release(uint64_t ino, uint64_t fh);
  // Shared handles of ino (retire) or of every inode (retire_all) serve no new opens.
  // Returns those with no open left: JavaScript releases them now.
  std::vector<uint64_t> retire(uint64_t ino);
  std::vector<uint64_t> retire_all();

  struct Counts {
    uint64_t hits;  // opens answered here
    size_t live;    // handles serving opens
  };
  Counts counts();

 private:
  struct Live {
    Handle handle;
    uint64_t opens;
  };
  void retire_locked(const Live& live, std::vector<uint64_t>* idle);

  std::mutex mu_;
  std::unordered_map<uint64_t, Live> live_;        // by inode
  std::unordered_map<uint64_t, uint64_t> retired_;  // opens left, by handle
  uint64_t seq_ = 0;
  uint64_t last_retire_ = 0;
  uint64_t hits_ = 0;
};

}  // namespace chalkfs
