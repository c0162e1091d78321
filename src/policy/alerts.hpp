#pragma once
// Alert rules (DESIGN §3.9): when a sender's volume is far above its own usual. Pure.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace postern::policy {

struct AnomalySettings {
  /// An hour above `factor` times the usual hourly volume is an anomaly...
  double factor = 10.0;
  /// ...but never below this many messages in the hour (a quiet account that sends 12 is fine).
  std::uint64_t min_messages = 100;
  bool suspend = false;  ///< suspend the credential automatically (`postern credential resume`)
};

/// One sender's volume: the last hour, and the usual hourly volume (the mean over the hours of
/// the last 30 days before this one; 0 when new).
struct Volume {
  std::uint64_t last_hour = 0;
  double usual_per_hour = 0;
};

/// Whether `volume` is an anomaly: at least `min_messages` in the last hour and more than
/// `factor` times the usual (a new sender's usual is 0). The reason text for the alert when it
/// is ("540 messages in the last hour, usual 3.2 per hour"; the usual with one decimal).
std::optional<std::string> volume_anomaly(const Volume& volume, const AnomalySettings& settings);

}  // namespace postern::policy
