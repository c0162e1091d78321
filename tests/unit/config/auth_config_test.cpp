// [auth], [oauth] and the AUTH keys of [[listener]]: values read, defaults kept, and the
// mechanism list each listener ends up offering.

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace postern::config {
namespace {

using namespace std::chrono_literals;
using testing::ConfigDir;

constexpr std::string_view kTop = R"(hostname = "mail.example.org"
local_domains = ["example.org"]
data_dir = "/var/lib/postern"

[[tls.certificate]]
cert = "tls/cert.pem"
key = "tls/key.pem"
)";

std::expected<Config, std::string> load(const ConfigDir& dir, std::string_view rest) {
  return load_file(dir.write("postern.toml", std::string(kTop) + std::string(rest)));
}

TEST(AuthConfig, DefaultsWithoutTheSections) {
  ConfigDir dir;
  auto c = load(dir, "[[listener]]\nkind = \"submission\"\naddress = \"0.0.0.0:587\"\n");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_FALSE(c->auth.cram_md5);
  EXPECT_EQ(c->auth.scram_iterations, 4096u);
  EXPECT_EQ(c->auth.cache_ttl, 60s);
  EXPECT_EQ(c->auth.failure_delay, 2s);
  EXPECT_TRUE(c->auth.client_ca.empty());
  EXPECT_FALSE(c->oauth.enabled);
  const auto& l = c->listeners[0];
  EXPECT_TRUE(l.auth_mechanisms.empty());
  EXPECT_FALSE(l.insecure_auth_without_tls);
  EXPECT_FALSE(l.request_client_certificate);
  // Strongest first; no CRAM-MD5 (off by default), no token mechanisms (no [oauth]).
  EXPECT_EQ(offered_mechanisms(*c, l), (std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256",
                                                                  "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "PLAIN", "LOGIN"}));
}

TEST(AuthConfig, ReadsEveryKey) {
  ConfigDir dir;
  dir.write("tls/client-ca.pem", "");
  dir.write("oauth/jwks.json", "{}");
  auto c = load(dir, R"(
[auth]
cram_md5 = true
scram_iterations = 10000
cache_ttl = "5m"
failure_delay = "30s"
client_ca = "tls/client-ca.pem"

[oauth]
issuer = "https://idp.example.org"
audience = "smtp"
public_keys = ["oauth/issuer.pub.pem"]
jwks_file = "oauth/jwks.json"
account_claim = "preferred_username"
leeway = 30

[[listener]]
kind = "smtp"
address = "0.0.0.0:25"
auth_mechanisms = ["scram-sha-256", "CRAM-MD5", "Plain", "OAUTHBEARER"]
insecure_auth_without_tls = true
request_client_certificate = true
)");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_TRUE(c->auth.cram_md5);
  EXPECT_EQ(c->auth.scram_iterations, 10000u);
  EXPECT_EQ(c->auth.cache_ttl, 5min);
  EXPECT_EQ(c->auth.failure_delay, 30s);
  EXPECT_EQ(c->auth.client_ca, dir.path() / "tls" / "client-ca.pem");
  EXPECT_TRUE(c->oauth.enabled);
  EXPECT_EQ(c->oauth.issuer, "https://idp.example.org");
  EXPECT_EQ(c->oauth.audience, "smtp");
  EXPECT_EQ(c->oauth.public_keys, std::vector<std::filesystem::path>{dir.path() / "oauth" / "issuer.pub.pem"});
  EXPECT_EQ(c->oauth.jwks_file, dir.path() / "oauth" / "jwks.json");
  EXPECT_EQ(c->oauth.account_claim, "preferred_username");
  EXPECT_EQ(c->oauth.leeway, 30s);
  const auto& l = c->listeners[0];
  // Names are kept as registered, whatever case the file used; the order is the operator's.
  EXPECT_EQ(l.auth_mechanisms, (std::vector<std::string>{"SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "OAUTHBEARER"}));
  EXPECT_EQ(offered_mechanisms(*c, l), l.auth_mechanisms);
  EXPECT_TRUE(l.insecure_auth_without_tls);
  EXPECT_TRUE(l.request_client_certificate);
}

TEST(AuthConfig, DefaultListIncludesWhatTheSectionsEnable) {
  ConfigDir dir;
  auto c = load(dir, R"(
[auth]
cram_md5 = true

[oauth]
issuer = "i"
audience = "a"
public_keys = ["oauth/issuer.pub.pem"]

[[listener]]
kind = "submissions"
address = "0.0.0.0:465"
)");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(offered_mechanisms(*c, c->listeners[0]),
            (std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1",
                                      "OAUTHBEARER", "XOAUTH2", "CRAM-MD5", "PLAIN", "LOGIN"}));
}

TEST(AuthConfig, ExternalOnlyWhereClientCertificatesAreRequested) {
  ConfigDir dir;
  dir.write("tls/client-ca.pem", "");
  auto c = load(dir, R"(
[auth]
client_ca = "tls/client-ca.pem"

[[listener]]
kind = "submission"
address = "0.0.0.0:587"
request_client_certificate = true

[[listener]]
kind = "submissions"
address = "0.0.0.0:465"
)");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(offered_mechanisms(*c, c->listeners[0]),
            (std::vector<std::string>{"EXTERNAL", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS",
                                      "SCRAM-SHA-1", "PLAIN", "LOGIN"}));
  EXPECT_EQ(offered_mechanisms(*c, c->listeners[1]),
            (std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1",
                                      "PLAIN", "LOGIN"}));
}

TEST(AuthConfig, ListingExternalNeedsClientCertificates) {
  ConfigDir dir;
  auto c = load(dir, "[[listener]]\nkind = \"submission\"\naddress = \"0.0.0.0:587\"\nauth_mechanisms = [\"external\"]\n");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error(), (dir.path() / "postern.toml").string() +
                           ":11: listener \"submission\": \"auth_mechanisms\": EXTERNAL needs "
                           "request_client_certificate = true");
}

TEST(AuthConfig, CacheTtlZeroDisablesTheCache) {
  ConfigDir dir;
  auto c = load(dir, "[auth]\ncache_ttl = 0\n[[listener]]\nkind = \"smtp\"\naddress = \"0.0.0.0:25\"\n");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->auth.cache_ttl, 0s);
}

TEST(AuthConfig, FailureDelayZeroTurnsThePauseOff) {
  ConfigDir dir;
  auto c = load(dir, "[auth]\nfailure_delay = 0\n[[listener]]\nkind = \"smtp\"\naddress = \"0.0.0.0:25\"\n");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->auth.failure_delay, 0s);
}

TEST(AuthConfig, ReportsEveryProblemOfTheSections) {
  ConfigDir dir;
  auto c = load(dir, R"(
[auth]
scram_iterations = 100
cram_md5 = "yes"

[oauth]
audience = ""

[[listener]]
kind = "smtp"
address = "0.0.0.0:25"
auth_mechanisms = ["DIGEST-MD5"]
)");
  ASSERT_FALSE(c.has_value());
  const std::string f = (dir.path() / "postern.toml").string();
  EXPECT_EQ(c.error(), f + ":10: auth: \"scram_iterations\" must be between 4096 and 1000000, not 100\n" + f +
                           ":11: auth: \"cram_md5\" must be a boolean (true or false), not a string\n" + f +
                           ":13: oauth: missing required key \"issuer\"\n" + f +
                           ":13: oauth: needs \"public_keys\" or \"jwks_file\": tokens cannot be checked without a "
                           "key\n" +
                           f + ":14: oauth: \"audience\" must not be empty\n" + f +
                           ":19: listener \"smtp\": \"auth_mechanisms\": unknown mechanism \"DIGEST-MD5\" (known: "
                           "EXTERNAL, SCRAM-SHA-256-PLUS, SCRAM-SHA-256, SCRAM-SHA-1-PLUS, SCRAM-SHA-1, OAUTHBEARER, XOAUTH2, "
                           "CRAM-MD5, PLAIN, LOGIN)");
}

}  // namespace
}  // namespace postern::config
