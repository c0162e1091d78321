#include "sasl/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace postern::sasl::text {
namespace {

using namespace std::string_literals;

TEST(Text, HexRoundTrip) {
  EXPECT_EQ(hex("\x00\xff\x10"s), "00ff10");
  EXPECT_EQ(unhex("00FF10"), "\x00\xff\x10"s);
  EXPECT_FALSE(unhex("0").has_value());
  EXPECT_FALSE(unhex("0g").has_value());
}

TEST(Text, PrintableEscapesForLogs) {
  EXPECT_EQ(printable("a\\b\r\n\x7f\xc3\xa9"), "a\\x5cb\\x0d\\x0a\\x7f\\xc3\\xa9");
}

}  // namespace
}  // namespace postern::sasl::text
