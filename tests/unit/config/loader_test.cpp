#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace postern::config {
namespace {

using namespace std::chrono_literals;
using testing::ConfigDir;
using testing::read_text;

const std::filesystem::path kGood = std::filesystem::path(POSTERN_SOURCE_DIR) / "tests" / "configs" / "good";

// Loads tests/configs/good/<name> from a scratch directory that has the TLS files.
std::expected<Config, std::string> load_good(const ConfigDir& dir, const std::string& name) {
  return load_file(dir.write(name, read_text(kGood / name)));
}

constexpr std::string_view kRequired = R"(hostname = "mail.example.org"
local_domains = ["example.org"]
data_dir = "/var/lib/postern"
)";

TEST(Loader, MinimalConfigTakesTheDefaults) {
  ConfigDir dir;
  auto c = load_good(dir, "minimal.toml");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->file, dir.path() / "minimal.toml");
  EXPECT_EQ(c->hostname, "mail.example.org");
  EXPECT_EQ(c->local_domains, std::vector<std::string>{"example.org"});
  EXPECT_EQ(c->data_dir, "/var/lib/postern");
  EXPECT_EQ(c->threads, 0u);
  EXPECT_EQ(c->log_level, "info");
  EXPECT_TRUE(c->tls.certificates.empty());
  EXPECT_EQ(c->tls.min_version, "TLSv1.2");

  const Limits defaults;
  EXPECT_EQ(c->limits.session.max_message_size, 25u * 1024 * 1024);
  EXPECT_EQ(c->limits.session.max_message_size, defaults.session.max_message_size);
  EXPECT_EQ(c->limits.session.max_recipients, 100u);
  EXPECT_EQ(c->limits.session.max_errors, 10u);
  EXPECT_EQ(c->limits.session.max_commands, 10000u);
  EXPECT_EQ(c->limits.session.command_line_max, 1000u);
  EXPECT_EQ(c->limits.idle_timeout, 5min);
  EXPECT_EQ(c->limits.command_timeout, 5min);
  EXPECT_EQ(c->limits.max_connections, 20000u);
  EXPECT_EQ(c->limits.max_connections_per_ip, 50u);

  ASSERT_EQ(c->listeners.size(), 1u);
  const auto& l = c->listeners[0];
  EXPECT_EQ(l.name, "smtp");
  EXPECT_EQ(l.kind, ListenerKind::smtp);
  EXPECT_EQ(l.address, "0.0.0.0");
  EXPECT_EQ(l.port, 25);
  EXPECT_FALSE(l.require_tls);
  EXPECT_FALSE(l.require_auth);
  EXPECT_TRUE(l.trusted_networks.empty());
  EXPECT_EQ(l.line, 6);
}

TEST(Loader, FullConfigReadsEveryOption) {
  ConfigDir dir;
  auto c = load_good(dir, "full.toml");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->hostname, "mx1.example.org");
  EXPECT_EQ(c->local_domains, (std::vector<std::string>{"example.org", "example.net", "xn--bcher-kva.example"}));
  EXPECT_EQ(c->data_dir, dir.path() / "state" / "postern");
  EXPECT_EQ(c->threads, 4u);
  EXPECT_EQ(c->log_level, "debug");

  EXPECT_EQ(c->limits.session.max_message_size, 10u * 1024 * 1024);
  EXPECT_EQ(c->limits.session.max_recipients, 250u);
  EXPECT_EQ(c->limits.session.max_errors, 5u);
  EXPECT_EQ(c->limits.session.max_commands, 500u);
  EXPECT_EQ(c->limits.session.command_line_max, 2048u);
  EXPECT_EQ(c->limits.idle_timeout, 2min);
  EXPECT_EQ(c->limits.command_timeout, 90s);
  EXPECT_EQ(c->limits.max_connections, 1000u);
  EXPECT_EQ(c->limits.max_connections_per_ip, 10u);

  EXPECT_EQ(c->tls.min_version, "TLSv1.3");
  ASSERT_EQ(c->tls.certificates.size(), 2u);
  EXPECT_EQ(c->tls.certificates[0].cert_file, dir.path() / "tls" / "cert.pem");
  EXPECT_EQ(c->tls.certificates[0].key_file, dir.path() / "tls" / "key.pem");
  // "./tls//cert.pem" and "tls/../tls/key.pem", normalised.
  EXPECT_EQ(c->tls.certificates[1].cert_file, dir.path() / "tls" / "cert.pem");
  EXPECT_EQ(c->tls.certificates[1].key_file, dir.path() / "tls" / "key.pem");

  ASSERT_EQ(c->listeners.size(), 3u);
  const auto& mx = c->listeners[0];
  EXPECT_EQ(mx.name, "mx");
  EXPECT_EQ(mx.kind, ListenerKind::smtp);
  EXPECT_EQ(mx.address, "192.0.2.10");
  EXPECT_EQ(mx.port, 25);
  EXPECT_TRUE(mx.require_tls);
  EXPECT_TRUE(mx.require_auth);
  ASSERT_EQ(mx.trusted_networks.size(), 3u);
  EXPECT_EQ(mx.trusted_networks[0].to_string(), "10.0.0.0/8");
  EXPECT_EQ(mx.trusted_networks[1].to_string(), "2001:db8::/32");
  EXPECT_EQ(mx.trusted_networks[2].to_string(), "192.0.2.7/32");
  EXPECT_TRUE(mx.trusted_networks[0].contains(*policy::IpAddress::parse("10.1.2.3")));
  EXPECT_EQ(mx.line, 31);

  const auto& msa = c->listeners[1];
  EXPECT_EQ(msa.name, "msa");
  EXPECT_EQ(msa.kind, ListenerKind::submission);
  EXPECT_EQ(msa.address, "2001:db8::10");
  EXPECT_EQ(msa.port, 587);
  EXPECT_FALSE(msa.require_tls);
  EXPECT_FALSE(msa.require_auth);
  EXPECT_TRUE(msa.trusted_networks.empty());

  const auto& smtps = c->listeners[2];
  EXPECT_EQ(smtps.name, "submissions");
  EXPECT_EQ(smtps.kind, ListenerKind::submissions);
  EXPECT_EQ(smtps.address, "::");
  EXPECT_EQ(smtps.port, 465);
  EXPECT_TRUE(smtps.require_tls);
  EXPECT_TRUE(smtps.require_auth);
}

TEST(Loader, SubmissionMayGoWithoutTlsWhenItSaysSo) {
  ConfigDir dir;
  auto c = load_good(dir, "submission_in_clear.toml");
  ASSERT_TRUE(c.has_value()) << c.error();
  ASSERT_EQ(c->listeners.size(), 1u);
  EXPECT_EQ(c->listeners[0].kind, ListenerKind::submission);
  EXPECT_FALSE(c->listeners[0].require_tls);
  EXPECT_TRUE(c->listeners[0].require_auth);  // still the submission default
  EXPECT_TRUE(c->tls.certificates.empty());
}

TEST(Loader, SmtpMayRequireAuth) {
  ConfigDir dir;
  auto c = load_good(dir, "smtp_with_auth.toml");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->data_dir, dir.path());
  ASSERT_EQ(c->listeners.size(), 3u);
  EXPECT_EQ(c->listeners[0].name, "smtp");
  EXPECT_TRUE(c->listeners[0].require_auth);
  EXPECT_FALSE(c->listeners[0].require_tls);
  EXPECT_EQ(c->listeners[1].name, "smtp-v6");
  EXPECT_FALSE(c->listeners[1].require_auth);
  EXPECT_EQ(c->listeners[2].name, "smtp-alt");
  EXPECT_EQ(c->listeners[2].port, 2525);
  ASSERT_EQ(c->tls.certificates.size(), 1u);
}

TEST(Loader, DottedKeysAndInlineTablesReadTheSame) {
  ConfigDir dir;
  auto c = load_good(dir, "dotted_and_inline.toml");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->limits.session.max_recipients, 50u);
  EXPECT_EQ(c->limits.session.max_errors, 10u);
  EXPECT_EQ(c->tls.min_version, "TLSv1.3");
  ASSERT_EQ(c->tls.certificates.size(), 1u);
  EXPECT_EQ(c->tls.certificates[0].key_file, dir.path() / "tls" / "key.pem");
  ASSERT_EQ(c->listeners.size(), 1u);
  EXPECT_EQ(c->listeners[0].kind, ListenerKind::submissions);
  EXPECT_TRUE(c->listeners[0].require_tls);
}

TEST(Loader, SizesAndDurationsAsIntegersOrStrings) {
  ConfigDir dir;
  struct Case {
    std::string_view toml;
    std::size_t size;
    std::chrono::seconds idle;
  } cases[] = {
      {"max_message_size = 65536\nidle_timeout = 1", 65536, 1s},
      {"max_message_size = \"64K\"\nidle_timeout = \"1s\"", 65536, 1s},
      {"max_message_size = \"64k\"\nidle_timeout = \"30\"", 65536, 30s},
      {"max_message_size = \"4G\"\nidle_timeout = \"24h\"", std::size_t{4} << 30, 24h},
      {"max_message_size = \"1024K\"\nidle_timeout = \"1440m\"", 1 << 20, 24h},
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(k.toml);
    std::string text = std::string(kRequired) + "[limits]\n" + std::string(k.toml) +
                       "\n[[listener]]\nkind = \"smtp\"\naddress = \"127.0.0.1:25\"\n";
    auto c = load_string(text, dir.path() / "postern.toml");
    ASSERT_TRUE(c.has_value()) << c.error();
    EXPECT_EQ(c->limits.session.max_message_size, k.size);
    EXPECT_EQ(c->limits.idle_timeout, k.idle);
  }
}

TEST(Loader, RelativePathsAreRelativeToTheFilesDirectory) {
  ConfigDir dir;
  std::filesystem::create_directories(dir.path() / "etc");
  std::filesystem::create_directories(dir.path() / "keys");
  dir.write("keys/k.pem", "");
  auto text = R"(hostname = "mail.example.org"
local_domains = ["example.org"]
data_dir = "../var/./lib"
[[tls.certificate]]
cert = "../tls/cert.pem"
key = ")" + (dir.path() / "keys" / "k.pem").string() +
              R"("
[[listener]]
kind = "smtp"
address = "127.0.0.1:25"
)";
  auto c = load_file(dir.write("etc/postern.toml", text));
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->file, dir.path() / "etc" / "postern.toml");
  EXPECT_EQ(c->data_dir, dir.path() / "var" / "lib");
  EXPECT_TRUE(c->data_dir.is_absolute());
  EXPECT_EQ(c->tls.certificates[0].cert_file, dir.path() / "tls" / "cert.pem");
  EXPECT_EQ(c->tls.certificates[0].key_file, dir.path() / "keys" / "k.pem");
}

TEST(Loader, DataDirDotIsTheFilesDirectory) {
  ConfigDir dir;
  for (std::string_view written : {".", "./", "etc/.."}) {
    SCOPED_TRACE(written);
    std::string text = "hostname = \"h.example\"\nlocal_domains = [\"example.org\"]\ndata_dir = \"" +
                       std::string(written) + "\"\n[[listener]]\nkind = \"smtp\"\naddress = \"127.0.0.1:25\"\n";
    auto c = load_string(text, dir.path() / "postern.toml");
    ASSERT_TRUE(c.has_value()) << c.error();
    EXPECT_EQ(c->data_dir, dir.path());
  }
}

TEST(Loader, RelativeConfigFileIsTakenFromTheWorkingDirectory) {
  auto text = std::string(kRequired) + "[[listener]]\nkind = \"smtp\"\naddress = \"127.0.0.1:25\"\n";
  auto c = load_string(text, "conf/postern.toml");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->file, std::filesystem::current_path() / "conf" / "postern.toml");
  // Messages name the file as it was given.
  auto bad = load_string("threads = \"many\"\n", "conf/postern.toml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_TRUE(bad.error().starts_with("conf/postern.toml: missing required key \"hostname\"\n")) << bad.error();
  EXPECT_NE(bad.error().find("\nconf/postern.toml:1: \"threads\" must be an integer, not a string"), std::string::npos)
      << bad.error();
}

TEST(Loader, ReportsEveryProblemOrderedByLine) {
  auto text = R"(local_domains = ["example.org", "bad domain"]
data_dir = "/var/lib/postern"
threads = -3

[limits]
max_errors = 0
idle_timout = "5m"

[[listener]]
kind = "smtp"
address = "0.0.0.0:0"
)";
  auto c = load_string(text, "/etc/postern/postern.toml");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error(),
            "/etc/postern/postern.toml: missing required key \"hostname\"\n"
            "/etc/postern/postern.toml:1: \"local_domains\": \"bad domain\" is not a domain name\n"
            "/etc/postern/postern.toml:3: \"threads\" must be between 0 and 1024, not -3\n"
            "/etc/postern/postern.toml:6: limits: \"max_errors\" must be between 1 and 1000, not 0\n"
            "/etc/postern/postern.toml:7: limits: unknown key \"idle_timout\"\n"
            "/etc/postern/postern.toml:11: listener \"smtp\": \"address\": the port of \"0.0.0.0:0\" must be between 1 "
            "and 65535");
}

TEST(Loader, AFileFullOfMistakesIsAnsweredWithTheFirstTwenty) {
  std::string text(kRequired);
  for (int i = 0; i < 25; ++i) text += "typo" + std::to_string(i) + " = 1\n";
  text += "[[listener]]\nkind = \"smtp\"\naddress = \"127.0.0.1:25\"\n";
  auto c = load_string(text, "p.toml");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(std::ranges::count(c.error(), '\n'), 20);
  EXPECT_TRUE(c.error().starts_with("p.toml:4: unknown key \"typo0\"\n")) << c.error();
  EXPECT_TRUE(c.error().ends_with("\np.toml:23: unknown key \"typo19\"\np.toml: 5 more errors")) << c.error();
}

TEST(Loader, CertificateThatCannotBeReadIsRefused) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  ConfigDir dir;
  std::filesystem::permissions(dir.path() / "tls" / "key.pem", std::filesystem::perms::none);
  auto text = std::string(kRequired) +
              "[[tls.certificate]]\ncert = \"tls/cert.pem\"\nkey = \"tls/key.pem\"\n"
              "[[listener]]\nkind = \"smtp\"\naddress = \"127.0.0.1:25\"\n";
  auto c = load_string(text, dir.path() / "p.toml");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error(), (dir.path() / "p.toml").string() + ":6: tls.certificate #1: cannot read \"key\" file " +
                           (dir.path() / "tls" / "key.pem").string() + ": Permission denied");
}

TEST(Loader, FileThatCannotBeRead) {
  ConfigDir dir;
  auto missing = load_file(dir.path() / "nope.toml");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error(), (dir.path() / "nope.toml").string() + ": cannot read: No such file or directory");
  auto directory = load_file(dir.path() / "tls");
  ASSERT_FALSE(directory.has_value());
  EXPECT_EQ(directory.error(), (dir.path() / "tls").string() + ": is a directory");
}

TEST(Loader, EmptyFileNamesEveryRequiredKey) {
  auto c = load_string("", "empty.toml");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error(),
            "empty.toml: missing required key \"hostname\"\n"
            "empty.toml: missing required key \"local_domains\"\n"
            "empty.toml: missing required key \"data_dir\"\n"
            "empty.toml: at least one [[listener]] is required");
}

TEST(Loader, LocalDomainsAreLowerCased) {
  auto text = R"(hostname = "Mail.Example.ORG"
local_domains = ["EXAMPLE.org", "Sub.Example.Net"]
data_dir = "/d"
[[listener]]
kind = "smtp"
address = "127.0.0.1:25"
)";
  auto c = load_string(text, "/etc/p.toml");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->local_domains, (std::vector<std::string>{"example.org", "sub.example.net"}));
  EXPECT_EQ(c->hostname, "Mail.Example.ORG");
}

}  // namespace
}  // namespace postern::config
