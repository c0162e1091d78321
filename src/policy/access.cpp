#include "policy/access.hpp"

#include <algorithm>

namespace postern::policy {

namespace {

bool in_any(const IpAddress& address, const std::vector<Cidr>& networks) {
  return std::ranges::any_of(networks, [&](const Cidr& n) { return n.contains(address); });
}

}  // namespace

bool connection_allowed(const IpAddress& address, const std::vector<Cidr>& allow, const std::vector<Cidr>& deny) {
  // Deny is checked first so an operator can carve a hole out of a broad allow list.
  if (in_any(address, deny)) return false;
  return allow.empty() || in_any(address, allow);
}

bool is_loopback(const IpAddress& address) {
  if (address.v4) return address.bytes[12] == 127;
  static const IpAddress v6_loopback = *IpAddress::parse("::1");
  return address == v6_loopback;
}

bool exempt_address(const IpAddress& address, bool loopback, const std::vector<Cidr>& networks) {
  return (loopback && is_loopback(address)) || in_any(address, networks);
}

}  // namespace postern::policy
