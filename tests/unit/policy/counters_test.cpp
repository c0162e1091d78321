#include "policy/counters.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>

namespace postern::policy {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// A whole minute since the epoch, so bucket boundaries fall on t0 for every width used here.
const Time t0{seconds{1'800'000'000}};

TEST(MemoryCounters, CountsEventsInsideTheWindow) {
  auto c = make_memory_counters(seconds{60}, 60);
  EXPECT_EQ(c->window(), seconds{60});
  c->add("k", t0);
  c->add("k", t0 + seconds{10}, 2);
  EXPECT_EQ(c->sum("k", t0 + seconds{30}), 3u);
  EXPECT_EQ(c->sum("other", t0 + seconds{30}), 0u);
  // The bucket [t0, t0+1) is entirely older than the window from t0 + 61 on.
  EXPECT_EQ(c->sum("k", t0 + seconds{60}), 3u);
  EXPECT_EQ(c->sum("k", t0 + seconds{61} - nanoseconds{1}), 3u);
  EXPECT_EQ(c->sum("k", t0 + seconds{61}), 2u);
  EXPECT_EQ(c->sum("k", t0 + seconds{71}), 0u);
}

TEST(MemoryCounters, ShortWindowsUseOneSecondBuckets) {
  // 4 s over 60 buckets: the width is one second, not zero.
  auto c = make_memory_counters(seconds{4}, 60);
  c->add("k", t0 + milliseconds{500});
  EXPECT_EQ(c->sum("k", t0 + milliseconds{4999}), 1u);
  EXPECT_EQ(c->sum("k", t0 + seconds{5}), 0u);
  c->add("k", t0 + seconds{6});
  c->add("k", t0 + seconds{7});
  EXPECT_EQ(c->sum("k", t0 + seconds{10} + milliseconds{999}), 2u);
  EXPECT_EQ(c->sum("k", t0 + seconds{11}), 1u);
}

TEST(MemoryCounters, BucketWidthIsWindowOverBuckets) {
  auto c = make_memory_counters(seconds{600}, 60);  // 10 s buckets
  c->add("k", t0 + seconds{3});
  c->add("k", t0 + seconds{9});
  c->add("k", t0 + seconds{10});
  EXPECT_EQ(c->sum("k", t0 + seconds{609}), 3u);
  EXPECT_EQ(c->sum("k", t0 + seconds{610}), 1u);  // both events of [t0, t0+10) leave together
  EXPECT_EQ(c->sum("k", t0 + seconds{620}), 0u);
}

TEST(MemoryCounters, FitsAtReturnsWhenTheOldestBucketsHaveLeft) {
  auto c = make_memory_counters(seconds{10}, 10);
  c->add("k", t0, 3);
  c->add("k", t0 + seconds{2}, 2);
  c->add("k", t0 + seconds{5}, 1);
  Time now = t0 + seconds{6};
  ASSERT_EQ(c->sum("k", now), 6u);
  EXPECT_EQ(c->fits_at("k", now, 10, 1), now);  // already fits
  EXPECT_EQ(c->fits_at("k", now, 6, 0), now);
  EXPECT_EQ(c->fits_at("k", now, 5, 1), t0 + seconds{11});   // the 3 leave
  EXPECT_EQ(c->fits_at("k", now, 3, 1), t0 + seconds{13});   // the 3 and the 2 leave
  EXPECT_EQ(c->fits_at("k", now, 1, 1), t0 + seconds{16});   // everything leaves
  EXPECT_EQ(c->fits_at("k", now, 2, 3), now + seconds{10});  // never fits
  EXPECT_EQ(c->fits_at("unknown", now, 1, 1), now);
}

TEST(MemoryCounters, FitsAtIsExactAgainstSum) {
  // A fresh table per question: a key whose buckets all expired is dropped when met, so asking
  // about a late time first would forget what an earlier time still counts.
  auto fresh = [] {
    auto c = make_memory_counters(seconds{20}, 20);
    for (int i = 0; i < 15; ++i) c->add("k", t0 + seconds{i}, static_cast<std::uint64_t>(i % 3 + 1));
    return c;
  };
  Time now = t0 + seconds{15} + milliseconds{250};
  for (std::uint64_t limit = 0; limit <= 30; ++limit) {
    for (std::uint64_t n = 0; n <= limit; ++n) {
      Time at = fresh()->fits_at("k", now, limit, n);
      auto c = fresh();
      if (at > now) {
        EXPECT_GT(c->sum("k", at - nanoseconds{1}) + n, limit) << limit << " " << n;
      }
      EXPECT_LE(c->sum("k", at) + n, limit) << limit << " " << n;
    }
  }
}

TEST(MemoryCounters, OutOfOrderEventsLandInTheirOwnBucket) {
  auto c = make_memory_counters(seconds{10}, 10);
  c->add("k", t0 + seconds{5});
  c->add("k", t0 + seconds{1});  // a thread with an earlier `now`
  c->add("k", t0 + seconds{3});
  EXPECT_EQ(c->sum("k", t0 + seconds{11}), 3u);
  EXPECT_EQ(c->sum("k", t0 + seconds{12}), 2u);
  EXPECT_EQ(c->sum("k", t0 + seconds{14}), 1u);
  EXPECT_EQ(c->sum("k", t0 + seconds{16}), 0u);
}

TEST(MemoryCounters, EraseForgetsOneKey) {
  auto c = make_memory_counters(seconds{60});
  c->add("a", t0, 5);
  c->add("b", t0, 2);
  c->erase("a");
  c->erase("never-seen");
  EXPECT_EQ(c->sum("a", t0), 0u);
  EXPECT_EQ(c->sum("b", t0), 2u);
  c->add("a", t0);
  EXPECT_EQ(c->sum("a", t0), 1u);
}

TEST(MemoryCounters, KeysAtLeastListsLiveSums) {
  auto c = make_memory_counters(seconds{60});
  c->add("a", t0, 5);
  c->add("b", t0 + seconds{30}, 2);
  c->add("c", t0 + seconds{30}, 9);
  auto keys = c->keys_at_least(t0 + seconds{40}, 3);
  std::ranges::sort(keys);
  std::vector<std::pair<std::string, std::uint64_t>> expected{{"a", 5}, {"c", 9}};
  EXPECT_EQ(keys, expected);
  keys = c->keys_at_least(t0 + seconds{61}, 0);  // "a" has left the window
  std::ranges::sort(keys);
  expected = {{"b", 2}, {"c", 9}};
  EXPECT_EQ(keys, expected);
}

TEST(MemoryCounters, EvictsTheKeyQuietLongestBeyondMaxKeys) {
  auto c = make_memory_counters(seconds{60}, 60, 3);
  c->add("a", t0);
  c->add("b", t0 + seconds{1});
  c->add("c", t0 + seconds{2});
  c->add("d", t0 + seconds{3});
  EXPECT_EQ(c->sum("a", t0 + seconds{3}), 0u);
  EXPECT_EQ(c->sum("b", t0 + seconds{3}), 1u);
  c->add("b", t0 + seconds{4});  // b is now the newest
  c->add("e", t0 + seconds{5});  // c is the oldest
  EXPECT_EQ(c->sum("c", t0 + seconds{5}), 0u);
  EXPECT_EQ(c->sum("b", t0 + seconds{5}), 2u);
  EXPECT_EQ(c->sum("d", t0 + seconds{5}), 1u);
  EXPECT_EQ(c->sum("e", t0 + seconds{5}), 1u);
  EXPECT_EQ(c->keys_at_least(t0 + seconds{5}, 1).size(), 3u);
}

TEST(MemoryCounters, ExpiredKeysMakeRoomBeforeLiveOnesAreEvicted) {
  auto c = make_memory_counters(seconds{10}, 10, 2);
  c->add("old", t0);
  c->add("live", t0 + seconds{8});
  // "old" has left the window; adding a third key must not cost "live" its count.
  c->add("new", t0 + seconds{12});
  EXPECT_EQ(c->sum("live", t0 + seconds{12}), 1u);
  EXPECT_EQ(c->sum("new", t0 + seconds{12}), 1u);
}

TEST(MemoryCounters, ManyKeysAcrossShardsStayBounded) {
  auto c = make_memory_counters(seconds{60}, 60, 100'000);
  for (int i = 0; i < 120'000; ++i) c->add("user" + std::to_string(i), t0 + seconds{i / 4000});
  auto keys = c->keys_at_least(t0 + seconds{30}, 1);
  EXPECT_LE(keys.size(), 100'000u);
  EXPECT_GE(keys.size(), 90'000u);
  EXPECT_EQ(c->sum("user119999", t0 + seconds{30}), 1u);  // the newest survive
  EXPECT_EQ(c->sum("user0", t0 + seconds{30}), 0u);       // the oldest went
}

TEST(MemoryCounters, SnapshotAndRestoreRoundTrip) {
  auto a = make_memory_counters(seconds{60}, 12);  // 5 s buckets
  a->add("x", t0, 2);
  a->add("x", t0 + seconds{7});
  a->add("y", t0 + seconds{20}, 4);
  a->add("gone", t0 - seconds{120});
  Time now = t0 + seconds{30};
  auto rows = a->snapshot(now);
  std::vector<CounterRow> expected{{"x", 1'800'000'000, 2}, {"x", 1'800'000'005, 1}, {"y", 1'800'000'020, 4}};
  EXPECT_EQ(rows, expected);

  auto b = make_memory_counters(seconds{60}, 12);
  b->restore(rows, now);
  EXPECT_EQ(b->snapshot(now), rows);
  EXPECT_EQ(b->sum("x", now), 3u);
  EXPECT_EQ(b->fits_at("x", now, 1, 1), a->fits_at("x", now, 1, 1));
  EXPECT_EQ(b->fits_at("x", now, 1, 1), t0 + seconds{70});
}

TEST(MemoryCounters, RestoreSkipsRowsOutsideTheWindowAndRebuckets) {
  auto c = make_memory_counters(seconds{60}, 6);  // 10 s buckets
  std::vector<CounterRow> rows{
      {"k", 1'800'000'000 - 100, 5}, {"k", 1'800'000'003, 2}, {"k", 1'800'000'007, 1}, {"z", 1'800'000'010, 0}};
  c->restore(rows, t0 + seconds{5});
  std::vector<CounterRow> expected{{"k", 1'800'000'000, 3}};
  EXPECT_EQ(c->snapshot(t0 + seconds{5}), expected);
}

TEST(MemoryCounters, ConcurrentAddsAreAllCounted) {
  auto c = make_memory_counters(seconds{60}, 60, 100'000);
  auto work = [&] {
    for (int i = 0; i < 20'000; ++i) c->add("k" + std::to_string(i % 50), t0 + milliseconds{i});
  };
  std::thread t1(work), t2(work);
  t1.join();
  t2.join();
  std::uint64_t total = 0;
  for (auto& [key, n] : c->keys_at_least(t0 + seconds{20}, 1)) total += n;
  EXPECT_EQ(total, 40'000u);
  EXPECT_EQ(c->sum("k7", t0 + seconds{20}), 800u);
}

}  // namespace
}  // namespace postern::policy
