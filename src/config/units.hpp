#pragma once
// Sizes ("25M") and durations ("5m") as an operator writes them in the configuration file.

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace postern::config {

/// Why a size or duration string was refused.
enum class UnitError {
  malformed,  ///< not digits followed by an allowed unit
  too_large,  ///< does not fit in 64 bits
};

/// Parses a size: decimal digits, optionally followed by one of K, M, G (or k, m, g), each
/// 1024 times the one before: "512", "64K", "25M", "1G". No spaces, signs or fractions.
std::expected<std::uint64_t, UnitError> parse_size(std::string_view text);

/// Parses a duration: decimal digits, optionally followed by s, m, h or d: "30", "30s", "5m",
/// "1h", "30d". No spaces, signs, fractions or compound forms such as "1h30m".
std::expected<std::chrono::seconds, UnitError> parse_duration(std::string_view text);

/// The shortest exact form that parse_size reads back: 26214400 -> "25M", 1000 -> "1000".
std::string format_size(std::uint64_t bytes);

/// The shortest exact form that parse_duration reads back: 300s -> "5m", 90s -> "90s",
/// 86400s -> "1d".
std::string format_duration(std::chrono::seconds duration);

}  // namespace postern::config
