#include "base/json_text.hpp"

#include <gtest/gtest.h>

namespace postern::base {
namespace {

TEST(JsonQuote, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(json_quote("a\"b\\c\x01\xc3\xa9"), "\"a\\\"b\\\\c\\u0001\xc3\xa9\"");
  EXPECT_EQ(json_quote(std::string_view("\0\r\n\x1f\x7f", 5)), "\"\\u0000\\u000d\\u000a\\u001f\\u007f\"");
  EXPECT_EQ(json_quote(""), "\"\"");
}

TEST(JsonQuote, LineSeparatorsStayOnOneLine) {
  EXPECT_EQ(json_quote("a\xe2\x80\xa8z\xe2\x80\xa9"), "\"a\\u2028z\\u2029\"");
  // Other characters of the same lead bytes pass as they are (U+2026 HORIZONTAL ELLIPSIS).
  EXPECT_EQ(json_quote("\xe2\x80\xa6"), "\"\xe2\x80\xa6\"");
  // A truncated sequence at the end is copied, not read past.
  EXPECT_EQ(json_quote("\xe2\x80"), "\"\xe2\x80\"");
}

}  // namespace
}  // namespace postern::base
