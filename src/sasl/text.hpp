#pragma once
// Byte-string helpers shared by the mechanisms: UTF-8 validation, log-safe quoting, JSON string
// literals, hex.

#include <optional>
#include <string>
#include <string_view>

namespace postern::sasl::text {


/// `s` safe for a one-line log: bytes outside printable ASCII, and '\\', become \xHH.
std::string printable(std::string_view s);


/// Lower-case hex of `bytes`.
std::string hex(std::string_view bytes);

/// The bytes of an even-length hex string (either case), or nullopt.
std::optional<std::string> unhex(std::string_view s);

}  // namespace postern::sasl::text
