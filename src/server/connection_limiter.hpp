#pragma once
// Connection limits in total and per client address (DESIGN §3.8), checked at accept.

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace postern::server {

/// Counts open connections. `try_acquire` at accept, `release` when the connection ends (via
/// the Slot it returns). Thread-safe.
class ConnectionLimiter {
 public:
  enum class Verdict { ok, too_many_total, too_many_from_address };

  ConnectionLimiter(std::size_t max_total, std::size_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  Verdict try_acquire(const std::string& address);
  void release(const std::string& address);
  std::size_t total() const;

 private:
  std::size_t max_total_;
  std::size_t max_per_address_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace postern::server
