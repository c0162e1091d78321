#include <gtest/gtest.h>

#include <algorithm>

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

  EXPECT_EQ(c->event_log, "stderr");
  EXPECT_EQ(c->metrics.address, "127.0.0.1");
  EXPECT_EQ(c->metrics.port, 2580);
}

// Dev mode runs on loopback: exempting it would leave nothing to try the defences with.
TEST(DevConfig, DoesNotExemptLoopback) {
  ConfigDir dir;
  auto c = load_file(dir.write("postern.toml", dev_config_text()));
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_FALSE(c->abuse.throttle.exempt_loopback);
  EXPECT_TRUE(c->abuse.throttle.exempt_networks.empty());
  EXPECT_FALSE(c->rate_limits.settings.exempt_loopback);
  EXPECT_TRUE(c->rate_limits.settings.exempt_networks.empty());
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
  EXPECT_EQ(c->auth.cram_md5, defaults.auth.cram_md5);
  EXPECT_EQ(c->auth.scram_iterations, defaults.auth.scram_iterations);
  EXPECT_EQ(c->auth.cache_ttl, defaults.auth.cache_ttl);
  EXPECT_EQ(c->auth.failure_delay, defaults.auth.failure_delay);
  EXPECT_EQ(c->auth.client_ca, defaults.auth.client_ca);
  EXPECT_EQ(c->oauth.account_claim, defaults.oauth.account_claim);
  EXPECT_EQ(c->oauth.leeway, defaults.oauth.leeway);
  EXPECT_EQ(c->event_log, defaults.event_log);
  const auto& t = c->abuse.throttle;
  const auto& want_t = defaults.abuse.throttle;
  EXPECT_EQ(t.address.limit, want_t.address.limit);
  EXPECT_EQ(t.address.window, want_t.address.window);
  EXPECT_EQ(t.network.limit, want_t.network.limit);
  EXPECT_EQ(t.network.window, want_t.network.window);
  EXPECT_EQ(t.network_prefix_v4, want_t.network_prefix_v4);
  EXPECT_EQ(t.network_prefix_v6, want_t.network_prefix_v6);
  EXPECT_EQ(t.address_prefix_v6, want_t.address_prefix_v6);
  EXPECT_EQ(t.account_slow.limit, want_t.account_slow.limit);
  EXPECT_EQ(t.account_slow.window, want_t.account_slow.window);
  EXPECT_EQ(t.account_protect, want_t.account_protect);
  EXPECT_EQ(t.slow_delay, want_t.slow_delay);
  EXPECT_EQ(t.known_client_ttl, want_t.known_client_ttl);
  EXPECT_EQ(c->abuse.connections_per_minute, defaults.abuse.connections_per_minute);
  EXPECT_EQ(c->abuse.alert_hook, defaults.abuse.alert_hook);
  EXPECT_EQ(c->abuse.alert_hook_timeout, defaults.abuse.alert_hook_timeout);
  EXPECT_EQ(c->abuse.anomaly.factor, defaults.abuse.anomaly.factor);
  EXPECT_EQ(c->abuse.anomaly.min_messages, defaults.abuse.anomaly.min_messages);
  EXPECT_EQ(c->abuse.anomaly.suspend, defaults.abuse.anomaly.suspend);
  EXPECT_EQ(c->rate_limits.hour_window, defaults.rate_limits.hour_window);
  EXPECT_EQ(c->rate_limits.day_window, defaults.rate_limits.day_window);
  EXPECT_EQ(c->rate_limits.settings.account, defaults.rate_limits.settings.account);
  EXPECT_EQ(c->rate_limits.settings.credential, defaults.rate_limits.settings.credential);
  EXPECT_EQ(c->rate_limits.settings.address, defaults.rate_limits.settings.address);
  const Listener listener_defaults;
  for (const auto& l : c->listeners) {
    EXPECT_EQ(l.insecure_auth_without_tls, listener_defaults.insecure_auth_without_tls) << l.name;
    EXPECT_EQ(l.request_client_certificate, listener_defaults.request_client_certificate) << l.name;
    EXPECT_TRUE(l.auth_mechanisms.empty()) << l.name;
  }
}

// auth.md: dev mode signs its own tokens, so the dev file turns the token mechanisms on.
TEST(DevConfig, TrustsTheDevTokenIssuer) {
  ConfigDir dir;
  auto c = load_file(dir.write("postern.toml", dev_config_text()));
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_TRUE(c->oauth.enabled);
  EXPECT_EQ(c->oauth.issuer, "postern-dev");
  EXPECT_EQ(c->oauth.audience, "postern");
  EXPECT_EQ(c->oauth.public_keys, std::vector<std::filesystem::path>{dir.path() / "oauth" / "issuer.pub.pem"});
  EXPECT_EQ(c->oauth.account_claim, "email");
  auto offered = offered_mechanisms(*c, c->listeners[1]);
  EXPECT_NE(std::ranges::find(offered, "OAUTHBEARER"), offered.end());
  EXPECT_EQ(std::ranges::find(offered, "CRAM-MD5"), offered.end());
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
                               "trusted_networks",
                               "allow_networks",
                               "deny_networks",
                               "insecure_auth_without_tls",
                               "request_client_certificate",
                               "[auth]",
                               "cram_md5",
                               "scram_iterations",
                               "cache_ttl",
                               "failure_delay",
                               "[oauth]",
                               "issuer",
                               "audience",
                               "public_keys",
                               "account_claim",
                               "leeway",
                               "event_log",
                               "[abuse]",
                               "exempt_loopback",
                               "exempt_networks",
                               "address_failures",
                               "address_window",
                               "network_failures",
                               "network_window",
                               "network_prefix_v4",
                               "network_prefix_v6",
                               "address_prefix_v6",
                               "account_slow_failures",
                               "account_protect_failures",
                               "account_window",
                               "slow_delay",
                               "known_client_ttl",
                               "connections_per_minute",
                               "alert_hook",
                               "alert_hook_timeout",
                               "anomaly_factor",
                               "anomaly_min_messages",
                               "suspend_on_anomaly",
                               "[rate_limits]",
                               "hour_window",
                               "day_window",
                               "[rate_limits.account]",
                               "[rate_limits.credential]",
                               "[rate_limits.address]",
                               "messages_per_hour",
                               "messages_per_day",
                               "recipients_per_hour",
                               "recipients_per_day",
                               "[metrics]",
                               "listen"}) {
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
