// Tests of the rules the binding applies in C (attr_cache, shared_opens, request_rules),
// without FUSE or Node: a plain executable that exits 1 on the first failed check.
// Run by test/unit/native-rules.test.ts (built by node-gyp with the addon).
#include <fcntl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "../src/attr_cache.h"
#include "../src/request_rules.h"
#include "../src/shared_opens.h"

using namespace chalkfs;

namespace {

int checks = 0;

#define CHECK(cond)                                                          \
  do {                                                                       \
    checks++;                                                                \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::exit(1);                                                          \
    }                                                                        \
  } while (0)

// The size a cached answer for ino holds, or -1 when there is none.
off_t cached_size(AttrCache& c, uint64_t ino, double* timeout_s = nullptr) {
  struct stat st;
  double t;
  if (!c.get(ino, &st, &t)) return -1;
  if (timeout_s != nullptr) *timeout_s = t;
  return st.st_size;
}

struct stat stat_of_size(off_t size) {
  struct stat st;
  std::memset(&st, 0, sizeof(st));
  st.st_size = size;
  st.st_mode = S_IFREG | 0644;
  return st;
}

void attr_cache_serves_what_was_filled() {
  AttrCache c;
  double timeout = -1;
  CHECK(cached_size(c, 2) == -1);
  CHECK(c.fill(2, stat_of_size(10), 30, c.ticket()));
  CHECK(cached_size(c, 2, &timeout) == 10);
  CHECK(timeout == 30);
  CHECK(c.counts().hits == 1);
  CHECK(cached_size(c, 3) == -1);
}

void attr_cache_refuses_an_answer_older_than_a_change() {
  AttrCache c;
  AttrCache::Ticket before = c.ticket();
  c.invalidate(2);
  CHECK(!c.fill(2, stat_of_size(1), 1, before));
  CHECK(cached_size(c, 2) == -1);
  CHECK(c.fill(2, stat_of_size(2), 1, c.ticket()));
  CHECK(cached_size(c, 2) == 2);
}

void attr_cache_put_wins_over_answers_in_flight() {
  AttrCache c;
  AttrCache::Ticket in_flight = c.ticket();
  c.put(2, stat_of_size(7), 5);
  CHECK(!c.fill(2, stat_of_size(1), 1, in_flight));
  double timeout = -1;
  CHECK(cached_size(c, 2, &timeout) == 7 && timeout == 5);
}

void attr_cache_invalidate_is_per_inode() {
  AttrCache c;
  c.fill(3, stat_of_size(3), 1, c.ticket());
  AttrCache::Ticket t = c.ticket();
  c.invalidate(2);
  CHECK(c.fill(3, stat_of_size(4), 1, t));
  CHECK(c.fill(4, stat_of_size(4), 1, t));
  CHECK(!c.fill(2, stat_of_size(4), 1, t));
  CHECK(cached_size(c, 3) == 4);
}

void attr_cache_drop_and_clear_refuse_older_fills() {
  AttrCache c;
  c.fill(2, stat_of_size(2), 1, c.ticket());
  AttrCache::Ticket t = c.ticket();
  c.drop(2);
  CHECK(cached_size(c, 2) == -1);
  CHECK(!c.fill(2, stat_of_size(9), 1, t));
  CHECK(!c.fill(5, stat_of_size(9), 1, t));  // any missing inode may have been the dropped one
  CHECK(c.fill(2, stat_of_size(3), 1, c.ticket()));
  t = c.ticket();
  c.clear();
  CHECK(c.counts().entries == 0);
  CHECK(cached_size(c, 2) == -1);
  CHECK(!c.fill(2, stat_of_size(9), 1, t));
}

void attr_cache_stays_bounded() {
  AttrCache c(2);
  c.fill(1, stat_of_size(1), 1, c.ticket());
  c.fill(2, stat_of_size(2), 1, c.ticket());
  AttrCache::Ticket old = c.ticket();
  c.put(3, stat_of_size(3), 1);
  CHECK(c.counts().entries == 1);
  CHECK(cached_size(c, 1) == -1);
  CHECK(cached_size(c, 3) == 3);
  CHECK(!c.fill(1, stat_of_size(1), 1, old));
}

void shared_opens_answer_repeated_opens_with_one_handle() {
  SharedOpens s;
  CHECK(!s.acquire(2).has_value());
  CHECK(s.offer(2, 40, 5, s.ticket()));
  auto h = s.acquire(2);
  CHECK(h.has_value() && h->fh == 40 && h->open_bits == 5);
  CHECK(s.counts().hits == 1);
  CHECK(s.release(2, 40));
  CHECK(s.release(2, 40));
  CHECK(!s.release(2, 40));  // no open left: not a shared release, so JavaScript's
  CHECK(s.counts().live == 1);  // still serves the next open
  CHECK(s.acquire(2)->fh == 40);
}

void shared_opens_retire_hands_idle_handles_back() {
  SharedOpens s;
  s.offer(2, 40, 0, s.ticket());
  s.release(2, 40);
  auto idle = s.retire(2);
  CHECK(idle.size() == 1 && idle[0] == 40);
  CHECK(!s.acquire(2).has_value());
  CHECK(s.counts().live == 0);
}

void shared_opens_retired_handle_goes_back_at_last_release() {
  SharedOpens s;
  s.offer(2, 40, 0, s.ticket());
  s.acquire(2);
  CHECK(s.retire(2).empty());
  CHECK(!s.acquire(2).has_value());
  CHECK(s.release(2, 40));
  CHECK(!s.release(2, 40));  // the last one: JavaScript releases the handle
  CHECK(!s.release(2, 40));  // and it is unknown afterwards
}

void shared_opens_refuse_stale_or_second_offers() {
  SharedOpens s;
  SharedOpens::Ticket before = s.ticket();
  s.retire(9);
  CHECK(!s.offer(2, 40, 0, before));
  CHECK(!s.release(2, 40));  // a plain handle: JavaScript's release
  CHECK(s.offer(2, 41, 0, s.ticket()));
  CHECK(!s.offer(2, 42, 0, s.ticket()));
  CHECK(!s.release(2, 42));
  CHECK(!s.release(2, 7));
  CHECK(s.release(2, 41));
}

void shared_opens_retire_all() {
  SharedOpens s;
  s.offer(2, 40, 0, s.ticket());
  s.offer(3, 50, 0, s.ticket());
  s.release(2, 40);
  auto idle = s.retire_all();
  CHECK(idle.size() == 1 && idle[0] == 40);
  CHECK(s.counts().live == 0);
  CHECK(!s.release(3, 50));
}

void shared_opens_count_concurrent_opens() {
  SharedOpens s;
  s.offer(2, 40, 0, s.ticket());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&s] {
      for (int i = 0; i < 20000; i++) {
        auto h = s.acquire(2);
        if (!h || !s.release(2, h->fh)) std::abort();
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(s.counts().hits == 80000);
  CHECK(s.retire(2).empty());  // the first open is still held
  CHECK(!s.release(2, 40));
}

void names_over_255_bytes_are_too_long() {
  CHECK(!name_too_long(255));
  CHECK(name_too_long(256));
  CHECK(!name_too_long(1));
}

void only_read_only_opens_skip_the_daemon() {
  CHECK(open_route(O_RDONLY, true, true, true) == OpenRoute::kNoOpen);
  CHECK(open_route(O_RDONLY, true, false, true) == OpenRoute::kTryShared);
  CHECK(open_route(O_RDONLY, true, false, false) == OpenRoute::kJs);
  CHECK(open_route(O_RDONLY, false, true, false) == OpenRoute::kJs);
  CHECK(open_route(O_RDWR, true, true, true) == OpenRoute::kJs);
  CHECK(open_route(O_WRONLY, true, true, true) == OpenRoute::kJs);
  CHECK(open_route(O_RDONLY | O_TRUNC, true, true, true) == OpenRoute::kJs);
  CHECK(open_route(O_RDONLY | O_NOFOLLOW | O_CLOEXEC, false, false, true) == OpenRoute::kTryShared);
}

void times_cross_as_milliseconds() {
  struct timespec ts = timespec_from_ms(1500.25);
  CHECK(ts.tv_sec == 1 && ts.tv_nsec == 500250000);
  ts = timespec_from_ms(-1.5);
  CHECK(ts.tv_sec == -1 && ts.tv_nsec == 998500000);
  ts = timespec_from_ms(1764547200123.456);
  CHECK(ts.tv_sec == 1764547200 && ts.tv_nsec / 1000 == 123456);
  struct timespec in = {1764547200, 999999999};
  struct timespec out = timespec_from_ms(ms_from_timespec(in));
  CHECK(out.tv_sec == in.tv_sec || out.tv_sec == in.tv_sec + 1);
  CHECK(out.tv_nsec >= 0 && out.tv_nsec < 1000000000L);
}

}  // namespace

int main() {
  const std::vector<std::pair<const char*, std::function<void()>>> tests = {
      {"attr_cache_serves_what_was_filled", attr_cache_serves_what_was_filled},
      {"attr_cache_refuses_an_answer_older_than_a_change", attr_cache_refuses_an_answer_older_than_a_change},
      {"attr_cache_put_wins_over_answers_in_flight", attr_cache_put_wins_over_answers_in_flight},
      {"attr_cache_invalidate_is_per_inode", attr_cache_invalidate_is_per_inode},
      {"attr_cache_drop_and_clear_refuse_older_fills", attr_cache_drop_and_clear_refuse_older_fills},
      {"attr_cache_stays_bounded", attr_cache_stays_bounded},
      {"shared_opens_answer_repeated_opens_with_one_handle", shared_opens_answer_repeated_opens_with_one_handle},
      {"shared_opens_retire_hands_idle_handles_back", shared_opens_retire_hands_idle_handles_back},
      {"shared_opens_retired_handle_goes_back_at_last_release", shared_opens_retired_handle_goes_back_at_last_release},
      {"shared_opens_refuse_stale_or_second_offers", shared_opens_refuse_stale_or_second_offers},
      {"shared_opens_retire_all", shared_opens_retire_all},
      {"shared_opens_count_concurrent_opens", shared_opens_count_concurrent_opens},
      {"names_over_255_bytes_are_too_long", names_over_255_bytes_are_too_long},
      {"only_read_only_opens_skip_the_daemon", only_read_only_opens_skip_the_daemon},
      {"times_cross_as_milliseconds", times_cross_as_milliseconds},
  };
  for (const auto& [name, run] : tests) {
    run();
    std::printf("ok %s\n", name);
  }
  std::printf("%zu tests, %d checks passed\n", tests.size(), checks);
  return 0;
}
