#include "policy/cidr.hpp"

#include <gtest/gtest.h>

#include <string>

namespace postern::policy {
namespace {

IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

Cidr net(std::string_view text) {
  auto c = Cidr::parse(text);
  EXPECT_TRUE(c.has_value()) << text;
  return c.value_or(Cidr{});
}

TEST(IpAddress, ParsesIpv4AsMapped) {
  auto a = ip("192.0.2.1");
  EXPECT_TRUE(a.v4);
  std::array<std::uint8_t, 16> expected{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
  EXPECT_EQ(a.bytes, expected);
  EXPECT_EQ(a.to_string(), "192.0.2.1");
}

TEST(IpAddress, ParsesIpv6) {
  auto a = ip("2001:DB8::1");
  EXPECT_FALSE(a.v4);
  EXPECT_EQ(a.bytes[0], 0x20);
  EXPECT_EQ(a.bytes[1], 0x01);
  EXPECT_EQ(a.bytes[2], 0x0d);
  EXPECT_EQ(a.bytes[3], 0xb8);
  EXPECT_EQ(a.bytes[15], 1);
  EXPECT_EQ(a.to_string(), "2001:db8::1");
  EXPECT_EQ(ip("::1").to_string(), "::1");
}

TEST(IpAddress, MappedTextEqualsDottedForm) {
  auto mapped = ip("::ffff:127.0.0.1");
  EXPECT_TRUE(mapped.v4);
  EXPECT_EQ(mapped, ip("127.0.0.1"));
  EXPECT_EQ(mapped.to_string(), "127.0.0.1");
  EXPECT_EQ(ip("::FFFF:7f00:1"), ip("127.0.0.1"));
}

TEST(IpAddress, RejectsGarbage) {
  for (std::string_view bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "01.2.3.4", "1.2.3.-4",
                               "::g", "1:2:3:4:5:6:7:8:9", "[::1]", "fe80::1%eth0", "1.2.3.4/32", "localhost",
                               "0x7f.0.0.1", "12345678901234567890123456789012345678901234567"}) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
  }
  EXPECT_FALSE(IpAddress::parse(std::string_view("1.2.3.4\0", 8)).has_value());
}

TEST(Cidr, ParsesIpv4Networks) {
  auto c = net("10.0.0.0/8");
  EXPECT_TRUE(c.network.v4);
  EXPECT_EQ(c.prefix, 8u);
  EXPECT_EQ(c.to_string(), "10.0.0.0/8");
  EXPECT_TRUE(c.contains(ip("10.0.0.0")));
  EXPECT_TRUE(c.contains(ip("10.255.255.255")));
  EXPECT_TRUE(c.contains(ip("::ffff:10.1.2.3")));
  EXPECT_FALSE(c.contains(ip("11.0.0.0")));
  EXPECT_FALSE(c.contains(ip("9.255.255.255")));
  // An IPv6 address that merely ends in the same bytes is not inside an IPv4 network.
  EXPECT_FALSE(c.contains(ip("::10.1.2.3")));
  EXPECT_FALSE(c.contains(ip("2001:db8::a01:203")));
}

TEST(Cidr, NonOctetBoundaryPrefix) {
  auto c = net("192.0.2.128/25");
  EXPECT_TRUE(c.contains(ip("192.0.2.128")));
  EXPECT_TRUE(c.contains(ip("192.0.2.255")));
  EXPECT_FALSE(c.contains(ip("192.0.2.127")));
  auto v6 = net("2001:db8:8000::/33");
  EXPECT_TRUE(v6.contains(ip("2001:db8:8000::1")));
  EXPECT_TRUE(v6.contains(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(v6.contains(ip("2001:db8:7fff::1")));
}

TEST(Cidr, BareAddressIsHostRoute) {
  auto c = net("127.0.0.1");
  EXPECT_EQ(c.prefix, 32u);
  EXPECT_TRUE(c.contains(ip("127.0.0.1")));
  EXPECT_FALSE(c.contains(ip("127.0.0.2")));
  auto v6 = net("::1");
  EXPECT_EQ(v6.prefix, 128u);
  EXPECT_EQ(v6.to_string(), "::1/128");
  EXPECT_TRUE(v6.contains(ip("::1")));
  EXPECT_FALSE(v6.contains(ip("::2")));
  EXPECT_FALSE(v6.contains(ip("127.0.0.1")));
}

TEST(Cidr, ParsesIpv6Networks) {
  auto c = net("2001:db8::/32");
  EXPECT_FALSE(c.network.v4);
  EXPECT_EQ(c.prefix, 32u);
  EXPECT_EQ(c.to_string(), "2001:db8::/32");
  EXPECT_TRUE(c.contains(ip("2001:db8:1234::5")));
  EXPECT_FALSE(c.contains(ip("2001:db9::1")));
  EXPECT_FALSE(c.contains(ip("10.0.0.1")));
}

TEST(Cidr, ZeroPrefixes) {
  auto all4 = net("0.0.0.0/0");
  EXPECT_TRUE(all4.contains(ip("1.2.3.4")));
  EXPECT_TRUE(all4.contains(ip("255.255.255.255")));
  EXPECT_FALSE(all4.contains(ip("2001:db8::1")));
  auto all6 = net("::/0");
  EXPECT_TRUE(all6.contains(ip("2001:db8::1")));
  // Every IPv4 address is an IPv6 address (mapped), so ::/0 holds them all.
  EXPECT_TRUE(all6.contains(ip("1.2.3.4")));
}

TEST(Cidr, MappedNotationCountsIn128Bits) {
  auto c = net("::ffff:10.0.0.0/104");
  EXPECT_TRUE(c.network.v4);
  EXPECT_EQ(c.prefix, 8u);
  EXPECT_EQ(c.to_string(), "10.0.0.0/8");
  EXPECT_TRUE(c.contains(ip("10.9.9.9")));
  EXPECT_FALSE(c.contains(ip("11.0.0.0")));
  auto all = net("::ffff:0:0/96");
  EXPECT_EQ(all.to_string(), "0.0.0.0/0");
  EXPECT_TRUE(all.contains(ip("203.0.113.7")));
  EXPECT_FALSE(all.contains(ip("2001:db8::1")));
}

TEST(Cidr, RejectsHostBitsSet) {
  for (std::string_view bad : {"10.0.0.1/8", "192.0.2.129/24", "192.0.2.1/31", "2001:db8::1/32", "::ffff:10.0.0.1/104",
                               "::ffff:0:0/95", "1.0.0.0/0", "::1/127"}) {
    EXPECT_FALSE(Cidr::parse(bad).has_value()) << bad;
  }
}

TEST(Cidr, RejectsBadPrefixes) {
  for (std::string_view bad : {"10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8",
                               "10.0.0.0/08", "10.0.0.0/ 8", "10.0.0.0/8 ", "10.0.0.0/8/8", "10.0.0.0/0x8",
                               "10.0.0.0/1000", "10.0.0.0/99999999999999999999", "/8", "::ffff:0:0/129"}) {
    EXPECT_FALSE(Cidr::parse(bad).has_value()) << bad;
  }
}

TEST(Cidr, RejectsGarbage) {
  for (std::string_view bad : {"", "/", "garbage", "10.0.0/8", "10.0.0.0.0/8", " 10.0.0.0/8", "10.0.0.0 /8",
                               "2001:db8::/32x", "localhost/8", "[::1]/128"}) {
    EXPECT_FALSE(Cidr::parse(bad).has_value()) << bad;
  }
}

TEST(Cidr, RoundTripsThroughText) {
  for (std::string_view text :
       {"10.0.0.0/8", "192.0.2.128/25", "0.0.0.0/0", "2001:db8::/32", "::/0", "::1/128", "fe80::/10", "127.0.0.1/32"}) {
    auto c = net(text);
    EXPECT_EQ(c.to_string(), text);
    auto again = Cidr::parse(c.to_string());
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->network, c.network);
    EXPECT_EQ(again->prefix, c.prefix);
  }
}

}  // namespace
}  // namespace postern::policy
