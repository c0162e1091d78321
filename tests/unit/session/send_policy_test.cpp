// Sending rate limits in session dialogs: the session asks Settings::send_policy at MAIL (after
// the ownership check) and at RCPT (for a recipient it would otherwise take), and turns a
// refusal into 451 4.7.1 / 452 4.5.3 with the limiter's text.

#include <gtest/gtest.h>

#include "base/base64.hpp"
#include "dialog.hpp"
#include "fake_send_policy.hpp"

namespace postern::session::test {
namespace {

namespace replies = smtp::replies;
using namespace std::chrono_literals;

Settings submission(const SendPolicy* policy) {
  Settings s = default_settings();
  s.listener_name = "submission";
  s.kind = ListenerKind::submission;
  s.require_auth = true;
  s.auth.mechanisms = {"PLAIN"};
  s.auth.allow_without_tls = true;
  s.auth.fake_salt_secret = std::string(32, 's');
  s.send_policy = policy;
  return s;
}

Settings inbound(const SendPolicy* policy) {
  Settings s = default_settings();
  s.send_policy = policy;
  return s;
}

std::string auth_plain(std::string_view user, std::string_view password) {
  return "AUTH PLAIN " + base::base64_encode(std::string(1, '\0') + std::string(user) + '\0' + std::string(password)) +
         "\r\n";
}

class SendPolicyDialog : public ::testing::Test {
 protected:
  SendPolicyDialog() : d(submission(&policy)) {
    d.authenticator.add("alice@example.org", {.account = "alice@example.org", .password = "alice-pw"});
  }
  void SetUp() override {
    d.send("EHLO client.example\r\n");
    ASSERT_EQ(d.send(auth_plain("alice@example.org", "alice-pw")), R(replies::auth_ok));
  }
  FakeSendPolicy policy;  // before the dialog, which points at it
  Dialog d;
};

TEST_F(SendPolicyDialog, MailRefusedWithTheLimitersText) {
  policy.message_refusal = "Too many messages from alice@example.org this hour";
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org>\r\n"),
            "451 4.7.1 Too many messages from alice@example.org this hour\r\n");
  EXPECT_EQ(replies::rate_limited_messages.code, 451);
  EXPECT_EQ(replies::rate_limited_messages.status, "4.7.1");
  // No transaction was opened.
  EXPECT_EQ(d.send("RCPT TO:<friend@remote.example>\r\n"), R(replies::need_mail));
  ASSERT_EQ(policy.calls.size(), 1u);
  EXPECT_TRUE(policy.calls[0].message);
  EXPECT_EQ(policy.calls[0].client, "192.0.2.1");
  EXPECT_EQ(policy.calls[0].account, "alice@example.org");
  EXPECT_EQ(policy.calls[0].now, d.clock().now());
}

TEST_F(SendPolicyDialog, MailAllowedOpensTheTransaction) {
  d.clock().advance(90s);
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<friend@remote.example>\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok));
  ASSERT_EQ(policy.calls.size(), 2u);
  EXPECT_EQ(policy.calls[0].now, d.clock().now());
  EXPECT_FALSE(policy.calls[1].message);
  EXPECT_EQ(policy.calls[1].recipients, 1u);
}

TEST_F(SendPolicyDialog, OwnershipIsCheckedBeforeTheLimit) {
  policy.message_refusal = "limited";
  EXPECT_EQ(d.send("MAIL FROM:<bob@example.org>\r\n"), R(replies::sender_not_owned));
  EXPECT_TRUE(policy.calls.empty()) << "a refused sender must not use up the identity's allowance";
}

TEST_F(SendPolicyDialog, RefusalTextCannotBreakTheReply) {
  policy.message_refusal = "over\r\n250 2.0.0 OK\x01\xC3\xA9";
  std::string reply = d.send("MAIL FROM:<alice@example.org>\r\n");
  EXPECT_EQ(reply, "451 4.7.1 over??250 2.0.0 OK???\r\n");
  policy.message_refusal = "";
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org>\r\n"), R(replies::rate_limited_messages));
  policy.message_refusal = std::string(1000, 'x');
  reply = d.send("MAIL FROM:<alice@example.org>\r\n");
  EXPECT_LT(reply.size(), 512u) << "RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets";
  EXPECT_TRUE(reply.ends_with("...\r\n"));
}

TEST_F(SendPolicyDialog, RecipientBeyondTheLimitIs452AndTheRestGoesOn) {
  policy.max_recipients = 2;
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org>\r\n"
                   "RCPT TO:<a@remote.example>\r\nRCPT TO:<b@remote.example>\r\n"
                   "RCPT TO:<c@remote.example>\r\nRCPT TO:<d@remote.example>\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok) + R(replies::recipient_ok) +
                "452 4.5.3 Too many recipients this hour\r\n" + "452 4.5.3 Too many recipients this hour\r\n");
  // RFC 5321 §4.5.3.1.10: the client sends what was accepted; the message goes to those.
  EXPECT_EQ(d.send("DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n"), R(replies::start_mail_input) + R(replies::queued, "OK queued as Q1"));
  ASSERT_EQ(d.envelopes.size(), 1u);
  EXPECT_EQ(d.envelopes[0].recipients, (std::vector<std::string>{"a@remote.example", "b@remote.example"}));
  // Each ask names the place the recipient would take.
  std::vector<std::size_t> asked;
  for (const auto& c : policy.calls) {
    if (!c.message) asked.push_back(c.recipients);
  }
  EXPECT_EQ(asked, (std::vector<std::size_t>{1, 2, 3, 3}));
}

TEST_F(SendPolicyDialog, RecipientsRefusedForOtherReasonsAreNotAsked) {
  policy.max_recipients = 0;
  d.send("MAIL FROM:<alice@example.org>\r\n");
  EXPECT_EQ(d.send("RCPT TO:<bad address>\r\n"), R(replies::bad_recipient_syntax));
  EXPECT_EQ(d.send("RCPT TO:<a@remote.example> NOTIFY=NEVER\r\n"), R(replies::unsupported_parameter));
  std::size_t recipient_calls = 0;
  for (const auto& c : policy.calls) recipient_calls += c.message ? 0 : 1;
  EXPECT_EQ(recipient_calls, 0u);
}

TEST(SendPolicyInbound, AskedWithoutAnIdentity) {
  FakeSendPolicy policy;
  Dialog d(inbound(&policy));
  d.send("EHLO mx.remote.example\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<stranger@remote.example>\r\nRCPT TO:<alice@example.org>\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok));
  ASSERT_EQ(policy.calls.size(), 2u);
  EXPECT_FALSE(policy.calls[0].account.has_value());
  EXPECT_FALSE(policy.calls[1].account.has_value());
  // A recipient the relay policy refuses is never counted.
  EXPECT_EQ(d.send("RCPT TO:<nobody@example.org>\r\n"), R(replies::unknown_user));
  EXPECT_EQ(policy.calls.size(), 2u);
}

TEST(SendPolicyInbound, NoPolicyNoQuestions) {
  Dialog d(inbound(nullptr));
  d.send("EHLO mx.remote.example\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<stranger@remote.example>\r\nRCPT TO:<alice@example.org>\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok));
}

TEST(SendPolicyInbound, RefusalsCountTowardsTheErrorLimit) {
  FakeSendPolicy policy;
  policy.message_refusal = "slow down";
  Settings s = inbound(&policy);
  s.limits.max_errors = 2;
  Dialog d(s);
  d.send("EHLO mx.remote.example\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<a@remote.example>\r\n"), "451 4.7.1 slow down\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<a@remote.example>\r\n"), "451 4.7.1 slow down\r\n" + R(replies::too_many_errors));
  EXPECT_TRUE(d.closed);
}

TEST_F(SendPolicyDialog, RefusalsAreMessageEvents) {
  policy.max_recipients = 1;
  d.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<a@remote.example>\r\nRCPT TO:<b@remote.example>\r\n");
  ASSERT_EQ(d.message_events.size(), 1u);
  const auto& rcpt = d.message_events[0];
  EXPECT_FALSE(rcpt.accepted);
  EXPECT_EQ(rcpt.reason, "recipient rate limit");
  EXPECT_EQ(rcpt.reply, "452 4.5.3");
  EXPECT_EQ(rcpt.sender, "alice@example.org");
  EXPECT_EQ(rcpt.recipients, 1u);

  d.send("RSET\r\n");
  policy.message_refusal = "no";
  d.send("MAIL FROM:<alice@example.org>\r\n");
  ASSERT_EQ(d.message_events.size(), 2u);
  EXPECT_EQ(d.message_events[1].reason, "message rate limit");
  EXPECT_EQ(d.message_events[1].reply, "451 4.7.1");
  EXPECT_EQ(d.message_events[1].sender, "alice@example.org");
  EXPECT_EQ(d.message_events[1].recipients, 0u);
}

}  // namespace
}  // namespace postern::session::test
