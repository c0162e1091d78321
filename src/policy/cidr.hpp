#pragma once
// IPv4/IPv6 networks in CIDR notation, for trusted networks and allow/deny lists.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace postern::policy {

/// An IP address, IPv4 stored as IPv4-mapped IPv6 (::ffff:a.b.c.d) so one comparison serves both.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;

  static std::optional<IpAddress> parse(std::string_view text);  ///< "192.0.2.1", "2001:db8::1", "::ffff:1.2.3.4"
  std::string to_string() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

/// A network such as "10.0.0.0/8" or "2001:db8::/32"; a bare address means /32 or /128.
struct Cidr {
  IpAddress network;  ///< host bits cleared
  unsigned prefix = 0;  ///< in the address's own family (0..32 for IPv4, 0..128 for IPv6)

  static std::optional<Cidr> parse(std::string_view text);  ///< nullopt when malformed or host bits are set
  bool contains(const IpAddress& address) const;
  std::string to_string() const;
};

}  // namespace postern::policy
