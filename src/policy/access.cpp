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

}  // namespace postern::policy
