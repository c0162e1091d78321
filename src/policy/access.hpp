#pragma once
// Per-listener allow/deny lists, decided once when a client connects.

#include <vector>

#include "policy/cidr.hpp"

namespace postern::policy {

/// Whether `address` may talk to a listener with these lists. A client in `deny` is refused; when
/// `allow` is not empty, a client outside it is refused as well; deny wins over allow. Empty
/// lists admit everyone.
bool connection_allowed(const IpAddress& address, const std::vector<Cidr>& allow, const std::vector<Cidr>& deny);

/// 127.0.0.0/8 (RFC 1122 §3.2.1.3) or ::1.
bool is_loopback(const IpAddress& address);

/// Whether the per-address defences (the throttle's address and network tiers, the connection
/// rate, the per-address sending limits) leave `address` alone: loopback when `loopback` is set
/// ([abuse] exempt_loopback), or inside one of `networks` ([abuse] exempt_networks).
bool exempt_address(const IpAddress& address, bool loopback, const std::vector<Cidr>& networks);

}  // namespace postern::policy
