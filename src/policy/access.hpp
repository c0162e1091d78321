#pragma once
// Per-listener allow/deny lists, decided once when a client connects.

#include <vector>

#include "policy/cidr.hpp"

namespace postern::policy {

/// Whether `address` may talk to a listener with these lists. A client in `deny` is refused; when
/// `allow` is not empty, a client outside it is refused as well; deny wins over allow. Empty
/// lists admit everyone.
bool connection_allowed(const IpAddress& address, const std::vector<Cidr>& allow, const std::vector<Cidr>& deny);

}  // namespace postern::policy
