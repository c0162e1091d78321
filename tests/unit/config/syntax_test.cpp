#include "config/syntax.hpp"

#include <gtest/gtest.h>

#include <string>

namespace postern::config {
namespace {

TEST(IsDomainName, Accepts) {
  for (std::string_view good : {"example.org", "localhost", "mail.example.org", "EXAMPLE.ORG", "a.b", "x-y.example",
                                "3com.com", "xn--bcher-kva.example", "example.test", "1.2.3.example"}) {
    EXPECT_TRUE(is_domain_name(good)) << good;
  }
}

TEST(IsDomainName, Refuses) {
  for (std::string_view bad : {"", ".", "example.org.", ".example.org", "exa mple.org", "example..org", "-example.org",
                               "example-.org", "mail_1.example.org", "192.0.2.1", "example.123", "bücher.example",
                               "[192.0.2.1]", "user@example.org", "example.org:25"}) {
    EXPECT_FALSE(is_domain_name(bad)) << bad;
  }
}

TEST(IsDomainName, LengthLimits) {
  // RFC 1035 §2.3.4: labels of 63 octets, names of 255 octets on the wire (253 in text).
  std::string label63(63, 'a');
  EXPECT_TRUE(is_domain_name(label63 + ".example"));
  EXPECT_FALSE(is_domain_name(label63 + "a.example"));
  std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(name253.size(), 253u);
  EXPECT_TRUE(is_domain_name(name253));
  EXPECT_FALSE(is_domain_name(name253 + "b"));
}

TEST(ParseListenAddress, Ipv4) {
  auto a = parse_listen_address("0.0.0.0:25");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->ip, "0.0.0.0");
  EXPECT_EQ(a->port, 25);
  EXPECT_TRUE(a->address.v4);
  auto b = parse_listen_address("127.0.0.1:65535");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->ip, "127.0.0.1");
  EXPECT_EQ(b->port, 65535);
  EXPECT_EQ(b->address, *policy::IpAddress::parse("127.0.0.1"));
}

TEST(ParseListenAddress, Ipv6InBrackets) {
  auto a = parse_listen_address("[::]:587");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->ip, "::");
  EXPECT_EQ(a->port, 587);
  EXPECT_FALSE(a->address.v4);
  auto b = parse_listen_address("[2001:db8::10]:1");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->ip, "2001:db8::10");
  EXPECT_EQ(b->port, 1);
  // Two spellings of one address compare equal.
  EXPECT_EQ(parse_listen_address("[::1]:25")->address, parse_listen_address("[0:0::1]:25")->address);
}

TEST(ParseListenAddress, Malformed) {
  for (std::string_view bad :
       {"", ":", "0.0.0.0", ":25", "localhost:25", "mail.example.org:25", "::1:25", "[::1]", "[::1]25", "[::1:25",
        "::1]:25", "[192.0.2.1]:25", "[]:25", "1.2.3:25", "256.0.0.1:25", "[fe80::1%eth0]:25", " 0.0.0.0:25"}) {
    EXPECT_EQ(parse_listen_address(bad), std::unexpected(ListenAddressError::malformed)) << bad;
  }
}

TEST(ParseListenAddress, BadPort) {
  for (std::string_view bad : {"0.0.0.0:0", "0.0.0.0:65536", "0.0.0.0:99999", "0.0.0.0:123456", "0.0.0.0:", "[::]:",
                               "[::]:0", "0.0.0.0:-1", "0.0.0.0:+25", "0.0.0.0:25 ", "0.0.0.0:2a", "[::]:00000"}) {
    EXPECT_EQ(parse_listen_address(bad), std::unexpected(ListenAddressError::bad_port)) << bad;
  }
  EXPECT_EQ(parse_listen_address("0.0.0.0:00025")->port, 25);
}

}  // namespace
}  // namespace postern::config
