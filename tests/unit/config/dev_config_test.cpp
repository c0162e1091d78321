#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace postern::config {
namespace {

using namespace std::chrono_literals;
using testing::ConfigDir;

TEST(DevConfig, LoadsWithTheDevelopmentSetup) {
  ConfigDir dir;
  auto c = load_file(dir.write("postern.toml", dev_config_text()));
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->hostname, "localhost");
  EXPECT_EQ(c->local_domains, std::vector<std::string>{"example.test"});
  EXPECT_EQ(c->data_dir, dir.path());
  ASSERT_EQ(c->tls.certificates.size(), 1u);
  EXPECT_EQ(c->tls.certificates[0].cert_file, dir.path() / "tls" / "cert.pem");
  EXPECT_EQ(c->tls.certificates[0].key_file, dir.path() / "tls" / "key.pem");

  ASSERT_EQ(c->listeners.size(), 3u);
  const auto& smtp = c->listeners[0];
  EXPECT_EQ(smtp.kind, ListenerKind::smtp);
  EXPECT_EQ(smtp.address, "127.0.0.1");
  EXPECT_EQ(smtp.port, 2525);
  EXPECT_FALSE(smtp.require_tls);
  EXPECT_FALSE(smtp.require_auth);
  EXPECT_TRUE(smtp.trusted_networks.empty());

  const auto& submission = c->listeners[1];
  EXPECT_EQ(submission.kind, ListenerKind::submission);
  EXPECT_EQ(submission.address, "127.0.0.1");
  EXPECT_EQ(submission.port, 2587);
  EXPECT_TRUE(submission.require_tls);
  EXPECT_TRUE(submission.require_auth);
  EXPECT_TRUE(submission.trusted_networks.empty());

  const auto& submissions = c->listeners[2];
  EXPECT_EQ(submissions.kind, ListenerKind::submissions);
  EXPECT_EQ(submissions.address, "127.0.0.1");
  EXPECT_EQ(submissions.port, 2465);
  EXPECT_TRUE(submissions.require_tls);
  EXPECT_TRUE(submissions.require_auth);
  EXPECT_TRUE(submissions.trusted_networks.empty());
}

// The dev file doubles as the reference an operator edits, so the values it spells out must be
// the real defaults, not a second opinion about them.
TEST(DevConfig, SpellsOutTheDefaults) {
  ConfigDir dir;
  auto c = load_file(dir.write("postern.toml", dev_config_text()));
  ASSERT_TRUE(c.has_value()) << c.error();
  const Config defaults;
  EXPECT_EQ(c->threads, defaults.threads);
  EXPECT_EQ(c->log_level, defaults.log_level);
  EXPECT_EQ(c->tls.min_version, defaults.tls.min_version);
  const auto& got = c->limits;
  const auto& want = defaults.limits;
  EXPECT_EQ(got.session.max_message_size, want.session.max_message_size);
  EXPECT_EQ(got.session.max_recipients, want.session.max_recipients);
  EXPECT_EQ(got.session.max_errors, want.session.max_errors);
  EXPECT_EQ(got.session.max_commands, want.session.max_commands);
  EXPECT_EQ(got.session.command_line_max, want.session.command_line_max);
  EXPECT_EQ(got.idle_timeout, want.idle_timeout);
  EXPECT_EQ(got.command_timeout, want.command_timeout);
  EXPECT_EQ(got.max_connections, want.max_connections);
  EXPECT_EQ(got.max_connections_per_ip, want.max_connections_per_ip);
}

TEST(DevConfig, WritesEveryOption) {
  const std::string text = dev_config_text();
  for (std::string_view key : {"hostname",
                               "local_domains",
                               "data_dir",
                               "threads",
                               "log_level",
                               "[limits]",
                               "max_message_size",
                               "max_recipients",
                               "max_errors",
                               "max_commands",
                               "command_line_max",
                               "idle_timeout",
                               "command_timeout",
                               "max_connections",
                               "max_connections_per_ip",
                               "[tls]",
                               "min_version",
                               "[[tls.certificate]]",
                               "cert",
                               "key",
                               "[[listener]]",
                               "kind",
                               "address",
                               "name",
                               "require_tls",
                               "require_auth",
                               "trusted_networks"}) {
    std::string written = key.starts_with('[') ? "\n" + std::string(key) + "\n" : "\n" + std::string(key) + " = ";
    EXPECT_NE(text.find(written), std::string::npos) << key;
  }
}

TEST(DevConfig, NeedsItsCertificate) {
  ConfigDir dir;
  std::filesystem::remove(dir.path() / "tls" / "cert.pem");
  auto c = load_file(dir.write("postern.toml", dev_config_text()));
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().find("tls.certificate #1: cannot read \"cert\" file " +
                           (dir.path() / "tls" / "cert.pem").string() + ": No such file or directory"),
            std::string::npos)
      << c.error();
  // A broken certificate is reported once, not again for each listener that needs TLS.
  EXPECT_EQ(c.error().find('\n'), std::string::npos) << c.error();
}

}  // namespace
}  // namespace postern::config
