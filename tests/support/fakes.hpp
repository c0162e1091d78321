#pragma once
// Fakes for the unit tests: time, randomness and the directory are parameters (STYLE §9).

#include <chrono>
#include <cstddef>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "base/strings.hpp"
#include "policy/directory.hpp"

namespace postern::testing {

/// A clock that stands still until told to move.
class FakeClock final : public base::Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point t = std::chrono::system_clock::time_point{
                         std::chrono::seconds{1'800'000'000}})
      : now_(t) {}
  std::chrono::system_clock::time_point now() const override { return now_; }
  void advance(std::chrono::system_clock::duration d) { now_ += d; }

 private:
  std::chrono::system_clock::time_point now_;
};

/// Deterministic "random" bytes: 0, 1, 2, ... (wrapping).
class CountingRandom final : public base::Random {
 public:
  void fill(std::span<std::byte> out) override {
    for (auto& b : out) b = static_cast<std::byte>(next_++);
  }

 private:
  unsigned char next_ = 0;
};

/// A directory holding a fixed set of `local@domain` (local compared case-insensitively, like
/// the real store), or failing every lookup when `down`.
class FakeDirectory final : public policy::Directory {
 public:
  FakeDirectory() = default;
  explicit FakeDirectory(std::set<std::string> mailboxes) : mailboxes_(std::move(mailboxes)) {}
  void add(std::string mailbox) { mailboxes_.insert(base::to_lower(mailbox)); }
  void set_down(bool down) { down_ = down; }

  policy::Lookup find_mailbox(std::string_view local, std::string_view domain) const override {
    if (down_) return policy::Lookup::temporary_failure;
    std::string key = base::to_lower(local) + "@" + std::string(domain);
    return mailboxes_.contains(key) ? policy::Lookup::found : policy::Lookup::not_found;
  }

 private:
  std::set<std::string> mailboxes_;
  bool down_ = false;
};

}  // namespace postern::testing
