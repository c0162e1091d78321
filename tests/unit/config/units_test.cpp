#include "config/units.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace postern::config {
namespace {

using namespace std::chrono_literals;

TEST(ParseSize, PlainDigitsAreBytes) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("1"), 1u);
  EXPECT_EQ(parse_size("65536"), 65536u);
  EXPECT_EQ(parse_size("007"), 7u);
}

TEST(ParseSize, SuffixesAre1024Based) {
  EXPECT_EQ(parse_size("1K"), 1024u);
  EXPECT_EQ(parse_size("64K"), 65536u);
  EXPECT_EQ(parse_size("25M"), 25u * 1024 * 1024);
  EXPECT_EQ(parse_size("1G"), 1024u * 1024 * 1024);
  EXPECT_EQ(parse_size("3g"), 3u * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_size("2k"), 2048u);
  EXPECT_EQ(parse_size("10m"), 10u * 1024 * 1024);
}

TEST(ParseSize, RefusesAnythingElse) {
  for (std::string_view bad :
       {"", "K", "M", "-1", "+1", "1.5G", "25MB", "25 M", " 25M", "25M ", "25T", "1KK", "0x10", "1e6", "25MiB", "١٢"}) {
    EXPECT_EQ(parse_size(bad), std::unexpected(UnitError::malformed)) << bad;
  }
}

TEST(ParseSize, OverflowIsTooLargeNotWrapped) {
  EXPECT_EQ(parse_size("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse_size("18446744073709551616"), std::unexpected(UnitError::too_large));
  EXPECT_EQ(parse_size("17179869183G"), 17179869183ull << 30);
  EXPECT_EQ(parse_size("17179869184G"), std::unexpected(UnitError::too_large));
  EXPECT_EQ(parse_size("99999999999999999999999K"), std::unexpected(UnitError::too_large));
}

TEST(ParseDuration, PlainDigitsAreSeconds) {
  EXPECT_EQ(parse_duration("0"), 0s);
  EXPECT_EQ(parse_duration("300"), 300s);
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(parse_duration("30s"), 30s);
  EXPECT_EQ(parse_duration("5m"), 5min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("90m"), 5400s);
  EXPECT_EQ(parse_duration("1d"), 24h);
  EXPECT_EQ(parse_duration("30d"), 720h);
  EXPECT_EQ(parse_duration("36h"), 36h);
}

TEST(ParseDuration, RefusesAnythingElse) {
  for (std::string_view bad :
       {"", "s", "m", "-5m", "1.5h", "1h30m", "5 m", "5M", "5S", "1D", "1w", "1d12h", "5min", "5ms", " 5s"}) {
    EXPECT_EQ(parse_duration(bad), std::unexpected(UnitError::malformed)) << bad;
  }
}

TEST(ParseDuration, OverflowIsTooLarge) {
  EXPECT_EQ(parse_duration("9223372036854775807"), std::chrono::seconds{std::numeric_limits<std::int64_t>::max()});
  EXPECT_EQ(parse_duration("9223372036854775808"), std::unexpected(UnitError::too_large));
  EXPECT_EQ(parse_duration("9223372036854775807h"), std::unexpected(UnitError::too_large));
  EXPECT_EQ(parse_duration("106751991167300d"), std::chrono::seconds{106751991167300ll * 86400});
  EXPECT_EQ(parse_duration("106751991167301d"), std::unexpected(UnitError::too_large));
}

TEST(FormatSize, ShortestExactForm) {
  EXPECT_EQ(format_size(0), "0");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(format_size(1024), "1K");
  EXPECT_EQ(format_size(1536), "1536");
  EXPECT_EQ(format_size(25 * 1024 * 1024), "25M");
  EXPECT_EQ(format_size(4ull << 30), "4G");
  EXPECT_EQ(format_size((1ull << 30) + 1024), "1048577K");
}

TEST(FormatDuration, ShortestExactForm) {
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(300s), "5m");
  EXPECT_EQ(format_duration(86400s), "1d");
  EXPECT_EQ(format_duration(2592000s), "30d");
  EXPECT_EQ(format_duration(90000s), "25h");
  EXPECT_EQ(format_duration(3660s), "61m");
}

TEST(Units, FormatThenParseIsIdentity) {
  for (std::uint64_t v : {0ull, 1ull, 1023ull, 1024ull, 65536ull, 26214400ull, 1ull << 30, (1ull << 40) + 3}) {
    EXPECT_EQ(parse_size(format_size(v)), v) << v;
  }
  for (auto v : {0s, 1s, 59s, 60s, 61s, 3600s, 3601s, 86400s, 90000s, 2592000s}) {
    EXPECT_EQ(parse_duration(format_duration(v)), v) << v.count();
  }
}

}  // namespace
}  // namespace postern::config
