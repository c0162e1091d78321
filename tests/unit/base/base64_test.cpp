#include "base/base64.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace postern::base {
namespace {

// RFC 4648 §10 test vectors.
const std::vector<std::pair<std::string, std::string>> rfc4648_vectors = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64, EncodesRfc4648Vectors) {
  for (const auto& [plain, encoded] : rfc4648_vectors) EXPECT_EQ(base64_encode(plain), encoded) << plain;
}

TEST(Base64, DecodesRfc4648Vectors) {
  for (const auto& [plain, encoded] : rfc4648_vectors) {
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain) << encoded;
  }
}

TEST(Base64, UsesTheWholeAlphabet) {
  // 0xfb 0xff 0xbf encodes to "+/+/": the two characters that differ from base64url.
  EXPECT_EQ(base64_encode("\xfb\xef\xbe"), "++++");
  EXPECT_EQ(base64_encode("\xff\xff\xff"), "////");
  EXPECT_EQ(base64_decode("++++"), std::string("\xfb\xef\xbe"));
  EXPECT_EQ(base64_decode("////"), std::string("\xff\xff\xff"));
}

TEST(Base64, RoundTripsEveryByteAndLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= all.size(); ++len) {
    std::string bytes = all.substr(256 - len);  // ends in 0xff so the last quantum is never all zero
    std::string encoded = base64_encode(bytes);
    EXPECT_EQ(encoded.size(), (len + 2) / 3 * 4);
    auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << len;
    EXPECT_EQ(*decoded, bytes) << len;
  }
}

TEST(Base64, KeepsNulBytes) {
  std::string with_nul("\0tim\0tanstaaftanstaaf", 21);
  EXPECT_EQ(base64_encode(with_nul), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
  EXPECT_EQ(base64_decode("AHRpbQB0YW5zdGFhZnRhbnN0YWFm"), with_nul);
}

TEST(Base64, RefusesWhatIsNotCanonical) {
  for (std::string_view bad : {
           "Zg",          // padding missing
           "Zg=",         // padding short
           "Zm9",         // length not a multiple of 4
           "Zh==",        // non-zero pad bits (RFC 4648 §3.5): "Zg==" is the only form of "f"
           "Zm9=",        // same for two bytes: "Zm8=" is canonical
           "Z===",        // a single character cannot encode a byte
           "====",        // padding only
           "Zg==Zg==",    // padding in the middle
           "Zm=v",        // "=" inside a quantum
           " Zg==",       // whitespace
           "Zg== ",       //
           "Zm9v\r\n",    // line break
           "Zm9v\n",      //
           "Zm9-",        // base64url alphabet
           "Zm9_",        //
           "Zm9v====",    // a quantum of padding
           "Zm9v*A==",    // not in the alphabet
           "Zm\xc3\xa9",  // non-ASCII
       }) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
  EXPECT_FALSE(base64_decode(std::string_view("Zm9\0", 4)).has_value());
}

TEST(Base64, EveryPrefixOfAValidTextDecodesOrFailsCleanly) {
  // Grinding: a truncated text must either be refused or be the encoding of a prefix.
  std::string bytes = "The quick brown fox jumps over the lazy dog\x01\x02\xff";
  std::string encoded = base64_encode(bytes);
  for (std::size_t k = 0; k <= encoded.size(); ++k) {
    auto decoded = base64_decode(std::string_view(encoded).substr(0, k));
    if (k % 4 != 0) {
      EXPECT_FALSE(decoded.has_value()) << k;
    } else {
      ASSERT_TRUE(decoded.has_value()) << k;
      EXPECT_EQ(*decoded, bytes.substr(0, std::min(bytes.size(), k / 4 * 3))) << k;
    }
  }
}

TEST(Base64, EverySingleCharacterChangeIsRefusedOrDecodesToOtherBytes) {
  std::string bytes("pencil\0\x01", 8);
  std::string encoded = base64_encode(bytes);
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    for (int c = 0; c < 256; ++c) {
      if (static_cast<char>(c) == encoded[i]) continue;
      std::string mutated = encoded;
      mutated[i] = static_cast<char>(c);
      auto decoded = base64_decode(mutated);
      if (decoded) {
        EXPECT_NE(*decoded, bytes) << "position " << i << " char " << c;
      }
    }
  }
}

}  // namespace
}  // namespace postern::base
