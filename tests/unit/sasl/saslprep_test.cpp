#include "sasl/saslprep.hpp"

#include <gtest/gtest.h>

#include <string>

namespace postern::sasl {
namespace {

using namespace std::string_literals;

TEST(Saslprep, Rfc4013Examples) {
  // RFC 4013 §3, examples 1-3 and 6.
  EXPECT_EQ(saslprep("I\xc2\xadX").value_or("<error>"), "IX");  // SOFT HYPHEN mapped to nothing
  EXPECT_EQ(saslprep("user").value_or("<error>"), "user");      // no transformation
  EXPECT_EQ(saslprep("USER").value_or("<error>"), "USER");      // case preserved
  EXPECT_FALSE(saslprep("\x07").has_value());                   // prohibited character
}

TEST(Saslprep, Rfc4013ExamplesThatNeedNfkcAreRefusedWithAClearError) {
  // RFC 4013 §3, examples 4 (U+00AA -> "a") and 5 (U+2168 -> "IX") need NFKC; example 7
  // (U+0627 U+0031) is a bidi error. None can be handled without Unicode tables.
  for (const std::string& s : {"\xc2\xaa"s, "\xe2\x85\xa8"s,
                               "\xd8\xa7"
                               "1"s}) {
    auto r = saslprep(s);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("NFKC"), std::string::npos) << r.error().message;
  }
}

TEST(Saslprep, MapsNonAsciiSpacesAndRemovesInvisibleCharacters) {
  EXPECT_EQ(saslprep("a\xc2\xa0"
                     "b")
                .value_or("<error>"),
            "a b");  // U+00A0 NO-BREAK SPACE
  EXPECT_EQ(saslprep("a\xe3\x80\x80"
                     "b")
                .value_or("<error>"),
            "a b");  // U+3000 IDEOGRAPHIC SPACE
  EXPECT_EQ(saslprep("a\xe2\x80\x8b"
                     "b")
                .value_or("<error>"),
            "ab");  // U+200B: in B.1 and C.1.2
  EXPECT_EQ(saslprep("a\xef\xbb\xbf"
                     "b")
                .value_or("<error>"),
            "ab");  // U+FEFF
  EXPECT_EQ(saslprep("a\xef\xb8\x8f"
                     "b")
                .value_or("<error>"),
            "ab");  // U+FE0F variation selector
  EXPECT_EQ(saslprep("pass word!~").value_or("<error>"), "pass word!~");
}

TEST(Saslprep, RefusesControlsBadUtf8AndEmptyResults) {
  for (const std::string& bad : {""s, "\xc2\xad"s, "a\0b"s, "a\x7f"s, "tab\there"s, "\xff"s, "\xc0\xaf"s}) {
    EXPECT_FALSE(saslprep(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace postern::sasl
