#include "base/random.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <stdexcept>

namespace postern::base {

void SystemRandom::fill(std::span<std::byte> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // getrandom on Linux >= 3.17 only fails for bad arguments: a true invariant.
      throw std::runtime_error("getrandom failed");
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string random_alnum(Random& random, std::size_t n) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  s.reserve(n);
  std::array<std::byte, 64> buf{};
  while (s.size() < n) {
    random.fill(buf);
    for (std::byte b : buf) {
      auto v = std::to_integer<unsigned>(b);
      if (v >= 248) continue;  // 248 = 4 * 62: keeps the draw unbiased
      s.push_back(alphabet[v % 62]);
      if (s.size() == n) break;
    }
  }
  return s;
}

}  // namespace postern::base
