#include "attr_cache.h"

namespace chalkfs {

AttrCache::Ticket AttrCache::ticket() {
  std::lock_guard<std::mutex> lock(mu_);
  return seq_;
}

bool AttrCache::get(uint64_t ino, struct stat* st, double* timeout_s) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ino);
  if (it == entries_.end() || !it->second.valid) return false;
  *st = it->second.st;
  *timeout_s = it->second.timeout_s;
  hits_++;
  return true;
}

// Called with mu_ held. Growing past the bound empties the cache rather than choosing
// victims: the kernel forgets inodes it no longer uses, so the bound is a safety net.
AttrCache::Entry& AttrCache::slot(uint64_t ino) {
  if (entries_.size() >= max_entries_ && entries_.find(ino) == entries_.end()) {
    entries_.clear();
    floor_ = ++seq_;
  }
  return entries_[ino];
}

bool AttrCache::fill(uint64_t ino, const struct stat& st, double timeout_s, Ticket t) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ino);
  if (it == entries_.end() ? t < floor_ : t < it->second.changed_at) return false;
  Entry& e = slot(ino);
  if (t < floor_) return false;  // slot() may have just emptied the cache
  e.valid = true;
  e.st = st;
  e.timeout_s = timeout_s;
  return true;
}

void AttrCache::put(uint64_t ino, const struct stat& st, double timeout_s) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = slot(ino);
  e.valid = true;
  e.st = st;
  e.timeout_s = timeout_s;
  e.changed_at = ++seq_;
}

void AttrCache::invalidate(uint64_t ino) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = slot(ino);
  e.valid = false;
  e.changed_at = ++seq_;
}

void AttrCache::drop(uint64_t ino) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(ino);
  floor_ = ++seq_;
}

void AttrCache::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
  floor_ = ++seq_;
}

AttrCache::Counts AttrCache::counts() {
  std::lock_guard<std::mutex> lock(mu_);
  return Counts{hits_, entries_.size()};
}

}  // namespace chalkfs
