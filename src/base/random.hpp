#pragma once
// Randomness is a parameter (STYLE §9): SASL nonces, queue ids and passwords ask a Random.

#include <cstddef>
#include <span>
#include <string>

namespace postern::base {

/// A source of cryptographically strong random bytes.
class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::span<std::byte> out) = 0;
};

/// The kernel's CSPRNG (getrandom(2)).
class SystemRandom final : public Random {
 public:
  void fill(std::span<std::byte> out) override;
};

/// `n` random characters from [A-Za-z0-9] (rejection-sampled, so unbiased).
std::string random_alnum(Random& random, std::size_t n);

}  // namespace postern::base
