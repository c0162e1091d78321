#pragma once
// Sliding-window event counters: failed logins per address, messages per account, ... Behind an
// interface so a store shared by several nodes can replace the in-process one later. No I/O.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace postern::policy {

using Time = std::chrono::system_clock::time_point;

/// One stored bucket of a counter, for persistence (see Counters::snapshot/restore).
struct CounterRow {
  std::string key;
  std::int64_t bucket = 0;  ///< bucket start, seconds since the Unix epoch
  std::uint64_t count = 0;
  friend bool operator==(const CounterRow&, const CounterRow&) = default;
};

/// A family of counters sharing one window (e.g. "failed AUTH per client address over 10
/// minutes"). Each key counts the events added in (now - window, now]. Thread-safe.
///
/// The window is cut into `buckets` equal buckets of whole seconds (window / buckets rounded
/// down, at least one second; buckets start at multiples of the width since the Unix epoch); an
/// event belongs to the bucket holding its time, and a bucket leaves the sum once all of it is
/// older than the window, i.e. at bucket start + width + window. So an event counts for up to one
/// bucket's width longer than the window, never shorter, and fits_at() is exact in this model.
class Counters {
 public:
  virtual ~Counters() = default;

  virtual std::chrono::seconds window() const = 0;
  /// Adds `n` events at `now` to `key`.
  virtual void add(std::string_view key, Time now, std::uint64_t n = 1) = 0;
  /// The events of `key` inside the window ending at `now`.
  virtual std::uint64_t sum(std::string_view key, Time now) const = 0;
  /// The earliest time at which sum(key) + n <= limit holds again if nothing more is added: `now`
  /// when it already holds. With n > limit it never holds: returns `now + window()`.
  virtual Time fits_at(std::string_view key, Time now, std::uint64_t limit, std::uint64_t n = 1) const = 0;
  /// Forgets `key` (an operator's `lockout clear`).
  virtual void erase(std::string_view key) = 0;
  /// Keys whose sum at `now` is at least `min`, with that sum; for listings. Unordered.
  virtual std::vector<std::pair<std::string, std::uint64_t>> keys_at_least(Time now, std::uint64_t min) const = 0;
  /// Every live bucket (inside the window at `now`), to persist across a restart.
  virtual std::vector<CounterRow> snapshot(Time now) const = 0;
  /// Adds persisted buckets back (rows outside the window at `now` are ignored).
  virtual void restore(const std::vector<CounterRow>& rows, Time now) = 0;
};

/// The in-process Counters: a hash map of keys, each with its live buckets, sharded by key
/// behind mutexes. Keys whose buckets all expired are dropped as they are met; beyond
/// `max_keys` the key with the oldest newest-bucket is evicted, so a flood of distinct keys
/// (random user names) costs bounded memory. (With more than a few thousand keys the table is
/// split into up to 16 shards of max_keys / shards keys each, and the oldest key of the full
/// shard is the one evicted.)
std::unique_ptr<Counters> make_memory_counters(std::chrono::seconds window, unsigned buckets = 60,
                                               std::size_t max_keys = 200000);

}  // namespace postern::policy
