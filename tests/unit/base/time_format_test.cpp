#include "base/time_format.hpp"

#include <gtest/gtest.h>

namespace postern::base {
namespace {

using namespace std::chrono;

TEST(FormatRfc3339, WholeSecondsByDefault) {
  auto t = system_clock::time_point{seconds{1'800'000'000}} + microseconds{123'456};
  EXPECT_EQ(format_rfc3339(t), "2027-01-15T08:00:00Z");
  EXPECT_EQ(format_rfc3339(system_clock::time_point{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(system_clock::time_point{seconds{951'782'400}}), "2000-02-29T00:00:00Z");
}

TEST(FormatRfc3339, MillisecondsAndMicrosecondsTruncate) {
  auto t = system_clock::time_point{seconds{1'800'000'000}} + microseconds{123'999};
  EXPECT_EQ(format_rfc3339(t, 3), "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(format_rfc3339(t, 6), "2027-01-15T08:00:00.123999Z");
  EXPECT_EQ(format_rfc3339(system_clock::time_point{seconds{59}} + microseconds{42}, 6), "1970-01-01T00:00:59.000042Z");
}

TEST(FormatRfc3339, OtherPrecisionsMeanWholeSeconds) {
  auto t = system_clock::time_point{seconds{1'800'000'000}} + milliseconds{500};
  EXPECT_EQ(format_rfc3339(t, 2), "2027-01-15T08:00:00Z");
  EXPECT_EQ(format_rfc3339(t, -1), "2027-01-15T08:00:00Z");
}

TEST(FormatRfc3339, LastSecondOfTheDay) {
  auto t = system_clock::time_point{seconds{86'399}} + milliseconds{999};
  EXPECT_EQ(format_rfc3339(t, 3), "1970-01-01T23:59:59.999Z");
}

}  // namespace
}  // namespace postern::base
