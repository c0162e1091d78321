#pragma once
// UTF-8 repair for text that leaves the spool as JSON: the message and the envelope may hold any
// bytes, a JSON document may not (RFC 8259 §8.1).

#include <string>
#include <string_view>

namespace postern::queue {

/// `s` with every byte that does not start a valid UTF-8 sequence (RFC 3629 §4: no overlongs, no
/// surrogates, nothing past U+10FFFF) replaced by `replacement`.
std::string sanitize_utf8(std::string_view s, std::string_view replacement);

}  // namespace postern::queue
