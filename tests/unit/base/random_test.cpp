#include "base/random.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <deque>
#include <set>
#include <string>

#include "fakes.hpp"

namespace postern::base {
namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// Hands out a scripted sequence of bytes, then zeros.
class ScriptedRandom final : public Random {
 public:
  explicit ScriptedRandom(std::deque<unsigned char> bytes) : bytes_(std::move(bytes)) {}
  void fill(std::span<std::byte> out) override {
    ++calls_;
    for (auto& b : out) {
      unsigned char v = 0;
      if (!bytes_.empty()) {
        v = bytes_.front();
        bytes_.pop_front();
      }
      b = static_cast<std::byte>(v);
    }
  }
  int calls() const { return calls_; }

 private:
  std::deque<unsigned char> bytes_;
  int calls_ = 0;
};

TEST(RandomAlnum, MapsBytesOntoTheAlphabet) {
  testing::CountingRandom counting;  // 0, 1, 2, ...
  EXPECT_EQ(random_alnum(counting, alphabet.size()), alphabet);
}

TEST(RandomAlnum, LengthIsExact) {
  testing::CountingRandom counting;
  for (std::size_t n : {0u, 1u, 63u, 64u, 65u, 200u}) EXPECT_EQ(random_alnum(counting, n).size(), n);
}

TEST(RandomAlnum, RejectsBytesThatWouldBiasTheDraw) {
  // 248..255 would make the first 8 characters more likely; they are skipped, not folded.
  ScriptedRandom r({255, 248, 250, 0, 247, 61, 62});
  const std::string want{alphabet[0], alphabet[247 % 62], alphabet[61], alphabet[0]};
  EXPECT_EQ(random_alnum(r, 4), want);
}

TEST(RandomAlnum, DrawsAgainWhenABufferIsAllRejected) {
  std::deque<unsigned char> bytes(64, 0xff);  // one full buffer of rejects
  bytes.push_back(1);
  ScriptedRandom r(bytes);
  EXPECT_EQ(random_alnum(r, 1), "B");
  EXPECT_EQ(r.calls(), 2);
}

TEST(RandomAlnum, EveryByteValueMapsEvenly) {
  // Over all 256 byte values, the 248 kept ones cover each character exactly 4 times.
  std::deque<unsigned char> bytes;
  for (int v = 0; v < 256; ++v) bytes.push_back(static_cast<unsigned char>(v));
  ScriptedRandom r(bytes);
  const std::string s = random_alnum(r, 248);
  for (char c : alphabet) EXPECT_EQ(std::ranges::count(s, c), 4) << c;
}

TEST(SystemRandom, FillsAndDiffers) {
  SystemRandom r;
  std::array<std::byte, 32> a{};
  std::array<std::byte, 32> b{};
  r.fill(a);
  r.fill(b);
  // 2^-256 chance of a false failure.
  EXPECT_NE(a, b);
  const std::string s = random_alnum(r, 1000);
  EXPECT_TRUE(std::ranges::all_of(s, [](char c) { return alphabet.find(c) != std::string_view::npos; }));
  // 1000 draws from 62 characters all but surely hit more than half of them.
  EXPECT_GT(std::set<char>(s.begin(), s.end()).size(), 31u);
}

}  // namespace
}  // namespace postern::base
