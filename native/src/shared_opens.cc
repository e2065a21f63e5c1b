#include "shared_opens.h"

namespace chalkfs {

SharedOpens::Ticket SharedOpens::ticket() {
  std::lock_guard<std::mutex> lock(mu_);
  return seq_;
}

std::optional<SharedOpens::Handle> SharedOpens::acquire(uint64_t ino) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(ino);
  if (it == live_.end()) return std::nullopt;
  it->second.opens++;
  hits_++;
  return it->second.handle;
}

// Retires are rare (a new version, a pinned file let go): a retire of any inode refuses
// every offer in flight, which keeps one sequence number instead of one per inode.
bool SharedOpens::offer(uint64_t ino, uint64_t fh, uint32_t open_bits, Ticket t) {
  std::lock_guard<std::mutex> lock(mu_);
  if (t < last_retire_ || live_.count(ino) != 0 || retired_.count(fh) != 0) return false;
  live_[ino] = Live{Handle{fh, open_bits}, 1};
  return true;
}

bool SharedOpens::release(uint64_t ino, uint64_t fh) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(ino);
  if (it != live_.end() && it->second.handle.fh == fh && it->second.opens > 0) {
    it->second.opens--;
    return true;
  }
  auto r = retired_.find(fh);
  if (r == retired_.end()) return false;
  if (--r->second > 0) return true;
  retired_.erase(r);
  return false;
}

void SharedOpens::retire_locked(const Live& live, std::vector<uint64_t>* idle) {
  if (live.opens == 0) idle->push_back(live.handle.fh);
  else retired_[live.handle.fh] = live.opens;
}

std::vector<uint64_t> SharedOpens::retire(uint64_t ino) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint64_t> idle;
  last_retire_ = ++seq_;
  auto it = live_.find(ino);
  if (it == live_.end()) return idle;
  retire_locked(it->second, &idle);
  live_.erase(it);
  return idle;
}

std::vector<uint64_t> SharedOpens::retire_all() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint64_t> idle;
  last_retire_ = ++seq_;
  for (const auto& entry : live_) retire_locked(entry.second, &idle);
  live_.clear();
  return idle;
}

SharedOpens::Counts SharedOpens::counts() {
  std::lock_guard<std::mutex> lock(mu_);
  return Counts{hits_, live_.size()};
}

}  // namespace chalkfs
