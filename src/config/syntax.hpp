#pragma once
// The value syntaxes of the configuration file that are not plain TOML types: domain names
// and listening addresses.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "policy/cidr.hpp"

namespace postern::config {

/// True for an ASCII domain name as DNS and SMTP write it: labels of letters, digits and
/// inner hyphens, 1..63 octets each, 253 octets in all, no trailing dot, and a last label that
/// is not all digits (so an IP address is never taken for a domain). Internationalised
/// names must be given in their A-label form ("xn--...").
bool is_domain_name(std::string_view text);

/// A parsed "IP:PORT" or "[IPv6]:PORT".
struct ListenAddress {
  std::string ip;             ///< the IP literal as written, without brackets
  policy::IpAddress address;  ///< the same, parsed (compare these, not the text)
  std::uint16_t port = 0;     ///< 1..65535
};

/// Why parse_listen_address refused its text.
enum class ListenAddressError {
  malformed,  ///< not IPv4:PORT or [IPv6]:PORT (host names are not allowed: no DNS at start-up)
  bad_port,   ///< the port is 0, above 65535, or not decimal digits
};

std::expected<ListenAddress, ListenAddressError> parse_listen_address(std::string_view text);

}  // namespace postern::config
