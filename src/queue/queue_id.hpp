#pragma once
// Queue ids: 19 characters of base32hex (RFC 4648 §7, lower case), 11 for the microseconds since
// the Unix epoch and 8 (40 random bits) to tell apart ids made in the same microsecond. The
// base32hex alphabet keeps the ASCII order of the digits, so ids sort by time as plain strings,
// and none of its characters is special in a file name.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "base/random.hpp"

namespace postern::queue {

inline constexpr std::size_t queue_id_length = 19;

/// A new id for a message committed at `now`.
std::string make_queue_id(std::chrono::system_clock::time_point now, base::Random& random);

/// True for exactly the strings make_queue_id can return; anything else (empty, "../x", upper
/// case, a path) is refused before it comes near the file system.
bool is_valid_queue_id(std::string_view id);

/// The time encoded in a valid id.
std::chrono::system_clock::time_point queue_id_time(std::string_view id);

}  // namespace postern::queue
