#include "sasl/saslprep.hpp"

#include <cstdint>

#include "base/utf8.hpp"
#include "sasl/text.hpp"

namespace postern::sasl {
namespace {

// Decodes the code point at s[i] (s is valid UTF-8) and advances i.
std::uint32_t next_code_point(std::string_view s, std::size_t& i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
  std::uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
  for (std::size_t k = 1; k < len; ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  i += len;
  return cp;
}

// RFC 3454 Table B.1: commonly mapped to nothing.
bool mapped_to_nothing(std::uint32_t cp) {
  return cp == 0x00ad || cp == 0x034f || cp == 0x1806 || (cp >= 0x180b && cp <= 0x180d) ||
         (cp >= 0x200b && cp <= 0x200d) || cp == 0x2060 || (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff;
}

// RFC 3454 Table C.1.2: non-ASCII space characters.
bool non_ascii_space(std::uint32_t cp) {
  return cp == 0x00a0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200b) || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

}  // namespace

base::Result<std::string> saslprep(std::string_view text) {
  if (!base::is_valid_utf8(text)) return base::fail("SASLprep: not UTF-8");
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t cp = next_code_point(text, i);
    // RFC 4013 §2.1: mapping.
    if (mapped_to_nothing(cp)) continue;
    if (non_ascii_space(cp)) cp = 0x20;
    if (cp >= 0x80) {
      return base::fail("SASLprep: non-ASCII characters need Unicode normalisation (NFKC), not supported here");
    }
    // RFC 4013 §2.3: ASCII control characters (RFC 3454 C.2.1) are prohibited.
    if (cp < 0x20 || cp == 0x7f) return base::fail("SASLprep: prohibited control character");
    out.push_back(static_cast<char>(cp));
  }
  if (out.empty()) return base::fail("SASLprep: empty string");
  return out;
}

}  // namespace postern::sasl
