// Cache invalidation notices to the kernel, written by a thread of their own.
//
// notify_inval_entry takes the parent directory's lock in the kernel, and a lookup
// waiting for JavaScript holds it: written from the JS thread, a notice could wait for
// a lookup that waits for the JS thread. libfuse asks for exactly this: never from a
// thread that answers requests. Each notice reports its result (0 or -errno) through done.
#pragma once

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace chalkfs {

class Notifier {
 public:
  struct Notice {
    enum class Kind { kInode, kEntry } kind;
    uint64_t ino;  // the inode, or the parent directory of an entry
    int64_t off;
    int64_t len;
    std::string name;
    uint64_t id;  // handed back to done
  };
  using Done = std::function<void(uint64_t id, int result)>;

  ~Notifier();
  void start(fuse_session* se, Done done);
  // False once stopped (the session is ending): the caller answers -ENOTCONN itself.
  bool push(Notice notice);
  // Notices not yet written are answered -ENOTCONN. Must run before the session is destroyed.
  void stop();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Notice> queue_;
  bool started_ = false;
  bool stopping_ = false;
  fuse_session* se_ = nullptr;
  Done done_;
  std::thread thread_;
};

}  // namespace chalkfs
