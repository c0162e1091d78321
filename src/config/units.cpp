#include "config/units.hpp"

#include <charconv>
#include <limits>

namespace postern::config {

namespace {

// Splits "25M" into 25 and the multiplier of its unit; `unit_of` maps the last character to a
// multiplier, or 0 when it is not a unit.
template <class UnitOf>
std::expected<std::uint64_t, UnitError> parse_scaled(std::string_view text, UnitOf unit_of) {
  std::uint64_t multiplier = 1;
  if (!text.empty()) {
    if (std::uint64_t m = unit_of(text.back()); m != 0) {
      multiplier = m;
      text.remove_suffix(1);
    }
  }
  // from_chars would accept neither a sign nor spaces, but it does stop early: insist on all
  // of the text being digits so "25 M" or "1.5G" are refused rather than misread.
  if (text.empty()) return std::unexpected(UnitError::malformed);
  for (char c : text) {
    if (c < '0' || c > '9') return std::unexpected(UnitError::malformed);
  }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return std::unexpected(UnitError::too_large);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::unexpected(UnitError::malformed);
  if (value > std::numeric_limits<std::uint64_t>::max() / multiplier) return std::unexpected(UnitError::too_large);
  return value * multiplier;
}

}  // namespace

std::expected<std::uint64_t, UnitError> parse_size(std::string_view text) {
  return parse_scaled(text, [](char c) -> std::uint64_t {
    switch (c) {
      case 'K':
      case 'k':
        return std::uint64_t{1} << 10;
      case 'M':
      case 'm':
        return std::uint64_t{1} << 20;
      case 'G':
      case 'g':
        return std::uint64_t{1} << 30;
      default:
        return 0;
    }
  });
}

std::expected<std::chrono::seconds, UnitError> parse_duration(std::string_view text) {
  auto seconds = parse_scaled(text, [](char c) -> std::uint64_t {
    switch (c) {
      case 's':
        return 1;
      case 'm':
        return 60;
      case 'h':
        return 3600;
      case 'd':
        return 86400;
      default:
        return 0;
    }
  });
  if (!seconds) return std::unexpected(seconds.error());
  using Rep = std::chrono::seconds::rep;
  if (*seconds > static_cast<std::uint64_t>(std::numeric_limits<Rep>::max())) {
    return std::unexpected(UnitError::too_large);
  }
  return std::chrono::seconds{static_cast<Rep>(*seconds)};
}

std::string format_size(std::uint64_t bytes) {
  static constexpr struct {
    std::uint64_t multiplier;
    char unit;
  } kUnits[] = {{std::uint64_t{1} << 30, 'G'}, {std::uint64_t{1} << 20, 'M'}, {std::uint64_t{1} << 10, 'K'}};
  if (bytes != 0) {
    for (auto [multiplier, unit] : kUnits) {
      if (bytes % multiplier == 0) return std::to_string(bytes / multiplier) + unit;
    }
  }
  return std::to_string(bytes);
}

std::string format_duration(std::chrono::seconds duration) {
  auto s = duration.count();
  if (s != 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

}  // namespace postern::config
