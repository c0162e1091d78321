// Runs the shipped Fail2Ban filter (packaging/fail2ban/filter.d/postern.conf) with the real
// fail2ban-regex over a log written with to_json(): it must match exactly the failed and
// throttled AUTH attempts and the throttled connections, and never an address a client wrote.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "observe/events.hpp"
#include "observe_test_util.hpp"

namespace postern::observe {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

const std::string filter = std::string(POSTERN_SOURCE_DIR) + "/packaging/fail2ban/filter.d/postern.conf";

const std::vector<std::string> mechanisms = {"PLAIN",       "LOGIN",         "CRAM-MD5",
                                             "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS",
                                             "OAUTHBEARER", "XOAUTH2",       "EXTERNAL"};

// Logins that try to make a line look like a failure from somewhere else.
const std::vector<std::string> hostile_logins = {
    R"(x","result":"failed","client_ip":"6.6.6.1)",
    "x\n{\"time\":\"2026-01-01T00:00:00.000Z\",\"event\":\"auth\",\"result\":\"failed\",\"client_ip\":\"6.6.6.2\","
    "\"client_port\":1,\"listener\":\"smtp\",",
    R"(\",\"client_ip\":\"6.6.6.3)",
    "\xC0\xA2,\xC0\xA2"
    "client_ip\xC0\xA2:\xC0\xA2"
    "6.6.6.4",  // overlong quotes
    "x\r\"client_ip\":\"6.6.6.5\"\xE2\x80\xA8\"client_ip\":\"6.6.6.6\"",
    R"(6.6.6.7)",
};

class LogBuilder {
 public:
  void auth(const std::string& result, const std::string& ip, const std::string& mechanism, const std::string& login,
            const std::string& reason) {
    AuthEvent e;
    e.time = now();
    e.result = result;
    e.client_ip = ip;
    e.client_port = port_++;
    e.listener = "submission";
    e.tls_version = "TLSv1.3";
    e.tls_cipher = "TLS_AES_256_GCM_SHA384";
    e.mechanism = mechanism;
    e.login = login;
    e.account = result == "ok" ? "alice@example.org" : "";
    e.credential = result == "ok" ? "password" : "";
    e.reason = reason;
    e.reply = result == "ok" ? "235 2.7.0" : result == "failed" ? "535 5.7.8" : "454 4.7.0";
    add(to_json(e));
  }
  void refused(const std::string& ip, const std::string& reason) {
    add(to_json(ConnectionRefusedEvent{now(), ip, port_++, "smtp", "421 4.7.0", reason}));
  }
  void message(const std::string& result, const std::string& ip, const std::string& sender) {
    MessageEvent m;
    m.time = now();
    m.result = result;
    m.client_ip = ip;
    m.client_port = port_++;
    m.listener = "smtp";
    m.sender = sender;
    m.recipients = 1;
    m.size = 1000;
    m.reply = result == "accepted" ? "250 2.0.0" : "550 5.7.1";
    m.reason = result == "accepted" ? "" : "header from not owned";
    add(to_json(m));
  }
  void add(const std::string& line) {
    text_ += line + "\n";
    ++lines_;
  }
  const std::string& text() const { return text_; }
  int lines() const { return lines_; }

 private:
  static Time now() { return std::chrono::system_clock::now(); }
  std::string text_;
  int lines_ = 0;
  std::uint16_t port_ = 40000;
};

struct Expected {
  std::vector<std::string> hosts;  // one per line that must match
};

void build(LogBuilder& log, Expected& want) {
  // A failure of every mechanism, each from its own address, v4 and v6.
  for (std::size_t i = 0; i < mechanisms.size(); ++i) {
    std::string v4 = "198.51.100." + std::to_string(10 + i);
    std::string v6 = "2001:db8:" + std::to_string(i + 1) + "::25";
    log.auth("failed", v4, mechanisms[i], "alice@example.org", "wrong password");
    log.auth("failed", v6, mechanisms[i], "nobody@example.org", "unknown account");
    want.hosts.push_back(v4);
    want.hosts.push_back(v6);
  }
  // Throttled attempts count too.
  log.auth("throttled", "203.0.113.66", "PLAIN", "alice@example.org", "address throttled");
  want.hosts.push_back("203.0.113.66");
  // Successes, temporary failures and aborted exchanges never do.
  for (const auto& m : mechanisms) log.auth("ok", "192.0.2.10", m, "alice@example.org", "");
  log.auth("temporary", "192.0.2.11", "SCRAM-SHA-256", "alice@example.org", "store unavailable");
  log.auth("aborted", "192.0.2.12", "LOGIN", "", "client cancelled");
  // Hostile names in successful attempts: nothing matches. In failed ones: only the real peer.
  for (std::size_t i = 0; i < hostile_logins.size(); ++i) {
    log.auth("ok", "192.0.2.20", "PLAIN", hostile_logins[i], "");
    std::string peer = "192.0.2." + std::to_string(30 + i);
    log.auth("failed", peer, "LOGIN", hostile_logins[i], "wrong password");
    want.hosts.push_back(peer);
  }
  // Refused connections: only "address throttled".
  log.refused("203.0.113.77", "address throttled");
  want.hosts.push_back("203.0.113.77");
  log.refused("2001:db8:ffff::1", "address throttled");
  want.hosts.push_back("2001:db8:ffff::1");
  log.refused("192.0.2.40", "too many connections");
  log.refused("192.0.2.41", "denied network");
  log.refused("192.0.2.42", "connection rate");
  // Messages, lockouts and alerts never match, whatever they carry.
  log.message("accepted", "192.0.2.50", "alice@example.org");
  log.message("refused", "192.0.2.51", R"(x","event":"auth","result":"failed","client_ip":"6.6.6.8)");
  log.add(to_json(LockoutEvent{std::chrono::system_clock::now(), "address", "192.0.2.60", 5,
                               std::chrono::system_clock::now() + std::chrono::minutes(15), false}));
  log.add(to_json(AlertEvent{std::chrono::system_clock::now(), "auth_failure_burst", "192.0.2.61",
                             "50 failures in 10 minutes", ""}));
}

testing::ToolRun fail2ban_regex(const std::string& options, const std::filesystem::path& log) {
  return testing::run_tool("fail2ban-regex " + options + " '" + log.string() + "' '" + filter + "'");
}

class Fail2BanFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::have_tool("fail2ban-regex"))
        << "fail2ban-regex missing: run scripts/setup.sh (Debian package fail2ban)";
    build(log_, want_);
    path_ = dir_.path() / "events.log";
    testing::write_file(path_, log_.text());
  }

  testing::ScratchDir dir_;
  LogBuilder log_;
  Expected want_;
  std::filesystem::path path_;
};

TEST_F(Fail2BanFilter, MatchesExactlyTheFailures) {
  auto run = fail2ban_regex("", path_);
  ASSERT_EQ(run.status, 0) << run.output;
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(run.output, m, std::regex(R"(Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed)")))
      << run.output;
  EXPECT_EQ(std::stoi(m[1]), log_.lines());
  EXPECT_EQ(std::stoi(m[2]), 0);
  EXPECT_EQ(std::stoi(m[3]), static_cast<int>(want_.hosts.size())) << run.output;
  EXPECT_EQ(std::stoi(m[4]), log_.lines() - static_cast<int>(want_.hosts.size()));
  // Every line's time was read by the filter's datepattern, none by a guess.
  EXPECT_THAT(run.output, HasSubstr("[" + std::to_string(log_.lines()) + "] ^\\{\"time\":\"("));
}

TEST_F(Fail2BanFilter, MatchedHostsAreThePeers) {
  auto run = fail2ban_regex("--out ip", path_);
  ASSERT_EQ(run.status, 0) << run.output;
  std::vector<std::string> got;
  std::istringstream in(run.output);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) got.push_back(line);
  }
  auto want = want_.hosts;
  std::ranges::sort(got);
  std::ranges::sort(want);
  EXPECT_THAT(got, ElementsAreArray(want));
  for (const auto& ip : got) EXPECT_EQ(ip.rfind("6.6.6.", 0), std::string::npos) << "injected address matched: " << ip;
}

TEST_F(Fail2BanFilter, FilterIsNotVacuous) {
  // The same log with every "failed" turned into "ok" must match nothing but the refusals.
  std::string text = log_.text();
  for (std::size_t at; (at = text.find("\"result\":\"failed\"")) != std::string::npos;) {
    text.replace(at, 17, "\"result\":\"ok\"");
  }
  for (std::size_t at; (at = text.find("\"result\":\"throttled\"")) != std::string::npos;) {
    text.replace(at, 20, "\"result\":\"ok\"");
  }
  testing::write_file(path_, text);
  auto run = fail2ban_regex("--out ip", path_);
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_EQ(run.output, "203.0.113.77\n2001:db8:ffff::1\n");
}

}  // namespace
}  // namespace postern::observe
