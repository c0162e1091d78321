#include "sasl/gs2.hpp"

#include "base/utf8.hpp"
#include "sasl/text.hpp"

namespace postern::sasl {
namespace {

bool cb_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

}  // namespace

std::optional<std::string> decode_saslname(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\0' || c == ',') return std::nullopt;
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    // RFC 5802 §5.1: any other "=" sequence makes the message invalid.
    std::string_view escape = s.substr(i, 3);
    if (escape == "=2C") {
      out.push_back(',');
    } else if (escape == "=3D") {
      out.push_back('=');
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  if (!base::is_valid_utf8(out)) return std::nullopt;
  return out;
}

std::optional<Gs2Header> parse_gs2_header(std::string_view message) {
  Gs2Header h;
  std::size_t pos = 0;
  if (message.starts_with("n,")) {
    h.flag = Gs2Header::Flag::n;
    pos = 2;
  } else if (message.starts_with("y,")) {
    h.flag = Gs2Header::Flag::y;
    pos = 2;
  } else if (message.starts_with("p=")) {
    h.flag = Gs2Header::Flag::p;
    std::size_t comma = message.find(',', 2);
    if (comma == std::string_view::npos || comma == 2) return std::nullopt;
    h.cb_name = std::string(message.substr(2, comma - 2));
    for (char c : h.cb_name) {
      if (!cb_name_char(c)) return std::nullopt;
    }
    pos = comma + 1;
  } else {
    return std::nullopt;
  }
  std::size_t comma = message.find(',', pos);
  if (comma == std::string_view::npos) return std::nullopt;
  std::string_view authzid = message.substr(pos, comma - pos);
  if (!authzid.empty()) {
    if (!authzid.starts_with("a=")) return std::nullopt;
    auto decoded = decode_saslname(authzid.substr(2));
    if (!decoded) return std::nullopt;
    h.authzid = std::move(*decoded);
  }
  h.size = comma + 1;
  return h;
}

}  // namespace postern::sasl
