#pragma once
// Time is a parameter (STYLE §9): pure code asks a Clock, tests pass a fake one.

#include <chrono>

namespace postern::base {

/// The source of wall-clock time for everything that stamps or schedules.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
};

/// The real clock.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace postern::base
