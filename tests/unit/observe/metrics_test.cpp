#include "observe/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "observe_test_util.hpp"

namespace postern::observe {
namespace {

using namespace std::chrono;
using ::testing::HasSubstr;
using ::testing::Not;

const auto start = system_clock::time_point{seconds{1'795'269'780}} + milliseconds{250};

// The families, in order, as render() shows them before anything happened.
std::string empty_families() {
  return "# HELP postern_auth_attempts_total SMTP AUTH attempts by mechanism and result.\n"
         "# TYPE postern_auth_attempts_total counter\n"
         "# HELP postern_lockouts_total Authentication throttle limits crossed, by scope (address, network, account).\n"
         "# TYPE postern_lockouts_total counter\n"
         "# HELP postern_refusals_total Commands and transactions refused by policy, by reason.\n"
         "# TYPE postern_refusals_total counter\n"
         "# HELP postern_rate_limit_hits_total Sending rate limits reached, by subject and limit.\n"
         "# TYPE postern_rate_limit_hits_total counter\n"
         "# HELP postern_connections_total Connections accepted, by listener.\n"
         "# TYPE postern_connections_total counter\n"
         "# HELP postern_connections_active Connections open now, by listener.\n"
         "# TYPE postern_connections_active gauge\n"
         "# HELP postern_connections_refused_total Connections refused when they were opened, by reason.\n"
         "# TYPE postern_connections_refused_total counter\n"
         "# HELP postern_tls_handshakes_total TLS handshakes by result (ok, failed).\n"
         "# TYPE postern_tls_handshakes_total counter\n"
         "# HELP postern_messages_accepted_total Messages accepted into the queue, by listener.\n"
         "# TYPE postern_messages_accepted_total counter\n"
         "# HELP postern_message_bytes_total Octets of the messages accepted into the queue, by listener.\n"
         "# TYPE postern_message_bytes_total counter\n"
         "# HELP postern_alerts_total Alerts raised, by kind.\n"
         "# TYPE postern_alerts_total counter\n";
}

const std::string header =
    "# HELP postern_build_info Postern build; the value is always 1.\n"
    "# TYPE postern_build_info gauge\n"
    "postern_build_info{version=\"1.2.3\"} 1\n"
    "# HELP postern_start_time_seconds Start time of the process since the Unix epoch in seconds.\n"
    "# TYPE postern_start_time_seconds gauge\n"
    "postern_start_time_seconds 1795269780.250\n";

TEST(Metrics, FreshRegistry) {
  Metrics m(start, "1.2.3");
  EXPECT_EQ(m.render(), header + empty_families() +
                            "# HELP postern_queue_messages Messages in the queue now.\n"
                            "# TYPE postern_queue_messages gauge\n");
}

TEST(Metrics, RenderSmallSetExactly) {
  Metrics m(start, "1.2.3");
  m.auth_attempt("PLAIN", "failed");
  m.auth_attempt("SCRAM-SHA-256", "ok");
  m.auth_attempt("PLAIN", "failed");
  m.auth_attempt("PLAIN", "ok");
  m.connection_opened("submission");
  m.connection_opened("submission");
  m.connection_opened("smtp");
  m.connection_closed("submission");
  m.message_accepted("submission", 1200);
  m.message_accepted("submission", 34);
  std::uint64_t depth = 7;
  m.set_queue_depth([&] { return depth; });
  std::string expected =
      header +
      "# HELP postern_auth_attempts_total SMTP AUTH attempts by mechanism and result.\n"
      "# TYPE postern_auth_attempts_total counter\n"
      "postern_auth_attempts_total{mechanism=\"PLAIN\",result=\"failed\"} 2\n"
      "postern_auth_attempts_total{mechanism=\"PLAIN\",result=\"ok\"} 1\n"
      "postern_auth_attempts_total{mechanism=\"SCRAM-SHA-256\",result=\"ok\"} 1\n"
      "# HELP postern_lockouts_total Authentication throttle limits crossed, by scope (address, network, account).\n"
      "# TYPE postern_lockouts_total counter\n"
      "# HELP postern_refusals_total Commands and transactions refused by policy, by reason.\n"
      "# TYPE postern_refusals_total counter\n"
      "# HELP postern_rate_limit_hits_total Sending rate limits reached, by subject and limit.\n"
      "# TYPE postern_rate_limit_hits_total counter\n"
      "# HELP postern_connections_total Connections accepted, by listener.\n"
      "# TYPE postern_connections_total counter\n"
      "postern_connections_total{listener=\"smtp\"} 1\n"
      "postern_connections_total{listener=\"submission\"} 2\n"
      "# HELP postern_connections_active Connections open now, by listener.\n"
      "# TYPE postern_connections_active gauge\n"
      "postern_connections_active{listener=\"smtp\"} 1\n"
      "postern_connections_active{listener=\"submission\"} 1\n"
      "# HELP postern_connections_refused_total Connections refused when they were opened, by reason.\n"
      "# TYPE postern_connections_refused_total counter\n"
      "# HELP postern_tls_handshakes_total TLS handshakes by result (ok, failed).\n"
      "# TYPE postern_tls_handshakes_total counter\n"
      "# HELP postern_messages_accepted_total Messages accepted into the queue, by listener.\n"
      "# TYPE postern_messages_accepted_total counter\n"
      "postern_messages_accepted_total{listener=\"submission\"} 2\n"
      "# HELP postern_message_bytes_total Octets of the messages accepted into the queue, by listener.\n"
      "# TYPE postern_message_bytes_total counter\n"
      "postern_message_bytes_total{listener=\"submission\"} 1234\n"
      "# HELP postern_alerts_total Alerts raised, by kind.\n"
      "# TYPE postern_alerts_total counter\n"
      "# HELP postern_queue_messages Messages in the queue now.\n"
      "# TYPE postern_queue_messages gauge\n"
      "postern_queue_messages 7\n";
  EXPECT_EQ(m.render(), expected);
  depth = 3;  // read at render time, not when set
  EXPECT_THAT(m.render(), HasSubstr("\npostern_queue_messages 3\n"));
}

TEST(Metrics, EveryFamilyCounts) {
  Metrics m(start, "1.2.3");
  m.lockout("address");
  m.refusal("relay denied");
  m.rate_limit_hit("account", "messages_per_hour");
  m.connection_refused("address throttled");
  m.tls_handshake("ok");
  m.tls_handshake("failed");
  m.tls_handshake("failed");
  m.alert("volume_anomaly");
  std::string out = m.render();
  EXPECT_THAT(out, HasSubstr("\npostern_lockouts_total{scope=\"address\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("\npostern_refusals_total{reason=\"relay denied\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("\npostern_rate_limit_hits_total{subject=\"account\",limit=\"messages_per_hour\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("\npostern_connections_refused_total{reason=\"address throttled\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("\npostern_tls_handshakes_total{result=\"failed\"} 2\n"));
  EXPECT_THAT(out, HasSubstr("\npostern_tls_handshakes_total{result=\"ok\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("\npostern_alerts_total{kind=\"volume_anomaly\"} 1\n"));
}

TEST(Metrics, DefaultVersionIsThisBuild) {
  Metrics m;
  EXPECT_THAT(m.render(), HasSubstr("postern_build_info{version=\"" POSTERN_VERSION "\"} 1\n"));
}

TEST(Metrics, LabelValuesEscaped) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)"), R"(a\"b\\c)");
  EXPECT_EQ(escape_label_value("two\nlines"), R"(two\nlines)");
  EXPECT_EQ(escape_label_value("bad\xFF"), "bad\xEF\xBF\xBD");
  Metrics m(start, "1.2.3");
  m.connection_opened("we\"ird\\name\n");
  EXPECT_THAT(m.render(), HasSubstr("\npostern_connections_total{listener=\"we\\\"ird\\\\name\\n\"} 1\n"));
}

TEST(Metrics, ConcurrentUpdatesAllCounted) {
  Metrics m(start, "1.2.3");
  constexpr int threads = 4, per_thread = 20'000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const char* listener = t % 2 ? "smtp" : "submission";
      for (int i = 0; i < per_thread; ++i) {
        m.connection_opened(listener);
        m.auth_attempt(i % 3 ? "PLAIN" : "LOGIN", "ok");
        m.connection_closed(listener);
        if (i % 1000 == 0) (void)m.render();  // scrapes race with updates
      }
    });
  }
  for (auto& th : pool) th.join();
  std::string out = m.render();
  EXPECT_THAT(out, HasSubstr("postern_connections_total{listener=\"smtp\"} 40000\n"));
  EXPECT_THAT(out, HasSubstr("postern_connections_total{listener=\"submission\"} 40000\n"));
  EXPECT_THAT(out, HasSubstr("postern_connections_active{listener=\"smtp\"} 0\n"));
  EXPECT_THAT(out, HasSubstr("postern_auth_attempts_total{mechanism=\"LOGIN\",result=\"ok\"} 26668\n"));
  EXPECT_THAT(out, HasSubstr("postern_auth_attempts_total{mechanism=\"PLAIN\",result=\"ok\"} 53332\n"));
}

// promtool is installed by scripts/setup.sh; without it this test fails rather than skips.
TEST(Metrics, PromtoolAcceptsTheExposition) {
  ASSERT_TRUE(testing::have_tool("promtool")) << "promtool missing: run scripts/setup.sh (Debian package prometheus)";
  testing::ScratchDir dir;
  Metrics m(start, "1.2.3");
  m.auth_attempt("SCRAM-SHA-256-PLUS", "ok");
  m.auth_attempt("XOAUTH2", "failed");
  m.lockout("network");
  m.refusal("header from not owned");
  m.rate_limit_hit("address", "recipients_per_day");
  m.connection_opened("submissions");
  m.connection_refused("too many connections");
  m.tls_handshake("ok");
  m.message_accepted("submissions", 4096);
  m.alert("lockout");
  m.connection_opened("odd \"listener\"\\\n");
  m.set_queue_depth([] { return 12u; });
  auto file = dir.path() / "metrics.txt";
  testing::write_file(file, m.render());
  auto run = testing::run_tool("promtool check metrics < '" + file.string() + "'");
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(run.output, "") << "promtool lint findings";

  // And it does reject a broken exposition, so the check above means something.
  testing::write_file(file, m.render() + "postern_broken{x=\"unterminated} 1\n");
  auto broken = testing::run_tool("promtool check metrics < '" + file.string() + "'");
  EXPECT_NE(broken.status, 0) << broken.output;
}

TEST(Metrics, PromtoolAcceptsTheFreshRegistry) {
  ASSERT_TRUE(testing::have_tool("promtool")) << "promtool missing: run scripts/setup.sh (Debian package prometheus)";
  testing::ScratchDir dir;
  Metrics m(start, "1.2.3");
  auto file = dir.path() / "metrics.txt";
  testing::write_file(file, m.render());
  auto run = testing::run_tool("promtool check metrics < '" + file.string() + "'");
  EXPECT_EQ(run.status, 0) << run.output;
}

}  // namespace
}  // namespace postern::observe
