#include "base/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace postern::base {
namespace {

using namespace std::string_literals;

TEST(Utf8, AcceptsWellFormedText) {
  for (const std::string& ok : {""s, "ascii"s, "\0"s, "\xc3\xa9"s, "\xe2\x82\xac"s, "\xf0\x9f\x98\x80"s,
                                "\xf4\x8f\xbf\xbf"s, "\xed\x9f\xbf"s}) {
    EXPECT_TRUE(is_valid_utf8(ok)) << ok;
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
    EXPECT_FALSE(is_valid_utf8(bad)) << bad;
  }
}

TEST(Utf8, SanitizeReplacesEachBadByteAndKeepsGoodSequences) {
  EXPECT_EQ(sanitize_utf8("a\xc3\xa9b"s, "?"), "a\xc3\xa9b");
  EXPECT_EQ(sanitize_utf8("a\xff" "b\xc3"s, "?"), "a?b?");
  EXPECT_EQ(sanitize_utf8("\xed\xa0\x80"s, "?"), "???");  // a surrogate is three bad bytes
}

}  // namespace
}  // namespace postern::base
