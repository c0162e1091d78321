#include "policy/counters.hpp"

#include <algorithm>
#include <functional>
#include <mutex>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace postern::policy {

namespace {

using std::chrono::seconds;

struct Bucket {
  std::int64_t start = 0;  // seconds since the epoch, a multiple of the bucket width
  std::uint64_t count = 0;
};

// Only the non-empty buckets of a key, oldest first: most keys (one failed login from an
// address) hold one or two, never all `buckets`.
struct Entry {
  std::vector<Bucket> buckets;
  std::int64_t newest() const { return buckets.back().start; }
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// One shard: its keys, and the same keys ordered by their newest bucket. The order serves both
// the sweep of expired keys (they sit at the front) and the eviction when the shard is full.
// The string_views point into the map's nodes, which never move while the key lives.
struct Shard {
  std::mutex mutex;
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> keys;
  std::set<std::pair<std::int64_t, std::string_view>> by_newest;
};

// Many shards only pay off with many keys; a small table (tests, tiny configs) keeps one shard
// so that eviction picks the globally oldest key.
constexpr std::size_t kMaxShards = 16;
constexpr std::size_t kKeysPerShardBeforeSplitting = 4096;

class MemoryCounters final : public Counters {
 public:
  MemoryCounters(seconds window, unsigned buckets, std::size_t max_keys)
      : window_(std::max(window, seconds{1})),
        // At least one second per bucket: time is kept in whole seconds, and windows of a few
        // seconds (tests) still get sensible buckets.
        width_(std::max<std::int64_t>(1, window_.count() / std::max(1u, buckets))),
        shard_count_(std::clamp<std::size_t>(max_keys / kKeysPerShardBeforeSplitting, 1, kMaxShards)),
        per_shard_max_(std::max<std::size_t>(1, (max_keys + shard_count_ - 1) / shard_count_)),
        shards_(std::make_unique<Shard[]>(shard_count_)) {}

  seconds window() const override { return window_; }

  void add(std::string_view key, Time now, std::uint64_t n) override {
    if (n == 0) return;
    add_at(key, bucket_of(now), n, now);
  }

  std::uint64_t sum(std::string_view key, Time now) const override {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.keys.find(key);
    if (it == shard.keys.end()) return 0;
    std::uint64_t total = 0;
    for (const Bucket& b : it->second.buckets) {
      if (live(b.start, now)) total += b.count;
    }
    if (total == 0) drop(shard, it);
    return total;
  }

  Time fits_at(std::string_view key, Time now, std::uint64_t limit, std::uint64_t n) const override {
    if (n > limit) return now + window_;
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.keys.find(key);
    if (it == shard.keys.end()) return now;
    std::uint64_t total = 0;
    for (const Bucket& b : it->second.buckets) {
      if (live(b.start, now)) total += b.count;
    }
    if (total + n <= limit) return now;
    // Oldest first: the answer is the moment the bucket that brings the sum low enough leaves
    // the window. It is reached at the latest when every bucket has left (n <= limit).
    for (const Bucket& b : it->second.buckets) {
      if (!live(b.start, now)) continue;
      total -= b.count;
      if (total + n <= limit) return expiry(b.start);
    }
    return now + window_;  // not reached: total falls to 0 above
  }

  void erase(std::string_view key) override {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.keys.find(key);
    if (it != shard.keys.end()) drop(shard, it);
  }

  std::vector<std::pair<std::string, std::uint64_t>> keys_at_least(Time now, std::uint64_t min) const override {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for_each_live(now, [&](const std::string& key, const Entry& entry) {
      std::uint64_t total = 0;
      for (const Bucket& b : entry.buckets) total += b.count;
      // An absent key and a key with nothing live are the same: never listed, even for min 0.
      if (total > 0 && total >= min) out.emplace_back(key, total);
    });
    return out;
  }

  std::vector<CounterRow> snapshot(Time now) const override {
    std::vector<CounterRow> rows;
    for_each_live(now, [&](const std::string& key, const Entry& entry) {
      for (const Bucket& b : entry.buckets) rows.push_back(CounterRow{key, b.start, b.count});
    });
    std::ranges::sort(rows, [](const CounterRow& a, const CounterRow& b) {
      return std::tie(a.key, a.bucket) < std::tie(b.key, b.bucket);
    });
    return rows;
  }

  void restore(const std::vector<CounterRow>& rows, Time now) override {
    for (const CounterRow& row : rows) {
      if (row.count == 0) continue;
      // Rows written with another bucket width (the window was reconfigured) fall into the
      // bucket holding their start, never later, so they leave the window no later than before.
      std::int64_t start = floor_to_width(row.bucket);
      if (!live(start, now)) continue;
      add_at(row.key, start, row.count, now);
    }
  }

 private:
  std::int64_t floor_to_width(std::int64_t t) const {
    std::int64_t q = t / width_;
    if (t % width_ != 0 && t < 0) --q;
    return q * width_;
  }

  std::int64_t bucket_of(Time now) const {
    return floor_to_width(std::chrono::floor<seconds>(now.time_since_epoch()).count());
  }

  // A bucket leaves the sum once all of it is older than the window: the events it holds are
  // kept up to one bucket width too long, never dropped early.
  Time expiry(std::int64_t start) const { return Time{seconds{start + width_} + window_}; }
  bool live(std::int64_t start, Time now) const { return now < expiry(start); }

  Shard& shard_of(std::string_view key) const { return shards_[StringHash{}(key) % shard_count_]; }

  // Caller holds the shard's lock.
  void drop(Shard& shard, std::unordered_map<std::string, Entry, StringHash, std::equal_to<>>::iterator it) const {
    shard.by_newest.erase({it->second.newest(), it->first});
    shard.keys.erase(it);
  }

  // Drops the keys with nothing live left; they are the front of by_newest. Caller holds the lock.
  void sweep(Shard& shard, Time now) const {
    while (!shard.by_newest.empty() && !live(shard.by_newest.begin()->first, now)) {
      drop(shard, shard.keys.find(shard.by_newest.begin()->second));
    }
  }

  // Drops the expired buckets at the front of an entry. Caller holds the lock.
  void prune(Entry& entry, Time now) const {
    auto first_live = std::ranges::find_if(entry.buckets, [&](const Bucket& b) { return live(b.start, now); });
    entry.buckets.erase(entry.buckets.begin(), first_live);
  }

  void add_at(std::string_view key, std::int64_t start, std::uint64_t n, Time now) {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    sweep(shard, now);
    auto it = shard.keys.find(key);
    if (it == shard.keys.end()) {
      // A flood of distinct keys (random user names) evicts the key that was quiet longest.
      if (shard.keys.size() >= per_shard_max_) {
        drop(shard, shard.keys.find(shard.by_newest.begin()->second));
      }
      it = shard.keys.emplace(std::string(key), Entry{{Bucket{start, n}}}).first;
      shard.by_newest.emplace(start, it->first);
      return;
    }
    Entry& entry = it->second;
    std::int64_t old_newest = entry.newest();
    prune(entry, now);  // never empties it: sweep() kept only keys whose newest bucket is live
    auto pos = std::ranges::lower_bound(entry.buckets, start, {}, &Bucket::start);
    if (pos != entry.buckets.end() && pos->start == start) {
      pos->count += n;
    } else {
      entry.buckets.insert(pos, Bucket{start, n});
    }
    if (entry.newest() != old_newest) {
      shard.by_newest.erase({old_newest, it->first});
      shard.by_newest.emplace(entry.newest(), it->first);
    }
  }

  // Calls `f(key, entry)` for every key with live buckets, the entry pruned to them; drops
  // the keys with none.
  template <typename F>
  void for_each_live(Time now, F&& f) const {
    for (std::size_t i = 0; i < shard_count_; ++i) {
      Shard& shard = shards_[i];
      std::lock_guard lock(shard.mutex);
      sweep(shard, now);
      for (auto& [key, entry] : shard.keys) {
        prune(entry, now);
        f(key, entry);
      }
    }
  }

  seconds window_;
  std::int64_t width_;
  std::size_t shard_count_;
  std::size_t per_shard_max_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace

std::unique_ptr<Counters> make_memory_counters(std::chrono::seconds window, unsigned buckets, std::size_t max_keys) {
  return std::make_unique<MemoryCounters>(window, buckets, max_keys);
}

}  // namespace postern::policy
