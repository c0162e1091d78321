#include "policy/alerts.hpp"

#include <charconv>
#include <cmath>

namespace postern::policy {

std::optional<std::string> volume_anomaly(const Volume& volume, const AnomalySettings& settings) {
  // A missing or nonsensical history counts as none: a new sender is judged by min_messages.
  double usual = std::isfinite(volume.usual_per_hour) && volume.usual_per_hour > 0 ? volume.usual_per_hour : 0.0;
  if (volume.last_hour < settings.min_messages) return std::nullopt;
  if (static_cast<double>(volume.last_hour) <= settings.factor * usual) return std::nullopt;
  // to_chars: the decimal point never depends on the process locale.
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, usual, std::chars_format::fixed, 1);
  std::string usual_text = ec == std::errc{} ? std::string(buf, end) : std::string("?");
  return std::to_string(volume.last_hour) + (volume.last_hour == 1 ? " message" : " messages") +
         " in the last hour, usual " + usual_text + " per hour";
}

}  // namespace postern::policy
