// DATA: the message, the Received: header, smuggling, oversize, the commit result.

#include <gtest/gtest.h>

#include "dialog.hpp"

namespace postern::session::test {
namespace {

namespace replies = smtp::replies;

constexpr std::string_view kEnvelope =
    "EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<alice@example.org>\r\n";

std::string expected_ok(std::size_t n) { return "250 2.0.0 OK queued as Q" + std::to_string(n) + "\r\n"; }

TEST(Data, WholeDialog) {
  Dialog d;
  std::string replies = d.send(std::string(kEnvelope) + "DATA\r\nSubject: hi\r\n\r\nHello\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(replies, "250-mx.example.org Hello client.example [192.0.2.1]\r\n" + ehlo_keywords(26214400, false) +
                         "250 2.1.0 Sender OK\r\n"
                         "250 2.1.5 Recipient OK\r\n"
                         "354 End data with <CR><LF>.<CR><LF>\r\n"
                         "250 2.0.0 OK queued as Q1\r\n"
                         "221 2.0.0 Bye\r\n");
  EXPECT_EQ(d.actions, (std::vector<Action>{Action::begin_message, Action::commit_message, Action::close}));
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0], received_for("alice@example.org") + "Subject: hi\r\n\r\nHello\r\n");
}

TEST(Data, StopsAtBeginMessage) {
  Dialog d;
  d.send(kEnvelope);
  Output out;
  std::string input = "DATA\r\nHello\r\n.\r\n";
  EXPECT_EQ(d.session().feed(input, out), 6u);
  EXPECT_EQ(out.action, Action::begin_message);
  EXPECT_EQ(out.body, "");  // the spool file is not open yet
  Output next;
  EXPECT_EQ(d.session().feed(input.substr(6), next), input.size() - 6);
  EXPECT_EQ(next.action, Action::commit_message);
  EXPECT_EQ(next.body, received_for("alice@example.org") + "Hello\r\n");
  EXPECT_EQ(next.replies, "");  // the 250 waits for durability
  ASSERT_TRUE(next.envelope.has_value());
  // Nothing is read while the commit is pending.
  Output waiting;
  EXPECT_EQ(d.session().feed("NOOP\r\n", waiting), 0u);
  Output result;
  d.session().on_commit_result(std::string("ABC123"), result);
  EXPECT_EQ(result.replies, "250 2.0.0 OK queued as ABC123\r\n");
  EXPECT_EQ(result.action, Action::none);
  Output after;
  EXPECT_EQ(d.session().feed("NOOP\r\n", after), 6u);
  EXPECT_EQ(after.replies, R(replies::ok));
}

TEST(Data, DotUnstuffing) {
  Dialog d;
  d.send(std::string(kEnvelope) + "DATA\r\n..leading dot\r\n.\r\n");
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0], received_for("alice@example.org") + ".leading dot\r\n");
}

TEST(Data, EmptyMessage) {
  Dialog d;
  d.send(std::string(kEnvelope) + "DATA\r\n.\r\n");
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0], received_for("alice@example.org"));
}

TEST(Data, CommitFailure) {
  Dialog d;
  d.commit_results.push_back(base::fail("spool: fsync failed"));
  EXPECT_TRUE(d.send(std::string(kEnvelope) + "DATA\r\nx\r\n.\r\n")
                  .ends_with("451 4.3.0 Local error in processing, try again later\r\n"));
  // The transaction is over either way (RFC 5321 §4.1.1.4).
  EXPECT_EQ(d.send("RCPT TO:<alice@example.org>\r\n"), R(replies::need_mail));
  EXPECT_EQ(d.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\ny\r\n.\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok) + R(replies::start_mail_input) + expected_ok(2));
}

TEST(Data, TransactionResetAfterSuccess) {
  Dialog d;
  d.send(std::string(kEnvelope) + "DATA\r\nx\r\n.\r\n");
  EXPECT_EQ(d.send("DATA\r\n"), R(replies::need_mail));
  EXPECT_EQ(d.send("MAIL FROM:<b@example.com>\r\n"), R(replies::sender_ok));
}

TEST(Data, DataWithArguments) {
  Dialog d;
  d.send(kEnvelope);
  EXPECT_EQ(d.send("DATA now\r\n"), R(replies::syntax_params));
}

// SMTP smuggling (RFC 5321 §2.3.8): each of these hides a second message behind a line ending
// that some servers take for the end of DATA. The message is refused whole, nothing of it is
// committed, the hidden "commands" are never run, and the session reads on after the real end.
TEST(Data, SmugglingVariantsAreRefused) {
  for (std::string_view fake_end : {"\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r.\r", "\r\n.\r", ".\n"}) {
    Dialog d;
    std::string body = "Subject: one\r\n\r\nfirst" + std::string(fake_end) +
                       "MAIL FROM:<evil@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nsecond\r\n.\r\n";
    std::string replies = d.send(std::string(kEnvelope) + "DATA\r\n" + body + "NOOP\r\n");
    EXPECT_TRUE(replies.ends_with(R(replies::start_mail_input) +
                                  "554 5.5.2 Message contains a bare CR or LF, which RFC 5321 §2.3.8 forbids\r\n" +
                                  R(replies::ok)))
        << ::testing::PrintToString(fake_end) << replies;
    EXPECT_TRUE(d.messages.empty());
    EXPECT_EQ(d.aborted, 1u);
    EXPECT_EQ(d.actions.back(), Action::abort_message);
    // The transaction is gone: the next command needs a new MAIL.
    EXPECT_EQ(d.send("RCPT TO:<alice@example.org>\r\n"), R(replies::need_mail));
  }
}

TEST(Data, BareLfAtLineStart) {
  Dialog d;
  std::string replies = d.send(std::string(kEnvelope) + "DATA\r\n\n.\r\n.\r\n");
  EXPECT_TRUE(replies.ends_with(R(replies::bare_line_ending))) << replies;
  EXPECT_EQ(d.aborted, 1u);
}

TEST(Data, NulIsRefused) {
  Dialog d;
  std::string replies = d.send(std::string(kEnvelope) + "DATA\r\n" + std::string("a\0b\r\n", 5) + ".\r\nNOOP\r\n");
  EXPECT_TRUE(replies.ends_with("554 5.6.0 Message contains a NUL byte\r\n" + R(replies::ok))) << replies;
  EXPECT_TRUE(d.messages.empty());
  EXPECT_EQ(d.aborted, 1u);
}

TEST(Data, OversizeIsReadToTheEndThenRefused) {
  auto settings = default_settings();
  settings.limits.max_message_size = 100;
  Dialog d(settings);
  std::string body;
  for (int i = 0; i < 20; ++i) body += "0123456789\r\n";
  std::string replies = d.send(std::string(kEnvelope) + "DATA\r\n" + body + ".\r\nNOOP\r\n");
  EXPECT_TRUE(replies.ends_with(R(replies::start_mail_input) + R(replies::message_too_big) + R(replies::ok)))
      << replies;
  EXPECT_TRUE(d.messages.empty());
  EXPECT_EQ(d.aborted, 1u);
  EXPECT_EQ(d.buffered, "");
}

TEST(Data, OversizeWinsOverBareLineEnding) {
  auto settings = default_settings();
  settings.limits.max_message_size = 10;
  Dialog d(settings);
  std::string replies = d.send(std::string(kEnvelope) + "DATA\r\n0123456789abc\nx\r\n.\r\n");
  EXPECT_TRUE(replies.ends_with(R(replies::message_too_big))) << replies;
}

TEST(Data, ExactlyAtTheLimitIsAccepted) {
  auto settings = default_settings();
  settings.limits.max_message_size = 10;
  Dialog d(settings);
  std::string replies = d.send(std::string(kEnvelope) + "DATA\r\n01234567\r\n.\r\n");
  EXPECT_TRUE(replies.ends_with(expected_ok(1))) << replies;
}

TEST(Data, FailureAtTheErrorLimitCloses) {
  auto settings = default_settings();
  settings.limits.max_errors = 1;
  Dialog d(settings);
  std::string replies = d.send(std::string(kEnvelope) + "DATA\r\na\nb\r\n.\r\nNOOP\r\n");
  EXPECT_TRUE(replies.ends_with(R(replies::bare_line_ending) + R(replies::too_many_errors))) << replies;
  EXPECT_TRUE(d.closed);
  // Closing drops the open message with the connection.
  EXPECT_EQ(d.actions.back(), Action::close);
  EXPECT_EQ(d.buffered, "NOOP\r\n");
}

TEST(Data, CommitFailureAtTheErrorLimitCloses) {
  auto settings = default_settings();
  settings.limits.max_errors = 1;
  Dialog d(settings);
  d.commit_results.push_back(base::fail("disk full"));
  std::string replies = d.send(std::string(kEnvelope) + "DATA\r\nx\r\n.\r\n");
  EXPECT_TRUE(replies.ends_with(R(replies::local_error) + R(replies::too_many_errors))) << replies;
  EXPECT_TRUE(d.closed);
}

TEST(Received, ExactTextWithFixedClock) {
  Dialog d;
  d.clock().advance(std::chrono::hours(24 * 300) + std::chrono::minutes(61) + std::chrono::seconds(7));
  d.send(std::string(kEnvelope) + "DATA\r\nx\r\n.\r\n");
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0],
            "Received: from client.example ([192.0.2.1]) by mx.example.org with ESMTP\r\n"
            "\tfor <alice@example.org>; Thu, 11 Nov 2027 09:01:07 +0000\r\n"
            "x\r\n");
}

TEST(Received, NoForClauseWithSeveralRecipients) {
  Dialog d;
  d.send(std::string(kEnvelope) + "RCPT TO:<bob@example.org>\r\nDATA\r\nx\r\n.\r\n");
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0],
            "Received: from client.example ([192.0.2.1]) by mx.example.org with ESMTP;\r\n"
            "\tFri, 15 Jan 2027 08:00:00 +0000\r\n"
            "x\r\n");
}

TEST(Received, HeloSaysSmtp) {
  Dialog d;
  d.send("HELO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nx\r\n.\r\n");
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0],
            "Received: from client.example ([192.0.2.1]) by mx.example.org with SMTP\r\n"
            "\tfor <alice@example.org>; Fri, 15 Jan 2027 08:00:00 +0000\r\n"
            "x\r\n");
}

TEST(Received, Smtputf8AndIpv6) {
  Dialog d(default_settings(), ClientOptions{.address = "2001:db8::25"});
  d.send(
      "EHLO client.example\r\nMAIL FROM:<jörg@example.com> SMTPUTF8\r\nRCPT TO:<alice@example.org>\r\n"
      "DATA\r\nx\r\n.\r\n");
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0],
            "Received: from client.example ([IPv6:2001:db8::25]) by mx.example.org\r\n"
            "\twith UTF8SMTP for <alice@example.org>; Fri, 15 Jan 2027 08:00:00 +0000\r\n"
            "x\r\n");
}

TEST(Received, EnvelopeTimeIsTheCommitTime) {
  Dialog d;
  d.send(std::string(kEnvelope) + "DATA\r\n");
  d.clock().advance(std::chrono::seconds(30));
  d.send("x\r\n.\r\n");
  ASSERT_EQ(d.envelopes.size(), 1u);
  EXPECT_EQ(d.envelopes[0].received, d.clock().now());
  // The trace line was stamped when the message began.
  EXPECT_NE(d.messages[0].find("08:00:00 +0000"), std::string::npos);
}

}  // namespace
}  // namespace postern::session::test
