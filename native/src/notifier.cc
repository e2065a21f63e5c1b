#include "notifier.h"

#include <cerrno>

namespace chalkfs {

Notifier::~Notifier() { stop(); }

void Notifier::start(fuse_session* se, Done done) {
  std::lock_guard<std::mutex> lock(mu_);
  se_ = se;
  done_ = std::move(done);
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

bool Notifier::push(Notice notice) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_ || stopping_) return false;
  queue_.push_back(std::move(notice));
  cv_.notify_one();
  return true;
}

void Notifier::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
    cv_.notify_one();
  }
  thread_.join();
  for (const Notice& n : queue_) done_(n.id, -ENOTCONN);
  queue_.clear();
}

void Notifier::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Notice n = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    int result = n.kind == Notice::Kind::kInode
                     ? fuse_lowlevel_notify_inval_inode(se_, n.ino, n.off, n.len)
                     : fuse_lowlevel_notify_inval_entry(se_, n.ino, n.name.c_str(), n.name.size());
    done_(n.id, result);
    lock.lock();
  }
}

}  // namespace chalkfs
