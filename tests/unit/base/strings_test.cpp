#include "base/strings.hpp"

#include <gtest/gtest.h>

#include <string>

namespace postern::base {
namespace {

TEST(AsciiCase, OnlyAsciiLettersChange) {
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const bool upper = c >= 'A' && c <= 'Z';
    const bool lower = c >= 'a' && c <= 'z';
    EXPECT_EQ(ascii_lower(ch), upper ? static_cast<char>(c + 32) : ch) << c;
    EXPECT_EQ(ascii_upper(ch), lower ? static_cast<char>(c - 32) : ch) << c;
  }
}

TEST(AsciiCase, StringsKeepNonAsciiBytes) {
  // Domain and keyword folding must never touch UTF-8: "Ü" (C3 9C) stays as it is.
  EXPECT_EQ(to_lower("B\xc3\x9c"
                     "CHER.Example"),
            "b\xc3\x9c"
            "cher.example");
  EXPECT_EQ(to_upper("smtputf8 \xc3\xbc"), "SMTPUTF8 \xc3\xbc");
  EXPECT_EQ(to_lower(""), "");
  EXPECT_EQ(to_upper(std::string_view("a\0b", 3)), std::string("A\0B", 3));
}

TEST(Iequals, Table) {
  EXPECT_TRUE(iequals("EHLO", "ehlo"));
  EXPECT_TRUE(iequals("StartTLS", "STARTTLS"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("EHLO", "EHL"));
  EXPECT_FALSE(iequals("EHL", "EHLO"));
  EXPECT_FALSE(iequals("EHLO", "HELO"));
  // '@' (0x40) and '`' (0x60) differ by the case bit but are not letters.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("[", "{"));
  // No Unicode folding: "Ü" and "ü" differ.
  EXPECT_FALSE(iequals("\xc3\x9c", "\xc3\xbc"));
}

TEST(IstartsWith, Table) {
  EXPECT_TRUE(istarts_with("FROM:<a@b>", "from:"));
  EXPECT_TRUE(istarts_with("from:", "FROM:"));
  EXPECT_TRUE(istarts_with("anything", ""));
  EXPECT_FALSE(istarts_with("FRO", "FROM:"));
  EXPECT_FALSE(istarts_with("TO:<a@b>", "FROM:"));
  EXPECT_FALSE(istarts_with("", "x"));
}

TEST(Trim, SpacesAndTabsOnly) {
  EXPECT_EQ(trim("  a b \t"), "a b");
  EXPECT_EQ(trim("\t\tx"), "x");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("\r\nx\r\n"), "\r\nx\r\n");
  const std::string s = "  mid  ";
  auto t = trim(s);
  EXPECT_EQ(t.data(), s.data() + 2) << "trim returns a view into its argument";
}

}  // namespace
}  // namespace postern::base
