#pragma once
// One way to write a time: RFC 3339 in UTC, for the queue record, the JSON events, reply texts
// and every listing.

#include <chrono>
#include <string>

namespace postern::base {

/// RFC 3339 §5.6 in UTC: "2026-11-21T14:03:00Z", or with `fraction_digits` 3 or 6 a fraction
/// (".123", ".123456") before the "Z". Truncates; round first where a later moment is wanted.
/// `fraction_digits` other than 0, 3 and 6 is treated as 0.
std::string format_rfc3339(std::chrono::system_clock::time_point t, int fraction_digits = 0);

}  // namespace postern::base
