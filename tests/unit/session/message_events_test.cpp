// Output::message_events: one MessageEvent per accepted message (after the commit) and per
// policy refusal of a transaction; and AuthEvent::started.

#include <gtest/gtest.h>

#include "base/base64.hpp"
#include "dialog.hpp"

namespace postern::session::test {
namespace {

namespace replies = smtp::replies;
using namespace std::chrono_literals;
using namespace std::string_literals;

std::string auth_plain(std::string_view user, std::string_view password) {
  return "AUTH PLAIN " + base::base64_encode(std::string(1, '\0') + std::string(user) + '\0' + std::string(password)) +
         "\r\n";
}

Settings submission() {
  Settings s = default_settings();
  s.listener_name = "submission";
  s.kind = ListenerKind::submission;
  s.require_auth = true;
  s.auth.mechanisms = {"PLAIN"};
  s.auth.allow_without_tls = true;
  s.auth.fake_salt_secret = std::string(32, 's');
  return s;
}

class MessageEvents : public ::testing::Test {
 protected:
  void SetUp() override { d.send("EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\n"); }
  Dialog d;
};

TEST_F(MessageEvents, AcceptedMessage) {
  d.send("RCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n");
  EXPECT_TRUE(d.message_events.empty()) << "nothing before the end of the message";
  d.send("Subject: x\r\n\r\n..dot\r\n.\r\n");
  ASSERT_EQ(d.message_events.size(), 1u);
  const auto& e = d.message_events[0];
  EXPECT_TRUE(e.accepted);
  EXPECT_EQ(e.reply, "250 2.0.0");
  EXPECT_EQ(e.reason, "");
  EXPECT_EQ(e.sender, "a@remote.example");
  EXPECT_EQ(e.recipients, 2u);
  EXPECT_EQ(e.queue_id, "Q1");
  // The octets of the content as received, unstuffed; our Received line is not the client's.
  EXPECT_EQ(e.size, std::string("Subject: x\r\n\r\n.dot\r\n").size());
}

TEST_F(MessageEvents, AcceptedByBdat) {
  d.send("RCPT TO:<alice@example.org>\r\nBDAT 5\r\nabcdeBDAT 3 LAST\r\nf\r\n");
  ASSERT_EQ(d.message_events.size(), 1u);
  EXPECT_TRUE(d.message_events[0].accepted);
  EXPECT_EQ(d.message_events[0].size, 8u);
  EXPECT_EQ(d.message_events[0].recipients, 1u);
}

TEST_F(MessageEvents, NullSender) {
  d.send("RSET\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nx\r\n.\r\n");
  ASSERT_EQ(d.message_events.size(), 1u);
  EXPECT_EQ(d.message_events[0].sender, "");
}

TEST_F(MessageEvents, SpoolFailure) {
  d.commit_results.push_back(base::fail("spool: disk full"));
  d.send("RCPT TO:<alice@example.org>\r\nDATA\r\nabc\r\n.\r\n");
  ASSERT_EQ(d.message_events.size(), 1u);
  const auto& e = d.message_events[0];
  EXPECT_FALSE(e.accepted);
  EXPECT_EQ(e.reason, "spool failure");
  EXPECT_EQ(e.reply, "451 4.3.0");
  EXPECT_EQ(e.queue_id, "");
  EXPECT_EQ(e.size, 5u);
}

TEST_F(MessageEvents, EndOfDataRefusals) {
  d.send("RCPT TO:<alice@example.org>\r\nDATA\r\nbare\nlf\r\n.\r\n");
  d.send("MAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nn\0l\r\n.\r\n"s);
  ASSERT_EQ(d.message_events.size(), 2u);
  EXPECT_EQ(d.message_events[0].reason, "bare line ending");
  EXPECT_EQ(d.message_events[0].reply, "554 5.5.2");
  EXPECT_EQ(d.message_events[0].size, 9u);
  EXPECT_EQ(d.message_events[0].recipients, 1u);
  EXPECT_EQ(d.message_events[1].reason, "nul byte");
  EXPECT_EQ(d.message_events[1].reply, "554 5.6.0");
  for (const auto& e : d.message_events) EXPECT_FALSE(e.accepted);
}

TEST(MessageEventsSize, TooBigByDataAndByBdat) {
  Settings s = default_settings();
  s.limits.max_message_size = 10;
  Dialog d(s);
  d.send("EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<alice@example.org>\r\n"
         "DATA\r\n0123456789abcdef\r\n.\r\n");
  d.send("MAIL FROM:<b@remote.example>\r\nRCPT TO:<bob@example.org>\r\nBDAT 4\r\n0123BDAT 8\r\n456789ab");
  ASSERT_EQ(d.message_events.size(), 2u);
  EXPECT_EQ(d.message_events[0].reason, "message too big");
  EXPECT_EQ(d.message_events[0].reply, "552 5.3.4");
  EXPECT_EQ(d.message_events[0].size, 18u);
  EXPECT_EQ(d.message_events[1].reason, "message too big");
  EXPECT_EQ(d.message_events[1].sender, "b@remote.example");
  EXPECT_EQ(d.message_events[1].size, 12u);
}

TEST(MessageEventsSize, SequencingErrorsAreNotMessageEvents) {
  Dialog d;
  d.send("EHLO client.example\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nMAIL FROM:<bad\r\nBDAT 3\r\nabc");
  EXPECT_TRUE(d.message_events.empty());
}

TEST(MessageEventsOwnership, SenderNotOwned) {
  Dialog d(submission());
  d.authenticator.add("alice@example.org", {.account = "alice@example.org", .password = "pw"});
  d.send("EHLO client.example\r\n" + auth_plain("alice@example.org", "pw"));
  d.send("MAIL FROM:<Bob@Example.org>\r\nMAIL FROM:<>\r\n");
  ASSERT_EQ(d.message_events.size(), 2u);
  EXPECT_EQ(d.message_events[0].reason, "sender not owned");
  EXPECT_EQ(d.message_events[0].reply, "553 5.7.1");
  EXPECT_EQ(d.message_events[0].sender, "Bob@example.org");
  EXPECT_EQ(d.message_events[0].recipients, 0u);
  EXPECT_EQ(d.message_events[1].reason, "sender not owned");
  EXPECT_EQ(d.message_events[1].sender, "");
}

TEST(MessageEventsOwnership, HeaderFromNotOwned) {
  Dialog d(submission());
  d.authenticator.add("alice@example.org", {.account = "alice@example.org", .password = "pw"});
  d.send("EHLO client.example\r\n" + auth_plain("alice@example.org", "pw"));
  d.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<x@remote.example>\r\nDATA\r\nFrom: bob@example.org\r\n\r\n.\r\n");
  ASSERT_EQ(d.message_events.size(), 1u);
  EXPECT_EQ(d.message_events[0].reason, "header from not owned");
  EXPECT_EQ(d.message_events[0].reply, "550 5.7.1");
  EXPECT_EQ(d.message_events[0].sender, "alice@example.org");
  EXPECT_EQ(d.message_events[0].recipients, 1u);
}

// ---- AuthEvent::started -------------------------------------------------------------------------

TEST(AuthEventStarted, IsWhenTheCommandWasReadNotWhenTheStoreAnswered) {
  testing::CountingRandom random;
  Settings settings = Dialog::with_random(submission(), random);
  testing::FakeDirectory directory;
  policy::RelayPolicy relay({"example.org"}, directory);
  testing::FakeClock clock;
  Session session(settings, relay, clock, ClientInfo{"192.0.2.1", 40000, false}, std::nullopt);
  Output out;
  std::string input = "EHLO client.example\r\n" + auth_plain("alice@example.org", "pw");
  session.feed(input, out);
  ASSERT_EQ(out.action, Action::authenticate);
  auto read_at = clock.now();
  clock.advance(3s);  // argon2id and a slow store
  Output resolved;
  session.on_auth_resolved(AuthResolution{sasl::PasswordAnswer{sasl::Verdict::bad_credentials}, std::nullopt},
                           resolved);
  ASSERT_EQ(resolved.auth_events.size(), 1u);
  EXPECT_EQ(resolved.auth_events[0].started, read_at);
  EXPECT_NE(resolved.auth_events[0].started, clock.now());
}

TEST(AuthEventStarted, RefusedBeforeAnyExchange) {
  Dialog d(submission());
  d.clock().advance(42s);
  d.send("AUTH PLAIN\r\n");  // before EHLO
  ASSERT_EQ(d.auth_events.size(), 1u);
  EXPECT_EQ(d.auth_events[0].started, d.clock().now());
  EXPECT_EQ(d.auth_events[0].reply, "503 5.5.1");
}

}  // namespace
}  // namespace postern::session::test
