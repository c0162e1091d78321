#pragma once
// Base64 with the standard alphabet and padding (RFC 4648 §4), as SMTP AUTH uses it
// (RFC 4954 §4). Bytes travel in std::string / std::string_view: they may hold any octet.

#include <optional>
#include <string>
#include <string_view>

namespace postern::base {

/// `bytes` as base64 with padding, no line breaks. The empty input encodes to "".
std::string base64_encode(std::string_view bytes);

/// The bytes `text` encodes, or nullopt unless `text` is canonical base64: a multiple of four
/// characters from the RFC 4648 §4 alphabet, padded with "=" only at the end, no whitespace or
/// line breaks, and zero pad bits (RFC 4648 §3.5), so that every byte string has exactly one
/// accepted encoding. "" decodes to "".
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace postern::base
