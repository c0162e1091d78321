#include "policy/access.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>
#include <vector>

namespace postern::policy {
namespace {

IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

std::vector<Cidr> nets(std::initializer_list<std::string_view> texts) {
  std::vector<Cidr> out;
  for (auto t : texts) {
    auto c = Cidr::parse(t);
    EXPECT_TRUE(c.has_value()) << t;
    if (c) out.push_back(*c);
  }
  return out;
}

TEST(ConnectionAllowed, EmptyListsAdmitEveryone) {
  for (auto a : {"192.0.2.1", "127.0.0.1", "2001:db8::1", "::1", "::ffff:198.51.100.7"}) {
    EXPECT_TRUE(connection_allowed(ip(a), {}, {})) << a;
  }
}

TEST(ConnectionAllowed, DenyListRefusesItsNetworksOnlyIpv4) {
  auto deny = nets({"192.0.2.0/24", "10.0.0.7"});
  EXPECT_FALSE(connection_allowed(ip("192.0.2.1"), {}, deny));
  EXPECT_FALSE(connection_allowed(ip("192.0.2.255"), {}, deny));
  EXPECT_FALSE(connection_allowed(ip("10.0.0.7"), {}, deny));
  EXPECT_TRUE(connection_allowed(ip("10.0.0.8"), {}, deny));
  EXPECT_TRUE(connection_allowed(ip("192.0.3.0"), {}, deny));
  EXPECT_TRUE(connection_allowed(ip("192.0.1.255"), {}, deny));
}

TEST(ConnectionAllowed, AllowListRefusesEverythingElseIpv4) {
  auto allow = nets({"127.0.0.1/32", "198.51.100.0/25"});
  EXPECT_TRUE(connection_allowed(ip("127.0.0.1"), allow, {}));
  EXPECT_TRUE(connection_allowed(ip("198.51.100.127"), allow, {}));
  EXPECT_FALSE(connection_allowed(ip("198.51.100.128"), allow, {}));
  EXPECT_FALSE(connection_allowed(ip("127.0.0.2"), allow, {}));
  EXPECT_FALSE(connection_allowed(ip("2001:db8::1"), allow, {}));
}

TEST(ConnectionAllowed, Ipv6Networks) {
  auto allow = nets({"2001:db8::/32"});
  auto deny = nets({"2001:db8:bad::/48"});
  EXPECT_TRUE(connection_allowed(ip("2001:db8::1"), allow, deny));
  EXPECT_TRUE(connection_allowed(ip("2001:db8:bad1::1"), allow, deny));
  EXPECT_FALSE(connection_allowed(ip("2001:db8:bad::1"), allow, deny));
  EXPECT_FALSE(connection_allowed(ip("2001:db9::1"), allow, deny));
  EXPECT_FALSE(connection_allowed(ip("::1"), allow, deny));
  // An IPv6 network does not swallow IPv4 clients by accident.
  EXPECT_FALSE(connection_allowed(ip("192.0.2.1"), allow, deny));
  EXPECT_TRUE(connection_allowed(ip("::1"), {}, nets({"2001:db8::/32"})));
  EXPECT_FALSE(connection_allowed(ip("::1"), {}, nets({"::1"})));
}

// A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; the IPv4 lists must still apply.
TEST(ConnectionAllowed, Ipv4MappedClientsMatchIpv4Networks) {
  auto deny = nets({"127.0.0.3/32"});
  EXPECT_FALSE(connection_allowed(ip("::ffff:127.0.0.3"), {}, deny));
  EXPECT_TRUE(connection_allowed(ip("::ffff:127.0.0.1"), {}, deny));
  auto allow = nets({"10.0.0.0/8"});
  EXPECT_TRUE(connection_allowed(ip("::ffff:10.20.30.40"), allow, {}));
  EXPECT_FALSE(connection_allowed(ip("::ffff:11.0.0.1"), allow, {}));
  // The same networks written in IPv6 syntax.
  EXPECT_FALSE(connection_allowed(ip("127.0.0.3"), {}, nets({"::ffff:127.0.0.3/128"})));
  EXPECT_TRUE(connection_allowed(ip("10.9.8.7"), nets({"::ffff:10.0.0.0/104"}), {}));
  EXPECT_FALSE(connection_allowed(ip("11.9.8.7"), nets({"::ffff:10.0.0.0/104"}), {}));
}

TEST(ConnectionAllowed, DenyWinsOverAllow) {
  auto allow = nets({"10.0.0.0/8", "2001:db8::/32"});
  auto deny = nets({"10.1.0.0/16", "2001:db8::1"});
  EXPECT_FALSE(connection_allowed(ip("10.1.2.3"), allow, deny));
  EXPECT_TRUE(connection_allowed(ip("10.2.2.3"), allow, deny));
  EXPECT_FALSE(connection_allowed(ip("2001:db8::1"), allow, deny));
  EXPECT_TRUE(connection_allowed(ip("2001:db8::2"), allow, deny));
  // The same address in both lists is refused.
  auto both = nets({"192.0.2.1"});
  EXPECT_FALSE(connection_allowed(ip("192.0.2.1"), both, both));
}

TEST(ConnectionAllowed, CatchAllNetworks) {
  EXPECT_FALSE(connection_allowed(ip("203.0.113.9"), {}, nets({"0.0.0.0/0"})));
  EXPECT_TRUE(connection_allowed(ip("2001:db8::9"), {}, nets({"0.0.0.0/0"})));
  EXPECT_FALSE(connection_allowed(ip("2001:db8::9"), {}, nets({"::/0"})));
  EXPECT_TRUE(connection_allowed(ip("203.0.113.9"), nets({"0.0.0.0/0"}), {}));
}

TEST(ExemptAddress, Loopback) {
  EXPECT_TRUE(is_loopback(ip("127.0.0.1")));
  EXPECT_TRUE(is_loopback(ip("127.255.0.9")));
  EXPECT_TRUE(is_loopback(ip("::1")));
  EXPECT_TRUE(is_loopback(ip("::ffff:127.0.0.2")));
  EXPECT_FALSE(is_loopback(ip("128.0.0.1")));
  EXPECT_FALSE(is_loopback(ip("::2")));
  EXPECT_TRUE(exempt_address(ip("127.0.0.3"), true, {}));
  EXPECT_FALSE(exempt_address(ip("127.0.0.3"), false, {}));
}

TEST(ExemptAddress, ConfiguredNetworks) {
  auto exempt = nets({"192.0.2.0/24", "2001:db8::/32"});
  EXPECT_TRUE(exempt_address(ip("192.0.2.77"), false, exempt));
  EXPECT_TRUE(exempt_address(ip("2001:db8::5"), false, exempt));
  EXPECT_FALSE(exempt_address(ip("198.51.100.1"), true, exempt));
  EXPECT_TRUE(exempt_address(ip("127.0.0.1"), true, exempt));
}

}  // namespace
}  // namespace postern::policy
