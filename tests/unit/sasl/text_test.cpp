#include "sasl/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace postern::sasl::text {
namespace {

using namespace std::string_literals;

TEST(Utf8, AcceptsWellFormedText) {
  for (const std::string& ok : {""s, "ascii"s, "\0"s, "\xc3\xa9"s, "\xe2\x82\xac"s, "\xf0\x9f\x98\x80"s,
                                "\xf4\x8f\xbf\xbf"s, "\xed\x9f\xbf"s}) {
    EXPECT_TRUE(valid_utf8(ok)) << ok;
  }
}

TEST(Utf8, RefusesIllFormedText) {
  for (const std::string& bad : {
           "\x80"s,              // lone continuation
           "\xc3"s,              // truncated
           "\xe2\x82"s,          //
           "\xc0\x80"s,          // overlong NUL
           "\xe0\x80\xaf"s,      // overlong "/"
           "\xed\xa0\x80"s,      // surrogate U+D800
           "\xf4\x90\x80\x80"s,  // above U+10FFFF
           "\xf8\x88\x80\x80\x80"s,
           "\xff"s,
           "a\xc3(b"s,
       }) {
    EXPECT_FALSE(valid_utf8(bad)) << bad;
  }
}

TEST(Text, HexRoundTrip) {
  EXPECT_EQ(hex("\x00\xff\x10"s), "00ff10");
  EXPECT_EQ(unhex("00FF10"), "\x00\xff\x10"s);
  EXPECT_FALSE(unhex("0").has_value());
  EXPECT_FALSE(unhex("0g").has_value());
}

TEST(Text, PrintableEscapesForLogs) {
  EXPECT_EQ(printable("a\\b\r\n\x7f\xc3\xa9"), "a\\x5cb\\x0d\\x0a\\x7f\\xc3\\xa9");
}

TEST(Text, JsonString) { EXPECT_EQ(json_string("a\"b\\c\x01\xc3\xa9"), "\"a\\\"b\\\\c\\u0001\xc3\xa9\""); }

}  // namespace
}  // namespace postern::sasl::text
