#pragma once
// The queue record as JSON: the stored form (versioned, lossless) and the display form that
// `queue list --json` prints (see to_json in spool.hpp).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "queue/spool.hpp"

namespace postern::queue {

/// The version written as "v" in stored records; decode_stored_record refuses any other.
inline constexpr int stored_record_version = 1;

/// Parses what base::format_rfc3339 writes (any number of fraction digits, up to microseconds kept).
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

/// The record as stored in the spool: the display shape plus "v", and `received` to the
/// microsecond. Strings are written as they are, whatever their bytes, so nothing is lost.
std::string encode_stored_record(const Record& record);

/// The inverse of encode_stored_record; any missing field or wrong type is an error.
base::Result<Record> decode_stored_record(std::string_view json);

}  // namespace postern::queue
