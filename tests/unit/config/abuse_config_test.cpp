// [abuse], [rate_limits], [metrics] and event_log: values read, defaults kept, paths made
// absolute, and the checks between keys. The exact message of each single mistake is in
// tests/configs/bad (config_files_test.cpp); here are the cases a fixture cannot show.

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace postern::config {
namespace {

using namespace std::chrono_literals;
using testing::ConfigDir;
using testing::read_text;

constexpr std::string_view kTop = R"(hostname = "mail.example.org"
local_domains = ["example.org"]
data_dir = "/var/lib/postern"
)";

constexpr std::string_view kListener = R"(
[[listener]]
kind = "smtp"
address = "0.0.0.0:25"
)";

// `rest` goes between the required keys and the listener, so it may hold top-level keys.
std::expected<Config, std::string> load(const ConfigDir& dir, std::string_view rest,
                                        std::string_view listener = kListener) {
  return load_file(dir.write("postern.toml", std::string(kTop) + std::string(rest) + std::string(listener)));
}

// The one message for a file that must be refused, without the "FILE:" in front.
std::string refusal(const ConfigDir& dir, std::string_view rest, std::string_view listener = kListener) {
  auto c = load(dir, rest, listener);
  if (c.has_value()) return "(loaded)";
  auto prefix = (dir.path() / "postern.toml").string() + ":";
  EXPECT_TRUE(c.error().starts_with(prefix)) << c.error();
  return c.error().substr(prefix.size());
}

std::vector<std::string> texts(const std::vector<policy::Cidr>& networks) {
  std::vector<std::string> out;
  for (const auto& n : networks) out.push_back(n.to_string());
  return out;
}

// The values docs/config.md promises, written out rather than taken from the structs, so a
// changed default in code fails here until the documentation follows.
TEST(AbuseConfig, DefaultsWithoutTheSections) {
  ConfigDir dir;
  auto c = load(dir, "");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->event_log, "stderr");

  const auto& t = c->abuse.throttle;
  EXPECT_TRUE(t.exempt_loopback);
  EXPECT_TRUE(t.exempt_networks.empty());
  EXPECT_EQ(t.address.limit, 10u);
  EXPECT_EQ(t.address.window, 10min);
  EXPECT_EQ(t.network.limit, 30u);
  EXPECT_EQ(t.network.window, 10min);
  EXPECT_EQ(t.network_prefix_v4, 24u);
  EXPECT_EQ(t.network_prefix_v6, 48u);
  EXPECT_EQ(t.address_prefix_v6, 64u);
  EXPECT_EQ(t.account_slow.limit, 10u);
  EXPECT_EQ(t.account_protect, 50u);
  EXPECT_EQ(t.account_slow.window, 1h);
  EXPECT_EQ(t.slow_delay, 5s);
  EXPECT_EQ(t.known_client_ttl, 30 * 24h);
  EXPECT_EQ(c->abuse.connections_per_minute, 60u);
  EXPECT_EQ(c->abuse.alert_hook, "");
  EXPECT_EQ(c->abuse.alert_hook_timeout, 10s);
  EXPECT_EQ(c->abuse.anomaly.factor, 10.0);
  EXPECT_EQ(c->abuse.anomaly.min_messages, 100u);
  EXPECT_FALSE(c->abuse.anomaly.suspend);

  const auto& r = c->rate_limits;
  EXPECT_EQ(r.hour_window, 1h);
  EXPECT_EQ(r.day_window, 24h);
  EXPECT_EQ(r.settings.account, (policy::SendLimits{100, 1000, 500, 2000}));
  EXPECT_EQ(r.settings.credential, policy::SendLimits{});
  EXPECT_EQ(r.settings.address, (policy::SendLimits{1000, 10000, 5000, 50000}));
  EXPECT_TRUE(r.settings.exempt_loopback);
  EXPECT_TRUE(r.settings.exempt_networks.empty());

  EXPECT_EQ(c->metrics.address, "127.0.0.1");
  EXPECT_EQ(c->metrics.port, 9580);
}

TEST(AbuseConfig, FullConfigReadsEveryKey) {
  ConfigDir dir;
  auto file = dir.write(
      "full.toml", read_text(std::filesystem::path(POSTERN_SOURCE_DIR) / "tests" / "configs" / "good" / "full.toml"));
  auto c = load_file(file);
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->event_log, (dir.path() / "log" / "events.json").string());

  const auto& t = c->abuse.throttle;
  EXPECT_FALSE(t.exempt_loopback);
  EXPECT_EQ(texts(t.exempt_networks), (std::vector<std::string>{"192.0.2.0/24", "2001:db8:1::/48"}));
  EXPECT_EQ(t.address.limit, 5u);
  EXPECT_EQ(t.address.window, 5min);
  EXPECT_EQ(t.network.limit, 0u);
  EXPECT_EQ(t.network.window, 20min);
  EXPECT_EQ(t.network_prefix_v4, 16u);
  EXPECT_EQ(t.network_prefix_v6, 40u);
  EXPECT_EQ(t.address_prefix_v6, 56u);
  EXPECT_EQ(t.account_slow.limit, 20u);
  EXPECT_EQ(t.account_protect, 20u);  // equal to the slow limit is allowed
  EXPECT_EQ(t.account_slow.window, 2h);
  EXPECT_EQ(t.slow_delay, 10s);
  EXPECT_EQ(t.known_client_ttl, 90 * 24h);
  EXPECT_EQ(c->abuse.connections_per_minute, 0u);
  // The program made absolute, the words kept, the double space gone.
  EXPECT_EQ(c->abuse.alert_hook, (dir.path() / "hooks" / "alert").string() + " --to ops");
  EXPECT_EQ(c->abuse.alert_hook_timeout, 30s);
  EXPECT_EQ(c->abuse.anomaly.factor, 4.5);
  EXPECT_EQ(c->abuse.anomaly.min_messages, 20u);
  EXPECT_TRUE(c->abuse.anomaly.suspend);

  const auto& r = c->rate_limits;
  EXPECT_EQ(r.hour_window, 10s);
  EXPECT_EQ(r.day_window, 1min);
  EXPECT_EQ(r.settings.account, (policy::SendLimits{50, std::nullopt, 200, 800}));
  EXPECT_EQ(r.settings.credential, (policy::SendLimits{10, std::nullopt, std::nullopt, std::nullopt}));
  EXPECT_EQ(r.settings.address, policy::SendLimits{});
  EXPECT_FALSE(r.settings.exempt_loopback);
  EXPECT_EQ(texts(r.settings.exempt_networks), texts(t.exempt_networks));

  EXPECT_EQ(c->metrics.address, "::1");
  EXPECT_EQ(c->metrics.port, 9100);
}

TEST(AbuseConfig, ExemptionsAreWrittenOnceAndServeBoth) {
  ConfigDir dir;
  auto c = load(dir, "[abuse]\nexempt_loopback = false\nexempt_networks = [\"10.0.0.0/8\", \"2001:db8::5\"]\n");
  ASSERT_TRUE(c.has_value()) << c.error();
  const std::vector<std::string> want = {"10.0.0.0/8", "2001:db8::5/128"};
  EXPECT_FALSE(c->abuse.throttle.exempt_loopback);
  EXPECT_EQ(texts(c->abuse.throttle.exempt_networks), want);
  EXPECT_FALSE(c->rate_limits.settings.exempt_loopback);
  EXPECT_EQ(texts(c->rate_limits.settings.exempt_networks), want);
  EXPECT_TRUE(c->rate_limits.settings.exempt_networks[0].contains(*policy::IpAddress::parse("10.9.8.7")));
}

TEST(AbuseConfig, EveryBadExemptNetworkIsReported) {
  ConfigDir dir;
  EXPECT_EQ(refusal(dir, "[abuse]\nexempt_networks = [\n  \"10.0.0.1/8\",\n  \"10.0.0.0/8\",\n  \"nonsense\",\n]\n"),
            "6: abuse: \"exempt_networks\": \"10.0.0.1/8\" has host bits set (bits after the prefix length must be "
            "zero)\n" +
                (dir.path() / "postern.toml").string() +
                ":8: abuse: \"exempt_networks\": \"nonsense\" is not a network such as 192.0.2.0/24 or "
                "2001:db8::/32");
}

TEST(AbuseConfig, EventLogIsStderrOffOrAnAbsolutePath) {
  ConfigDir dir;
  struct Case {
    std::string_view written;
    std::string want;
  } cases[] = {
      {"stderr", "stderr"},
      {"off", "off"},
      {"events.json", (dir.path() / "events.json").string()},
      {"./off", (dir.path() / "off").string()},  // a file that happens to be called "off"
      {"log/../events", (dir.path() / "events").string()},
      {"/var/log/postern/events.json", "/var/log/postern/events.json"},
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(k.written);
    auto c = load(dir, "event_log = \"" + std::string(k.written) + "\"\n");
    ASSERT_TRUE(c.has_value()) << c.error();
    EXPECT_EQ(c->event_log, k.want);
  }
}

TEST(AbuseConfig, AlertHookProgramIsResolvedLikeAnyPath) {
  ConfigDir dir;
  struct Case {
    std::string written;
    std::string want;
  } cases[] = {
      {"", ""},
      {"hooks/alert", (dir.path() / "hooks" / "alert").string()},
      {"./hooks/../hooks/alert --to ops", (dir.path() / "hooks" / "alert").string() + " --to ops"},
      {(dir.path() / "hooks" / "alert").string() + " -v", (dir.path() / "hooks" / "alert").string() + " -v"},
      // Runs of blanks (in a TOML string "\t" is a tab) become one space: the argv is the same.
      {"  hooks/alert\\t-a   b ", (dir.path() / "hooks" / "alert").string() + " -a b"},
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(k.written);
    auto c = load(dir, "[abuse]\nalert_hook = \"" + std::string(k.written) + "\"\n");
    ASSERT_TRUE(c.has_value()) << c.error();
    EXPECT_EQ(c->abuse.alert_hook, k.want);
  }
}

TEST(AbuseConfig, AlertHookIsCheckedOnlyForItsProgram) {
  ConfigDir dir;
  // The arguments are the hook's business, even when they look like missing paths.
  auto c = load(dir, "[abuse]\nalert_hook = \"hooks/alert /no/such/file\"\n");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(
      refusal(dir, "[abuse]\nalert_hook = \"alert\"\n"),
      "5: abuse: cannot run \"alert_hook\" program " + (dir.path() / "alert").string() + ": No such file or directory");
}

// The command is split at spaces when it runs, so a program whose path gained a space from the
// configuration's directory would run as something else.
TEST(AbuseConfig, AlertHookProgramPathMustHaveNoSpace) {
  ConfigDir dir;
  std::filesystem::create_directories(dir.path() / "my conf" / "hooks");
  std::filesystem::copy_file(dir.path() / "hooks" / "alert", dir.path() / "my conf" / "hooks" / "alert");
  auto file = dir.write("my conf/postern.toml",
                        std::string(kTop) + "[abuse]\nalert_hook = \"hooks/alert -v\"\n" + std::string(kListener));
  auto c = load_file(file);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error(), file.string() + ":5: abuse: \"alert_hook\": the program's path " +
                           (dir.path() / "my conf" / "hooks" / "alert").string() +
                           " holds a space, but the command is split at spaces (give a path without one)");
  // The same program named from elsewhere is fine.
  c = load(dir, "[abuse]\nalert_hook = \"hooks/alert -v\"\n");
  ASSERT_TRUE(c.has_value()) << c.error();
}

TEST(AbuseConfig, RateLimitZeroIsNoLimitAndAbsentKeysKeepTheDefault) {
  ConfigDir dir;
  auto c = load(dir, "[rate_limits.account]\nmessages_per_day = 0\nrecipients_per_hour = 1\n");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->rate_limits.settings.account, (policy::SendLimits{100, std::nullopt, 1, 2000}));
  EXPECT_EQ(c->rate_limits.settings.address, (policy::SendLimits{1000, 10000, 5000, 50000}));
}

TEST(AbuseConfig, DottedKeysAndInlineTablesReadTheSame) {
  ConfigDir dir;
  auto c = load(dir, R"(abuse.slow_delay = "1s"
rate_limits.address.messages_per_hour = 3
metrics = { listen = "" }
[rate_limits.credential]
recipients_per_day = 7
)");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->abuse.throttle.slow_delay, 1s);
  EXPECT_EQ(c->rate_limits.settings.address.messages_per_hour, 3u);
  EXPECT_EQ(c->rate_limits.settings.credential.recipients_per_day, 7u);
  EXPECT_EQ(c->metrics.address, "");
  EXPECT_EQ(c->metrics.port, 0);
}

TEST(AbuseConfig, WindowsAtTheirBounds) {
  ConfigDir dir;
  auto c = load(dir, R"([abuse]
address_window = 1
network_window = "1d"
account_window = "30d"
known_client_ttl = "365d"
slow_delay = 0
[rate_limits]
hour_window = "1s"
day_window = "1s"
)");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->abuse.throttle.address.window, 1s);
  EXPECT_EQ(c->abuse.throttle.network.window, 24h);
  EXPECT_EQ(c->abuse.throttle.account_slow.window, 30 * 24h);
  EXPECT_EQ(c->abuse.throttle.known_client_ttl, 365 * 24h);
  EXPECT_EQ(c->abuse.throttle.slow_delay, 0s);
  EXPECT_EQ(c->rate_limits.hour_window, 1s);
  EXPECT_EQ(c->rate_limits.day_window, 1s);
}

TEST(AbuseConfig, PrefixesAtTheirBounds) {
  ConfigDir dir;
  auto c = load(dir, "[abuse]\nnetwork_prefix_v4 = 32\nnetwork_prefix_v6 = 128\naddress_prefix_v6 = 128\n");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->abuse.throttle.network_prefix_v4, 32u);
  EXPECT_EQ(c->abuse.throttle.network_prefix_v6, 128u);
  EXPECT_EQ(c->abuse.throttle.address_prefix_v6, 128u);
  c = load(dir, "[abuse]\nnetwork_prefix_v4 = 8\nnetwork_prefix_v6 = 16\naddress_prefix_v6 = 32\n");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->abuse.throttle.network_prefix_v4, 8u);
  EXPECT_EQ(c->abuse.throttle.network_prefix_v6, 16u);
  EXPECT_EQ(c->abuse.throttle.address_prefix_v6, 32u);
}

TEST(AbuseConfig, AccountProtectZeroIsOffAndSkipsTheOrderCheck) {
  ConfigDir dir;
  auto c = load(dir, "[abuse]\naccount_slow_failures = 10\naccount_protect_failures = 0\n");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->abuse.throttle.account_protect, 0u);
  EXPECT_EQ(c->abuse.throttle.account_slow.limit, 10u);
}

// A key that is wrong on its own is reported once; the check between keys stays quiet rather
// than comparing against a default the operator did not choose.
TEST(AbuseConfig, ABadKeyIsNotReportedAgainByTheChecksBetweenKeys) {
  ConfigDir dir;
  EXPECT_EQ(refusal(dir, "[abuse]\nnetwork_prefix_v6 = 200\naddress_prefix_v6 = 40\n"),
            "5: abuse: \"network_prefix_v6\" must be between 16 and 128, not 200");
  EXPECT_EQ(refusal(dir, "[abuse]\naccount_slow_failures = \"60\"\naccount_protect_failures = 5\n"),
            "5: abuse: \"account_slow_failures\" must be an integer, not a string");
  EXPECT_EQ(refusal(dir, "[rate_limits]\nhour_window = \"2d\"\nday_window = \"1h\"\n"),
            "5: rate_limits: \"hour_window\" must be between 1s and 1d, not 2d");
}

TEST(AbuseConfig, AnomalyFactorTakesIntegersAndFloats) {
  ConfigDir dir;
  for (auto [written, want] : {std::pair{"2", 2.0}, {"1.01", 1.01}, {"1000", 1000.0}, {"1e2", 100.0}}) {
    SCOPED_TRACE(written);
    auto c = load(dir, "[abuse]\nanomaly_factor = " + std::string(written) + "\n");
    ASSERT_TRUE(c.has_value()) << c.error();
    EXPECT_EQ(c->abuse.anomaly.factor, want);
  }
  EXPECT_EQ(refusal(dir, "[abuse]\nanomaly_factor = 1000.5\n"),
            "5: abuse: \"anomaly_factor\" must be above 1 and at most 1000, not 1000.5");
  EXPECT_EQ(refusal(dir, "[abuse]\nanomaly_factor = inf\n"),
            "5: abuse: \"anomaly_factor\" must be above 1 and at most 1000, not inf");
  EXPECT_EQ(refusal(dir, "[abuse]\nanomaly_factor = -3\n"),
            "5: abuse: \"anomaly_factor\" must be above 1 and at most 1000, not -3");
}

TEST(AbuseConfig, MetricsEndpointAndListenersMayShareAPortAcrossFamilies) {
  ConfigDir dir;
  auto c =
      load(dir, "[metrics]\nlisten = \"[::1]:2525\"\n", "[[listener]]\nkind = \"smtp\"\naddress = \"0.0.0.0:2525\"\n");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->metrics.address, "::1");
  EXPECT_EQ(c->metrics.port, 2525);
  // Off: nothing to clash with.
  c = load(dir, "[metrics]\nlisten = \"\"\n", "[[listener]]\nkind = \"smtp\"\naddress = \"127.0.0.1:9580\"\n");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->metrics.address, "");
}

TEST(AbuseConfig, MetricsEndpointClashesWithAWildcardListener) {
  ConfigDir dir;
  // A dual-stack "::" takes the IPv4 port too; "0.0.0.0" only the IPv4 one.
  EXPECT_EQ(
      refusal(dir, "[metrics]\nlisten = \"127.0.0.1:25\"\n", "[[listener]]\nkind = \"smtp\"\naddress = \"[::]:25\"\n"),
      "5: metrics: \"listen\": 127.0.0.1:25 clashes with listener \"smtp\" on [::]:25 (line 6)");
  EXPECT_EQ(refusal(dir, "[metrics]\nlisten = \"0.0.0.0:25\"\n",
                    "[[listener]]\nkind = \"smtp\"\naddress = \"192.0.2.1:25\"\n"),
            "5: metrics: \"listen\": 0.0.0.0:25 clashes with listener \"smtp\" on 192.0.2.1:25 (line 6)");
  EXPECT_EQ(refusal(dir, "[metrics]\nlisten = \"[::ffff:127.0.0.1]:25\"\n",
                    "[[listener]]\nkind = \"smtp\"\naddress = \"127.0.0.1:25\"\n"),
            "5: metrics: \"listen\": 127.0.0.1:25 clashes with listener \"smtp\" on 127.0.0.1:25 (line 6)");
}

TEST(AbuseConfig, ProblemsInTheNewSectionsAreAllReportedInLineOrder) {
  ConfigDir dir;
  auto text = R"(event_log = ""
[metrics]
listen = "localhost"
[rate_limits.account]
messages_per_hour = -1
[abuse]
slow_delay = "1 s"
typo = 1
)";
  auto file = (dir.path() / "postern.toml").string();
  EXPECT_EQ(refusal(dir, text),
            "4: \"event_log\" must be \"stderr\", \"off\" or a file path, not empty\n" + file +
                ":6: metrics: \"listen\" must be IP:PORT or [IPv6]:PORT such as 127.0.0.1:9580 or [::1]:9580, or \"\" "
                "for none, not \"localhost\"\n" +
                file + ":8: rate_limits.account: \"messages_per_hour\" must be between 0 and 1000000000, not -1\n" +
                file + ":10: abuse: \"slow_delay\" must be a duration such as 30s, 5m or 1h, not \"1 s\"\n" + file +
                ":11: abuse: unknown key \"typo\"");
}

}  // namespace
}  // namespace postern::config
