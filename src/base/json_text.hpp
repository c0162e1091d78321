#pragma once
// JSON text written by hand where the order of keys is part of the format (the event log, the
// OAUTHBEARER error): the one string escaper for it.

#include <string>
#include <string_view>

namespace postern::base {

/// `s` as a JSON string (RFC 8259 §7), with its quotes. Escapes `"`, `\`, every C0 control and
/// DEL as \u00XX, and U+2028/U+2029 (legal in JSON, but line ends for JavaScript and Python's
/// splitlines(), so a line stays one line for every reader). Other octets are copied: the caller
/// passes UTF-8.
std::string json_quote(std::string_view s);

}  // namespace postern::base
