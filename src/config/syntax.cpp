#include "config/syntax.hpp"

#include <algorithm>

namespace postern::config {

namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 1035 §2.3.1 (as relaxed by RFC 1123 §2.1: a label may begin with a digit):
// let-dig [ *(let-dig / "-") let-dig ], at most 63 octets (RFC 1035 §2.3.4).
bool is_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (!is_alnum(label.front()) || !is_alnum(label.back())) return false;
  return std::ranges::all_of(label, [](char c) { return is_alnum(c) || c == '-'; });
}

std::expected<std::uint16_t, ListenAddressError> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5 || !std::ranges::all_of(text, is_digit)) {
    return std::unexpected(ListenAddressError::bad_port);
  }
  unsigned value = 0;
  for (char c : text) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value == 0 || value > 65535) return std::unexpected(ListenAddressError::bad_port);
  return static_cast<std::uint16_t>(value);
}

}  // namespace

bool is_domain_name(std::string_view text) {
  // RFC 1035 §2.3.4: 255 octets on the wire are 253 characters in text without the final dot.
  if (text.empty() || text.size() > 253) return false;
  std::string_view last;
  for (std::size_t start = 0;;) {
    auto dot = text.find('.', start);
    auto label = text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!is_label(label)) return false;
    last = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // RFC 3696 §2: a top-level domain is never all-numeric; "10.0.0.1" is an address, not a name.
  return !std::ranges::all_of(last, is_digit);
}

std::expected<ListenAddress, ListenAddressError> parse_listen_address(std::string_view text) {
  std::string_view ip;
  std::string_view port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::unexpected(ListenAddressError::malformed);
    }
    ip = text.substr(1, close - 1);
    port = text.substr(close + 2);
    // Brackets are for IPv6 syntax only (RFC 3986 §3.2.2); "[192.0.2.1]:25" is a typo.
    if (ip.find(':') == std::string_view::npos) return std::unexpected(ListenAddressError::malformed);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::unexpected(ListenAddressError::malformed);
    ip = text.substr(0, colon);
    port = text.substr(colon + 1);
    // An unbracketed IPv6 address cannot be told apart from its port ("::1:25").
    if (ip.find(':') != std::string_view::npos) return std::unexpected(ListenAddressError::malformed);
  }
  // A zone index ("fe80::1%eth0") names an interface: inet_pton refuses it, so do we.
  auto address = policy::IpAddress::parse(ip);
  if (!address) return std::unexpected(ListenAddressError::malformed);
  auto number = parse_port(port);
  if (!number) return std::unexpected(number.error());
  return ListenAddress{std::string(ip), *address, *number};
}

}  // namespace postern::config
