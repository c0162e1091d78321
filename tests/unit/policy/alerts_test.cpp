#include "policy/alerts.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace postern::policy {
namespace {

TEST(VolumeAnomaly, FarAboveTheUsualIsAnAnomaly) {
  AnomalySettings s;  // factor 10, at least 100 messages
  EXPECT_EQ(volume_anomaly({540, 3.2}, s), "540 messages in the last hour, usual 3.2 per hour");
  EXPECT_EQ(volume_anomaly({100, 0.25}, s), "100 messages in the last hour, usual 0.2 per hour");
}

TEST(VolumeAnomaly, QuietHoursAndBusySendersAreFine) {
  AnomalySettings s;
  EXPECT_EQ(volume_anomaly({99, 0}, s), std::nullopt);    // below the floor, even for a new sender
  EXPECT_EQ(volume_anomaly({400, 50}, s), std::nullopt);  // 8 times the usual
  EXPECT_EQ(volume_anomaly({0, 0}, s), std::nullopt);
}

TEST(VolumeAnomaly, Boundaries) {
  AnomalySettings s;
  s.factor = 10;
  s.min_messages = 100;
  EXPECT_EQ(volume_anomaly({200, 20}, s), std::nullopt);  // exactly ten times: not above
  EXPECT_EQ(volume_anomaly({201, 20}, s), "201 messages in the last hour, usual 20.0 per hour");
  EXPECT_EQ(volume_anomaly({100, 0}, s), "100 messages in the last hour, usual 0.0 per hour");
  s.min_messages = 1;
  EXPECT_EQ(volume_anomaly({1, 0}, s), "1 message in the last hour, usual 0.0 per hour");
  s.factor = 2.5;
  EXPECT_EQ(volume_anomaly({26, 10}, s), "26 messages in the last hour, usual 10.0 per hour");
  EXPECT_EQ(volume_anomaly({25, 10}, s), std::nullopt);
}

TEST(VolumeAnomaly, NonsenseHistoryCountsAsNone) {
  AnomalySettings s;
  EXPECT_EQ(volume_anomaly({150, std::numeric_limits<double>::quiet_NaN()}, s),
            "150 messages in the last hour, usual 0.0 per hour");
  EXPECT_EQ(volume_anomaly({150, -4}, s), "150 messages in the last hour, usual 0.0 per hour");
}

}  // namespace
}  // namespace postern::policy
