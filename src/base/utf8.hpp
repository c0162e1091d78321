#pragma once
// Well-formed UTF-8 (RFC 3629 §4): no overlong forms, no surrogates, nothing above U+10FFFF.
// SMTPUTF8 addresses, SASL strings and JSON output all need the same test.

#include <cstddef>
#include <string>
#include <string_view>

namespace postern::base {

/// The length of the well-formed UTF-8 sequence that starts at `s[i]` (1 for ASCII), or 0 when
/// none does. `i` must be < s.size().
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

/// Every byte of `s` belongs to a well-formed sequence.
bool is_valid_utf8(std::string_view s);

/// `s` with every byte that does not start a well-formed sequence replaced by `replacement`.
std::string sanitize_utf8(std::string_view s, std::string_view replacement);

}  // namespace postern::base
