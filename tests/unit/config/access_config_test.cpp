// allow_networks and deny_networks on [[listener]]: read in order, empty by default, every bad
// entry reported with its own line.

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace postern::config {
namespace {

using testing::ConfigDir;

constexpr std::string_view kTop = R"(hostname = "mail.example.org"
local_domains = ["example.org"]
data_dir = "/var/lib/postern"

[[listener]]
kind = "smtp"
address = "127.0.0.1:2525"
)";

std::expected<Config, std::string> load(const ConfigDir& dir, std::string_view rest) {
  return load_file(dir.write("postern.toml", std::string(kTop) + std::string(rest)));
}

policy::IpAddress ip(std::string_view text) {
  auto a = policy::IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(policy::IpAddress{});
}

TEST(AccessConfig, EmptyByDefault) {
  ConfigDir dir;
  auto c = load(dir, "");
  ASSERT_TRUE(c.has_value()) << c.error();
  ASSERT_EQ(c->listeners.size(), 1u);
  EXPECT_TRUE(c->listeners[0].allow_networks.empty());
  EXPECT_TRUE(c->listeners[0].deny_networks.empty());
}

TEST(AccessConfig, ReadsBothListsInOrder) {
  ConfigDir dir;
  auto c = load(dir, R"(allow_networks = ["127.0.0.0/8", "2001:db8::/32", "192.0.2.7"]
deny_networks = ["127.0.0.3/32", "::ffff:10.0.0.0/104"]
trusted_networks = ["127.0.0.2"]
)");
  ASSERT_TRUE(c.has_value()) << c.error();
  const auto& l = c->listeners[0];
  ASSERT_EQ(l.allow_networks.size(), 3u);
  EXPECT_EQ(l.allow_networks[0].to_string(), "127.0.0.0/8");
  EXPECT_EQ(l.allow_networks[1].to_string(), "2001:db8::/32");
  EXPECT_EQ(l.allow_networks[2].to_string(), "192.0.2.7/32");
  ASSERT_EQ(l.deny_networks.size(), 2u);
  EXPECT_EQ(l.deny_networks[0].to_string(), "127.0.0.3/32");
  EXPECT_EQ(l.deny_networks[1].to_string(), "10.0.0.0/8");
  EXPECT_TRUE(l.deny_networks[1].contains(ip("10.200.0.1")));
  // The lists are separate: trusted_networks does not leak into them, nor they into it.
  ASSERT_EQ(l.trusted_networks.size(), 1u);
  EXPECT_EQ(l.trusted_networks[0].to_string(), "127.0.0.2/32");
}

TEST(AccessConfig, ListsArePerListener) {
  ConfigDir dir;
  auto c = load(dir, R"(deny_networks = ["127.0.0.3"]

[[listener]]
name = "inner"
kind = "smtp"
address = "127.0.0.1:2526"
allow_networks = ["127.0.0.1"]
)");
  ASSERT_TRUE(c.has_value()) << c.error();
  ASSERT_EQ(c->listeners.size(), 2u);
  EXPECT_EQ(c->listeners[0].deny_networks.size(), 1u);
  EXPECT_TRUE(c->listeners[0].allow_networks.empty());
  EXPECT_TRUE(c->listeners[1].deny_networks.empty());
  ASSERT_EQ(c->listeners[1].allow_networks.size(), 1u);
  EXPECT_EQ(c->listeners[1].allow_networks[0].to_string(), "127.0.0.1/32");
}

TEST(AccessConfig, EveryBadEntryIsReportedWithItsLine) {
  ConfigDir dir;
  auto c = load(dir, R"(allow_networks = [
  "127.0.0.1/8",
  "10.0.0.0/8",
  "not-a-network",
]
deny_networks = ["2001:db8::/129"]
trusted_networks = ["10.0.0.1/8"]
)");
  ASSERT_FALSE(c.has_value());
  auto file = (dir.path() / "postern.toml").string();
  EXPECT_NE(c.error().find(file + ":9: listener \"smtp\": \"allow_networks\": \"127.0.0.1/8\" has host bits set"),
            std::string::npos)
      << c.error();
  EXPECT_NE(c.error().find(file + ":11: listener \"smtp\": \"allow_networks\": \"not-a-network\" is not a network"),
            std::string::npos)
      << c.error();
  EXPECT_NE(c.error().find(file + ":13: listener \"smtp\": \"deny_networks\": \"2001:db8::/129\" is not a network"),
            std::string::npos)
      << c.error();
  EXPECT_NE(c.error().find(file + ":14: listener \"smtp\": \"trusted_networks\": \"10.0.0.1/8\" has host bits set"),
            std::string::npos)
      << c.error();
  EXPECT_EQ(c.error().find("10.0.0.0/8\""), std::string::npos) << c.error();
}

}  // namespace
}  // namespace postern::config
