// Greeting, EHLO/HELO, sequencing, the simple verbs, and the per-session limits.

#include <gtest/gtest.h>

#include "dialog.hpp"

namespace postern::session::test {
namespace {

namespace replies = smtp::replies;

const std::string kEhloReply =
    "250-mx.example.org Hello client.example [192.0.2.1]\r\n" + ehlo_keywords(25 * 1024 * 1024, false);

TEST(Greeting, NamesTheHost) {
  Dialog d;
  EXPECT_EQ(d.greeting(), "220 mx.example.org ESMTP Postern\r\n");
}

TEST(Ehlo, ListsTheExtensions) {
  Dialog d;
  EXPECT_EQ(d.send("EHLO client.example\r\n"),
            "250-mx.example.org Hello client.example [192.0.2.1]\r\n"
            "250-PIPELINING\r\n"
            "250-SIZE 26214400\r\n"
            "250-8BITMIME\r\n"
            "250-ENHANCEDSTATUSCODES\r\n"
            "250-SMTPUTF8\r\n"
            "250 CHUNKING\r\n");
}

TEST(Ehlo, SizeFollowsTheLimit) {
  auto settings = default_settings();
  settings.limits.max_message_size = 12345;
  Dialog d(settings);
  EXPECT_NE(d.send("EHLO client.example\r\n").find("250-SIZE 12345\r\n"), std::string::npos);
}

TEST(Ehlo, OffersStartTlsOnlyWhenAvailable) {
  auto settings = default_settings();
  settings.starttls_available = true;
  Dialog d(settings);
  EXPECT_EQ(d.send("EHLO client.example\r\n"),
            "250-mx.example.org Hello client.example [192.0.2.1]\r\n" + ehlo_keywords(26214400, true));
}

TEST(Ehlo, Ipv6ClientIsWrittenAsLiteral) {
  Dialog d(default_settings(), ClientOptions{.address = "2001:db8::7"});
  auto reply = d.send("EHLO [IPv6:2001:db8::7]\r\n");
  EXPECT_TRUE(reply.starts_with("250-mx.example.org Hello [IPv6:2001:db8::7] [IPv6:2001:db8::7]\r\n")) << reply;
}

TEST(Ehlo, MissingOrInvalidArgument) {
  Dialog d;
  EXPECT_EQ(d.send("EHLO\r\n"), R(replies::helo_syntax));
  EXPECT_EQ(d.send("EHLO   \r\n"), R(replies::helo_syntax));
  EXPECT_EQ(d.send("HELO\r\n"), R(replies::helo_syntax));
  EXPECT_EQ(d.send("EHLO bad..name\r\n"), R(replies::helo_syntax));
  EXPECT_EQ(d.send("EHLO two words\r\n"), R(replies::helo_syntax));
  // A refused EHLO leaves the session without a greeting.
  EXPECT_EQ(d.send("MAIL FROM:<a@example.com>\r\n"), R(replies::need_helo));
}

TEST(Ehlo, TrailingSpaceIsTolerated) {
  Dialog d;
  EXPECT_EQ(d.send("EHLO client.example \r\n"), kEhloReply);
}

TEST(Helo, PlainReplyWithoutExtensions) {
  Dialog d;
  EXPECT_EQ(d.send("HELO client.example\r\n"), "250 mx.example.org Hello client.example [192.0.2.1]\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<a@example.com>\r\n"), R(replies::sender_ok));
}

TEST(Ehlo, ResetsTheTransaction) {
  Dialog d;
  d.send("EHLO client.example\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<alice@example.org>\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok));
  // RFC 5321 §4.1.4: a second EHLO is an implicit RSET.
  EXPECT_EQ(d.send("EHLO client.example\r\n"), kEhloReply);
  EXPECT_EQ(d.send("DATA\r\n"), R(replies::need_mail));
  EXPECT_EQ(d.send("MAIL FROM:<a@example.com>\r\n"), R(replies::sender_ok));
}

TEST(Sequencing, MailBeforeHelo) {
  Dialog d;
  EXPECT_EQ(d.send("MAIL FROM:<a@example.com>\r\n"), R(replies::need_helo));
}

TEST(Sequencing, NestedMail) {
  Dialog d;
  d.send("EHLO client.example\r\nMAIL FROM:<a@example.com>\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<b@example.com>\r\n"), R(replies::nested_mail));
}

TEST(Sequencing, RcptBeforeMail) {
  Dialog d;
  d.send("EHLO client.example\r\n");
  EXPECT_EQ(d.send("RCPT TO:<alice@example.org>\r\n"), R(replies::need_mail));
}

TEST(Sequencing, DataWithoutRecipients) {
  Dialog d;
  d.send("EHLO client.example\r\n");
  EXPECT_EQ(d.send("DATA\r\n"), R(replies::need_mail));
  d.send("MAIL FROM:<a@example.com>\r\n");
  EXPECT_EQ(d.send("DATA\r\n"), R(replies::need_rcpt));
  // A refused recipient does not count.
  EXPECT_EQ(d.send("RCPT TO:<nobody@example.org>\r\n"), R(replies::unknown_user));
  EXPECT_EQ(d.send("DATA\r\n"), R(replies::need_rcpt));
  EXPECT_TRUE(d.actions.empty());
}

TEST(SimpleVerbs, RsetKeepsHelo) {
  Dialog d;
  d.send("EHLO client.example\r\nMAIL FROM:<a@example.com>\r\n");
  EXPECT_EQ(d.send("RSET\r\n"), "250 2.0.0 Reset state\r\n");
  EXPECT_EQ(d.send("RCPT TO:<alice@example.org>\r\n"), R(replies::need_mail));
  EXPECT_EQ(d.send("MAIL FROM:<a@example.com>\r\n"), R(replies::sender_ok));
  EXPECT_EQ(d.send("RSET extra\r\n"), R(replies::syntax_params));
}

TEST(SimpleVerbs, NoopHelpVrfyExpn) {
  Dialog d;
  EXPECT_EQ(d.send("NOOP\r\n"), "250 2.0.0 OK\r\n");
  EXPECT_EQ(d.send("NOOP anything at all\r\n"), R(replies::ok));
  EXPECT_EQ(d.send("HELP\r\n"), R(replies::help));
  EXPECT_EQ(d.send("VRFY alice\r\n"), R(replies::cannot_vrfy));
  // Never reveals: the same answer for a mailbox that does not exist.
  EXPECT_EQ(d.send("VRFY nobody@example.org\r\n"), R(replies::cannot_vrfy));
  EXPECT_TRUE(R(replies::cannot_vrfy).starts_with("252 "));
  EXPECT_EQ(d.send("VRFY\r\n"), R(replies::syntax_params));
  EXPECT_EQ(d.send("EXPN staff\r\n"), R(replies::not_implemented));
  EXPECT_TRUE(R(replies::not_implemented).starts_with("502 "));
}

TEST(SimpleVerbs, AuthIsNotImplementedYet) {
  Dialog d;
  d.send("EHLO client.example\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"), R(replies::not_implemented));
}

TEST(SimpleVerbs, QuitCloses) {
  Dialog d;
  EXPECT_EQ(d.send("QUIT\r\nNOOP\r\n"), "221 2.0.0 Bye\r\n");
  EXPECT_TRUE(d.closed);
  EXPECT_EQ(d.actions, std::vector<Action>{Action::close});
  EXPECT_TRUE(d.session().wants_close());
  // Nothing after QUIT is read.
  EXPECT_EQ(d.buffered, "NOOP\r\n");
  Output out;
  EXPECT_EQ(d.session().feed("NOOP\r\n", out), 0u);
  EXPECT_EQ(out.replies, "");
}

TEST(SimpleVerbs, QuitWithArgumentsIsRefused) {
  Dialog d;
  EXPECT_EQ(d.send("QUIT now\r\n"), R(replies::syntax_params));
  EXPECT_FALSE(d.closed);
}

TEST(Commands, UnknownVerb) {
  Dialog d;
  EXPECT_EQ(d.send("FOO bar\r\n"), "500 5.5.2 Syntax error, command unrecognized\r\n");
  EXPECT_EQ(d.send("\r\n"), R(replies::unrecognized));
  EXPECT_EQ(d.send("NOOP\r\n"), R(replies::ok));
}

TEST(Commands, BadCharacter) {
  Dialog d;
  EXPECT_EQ(d.send(std::string("NO\0OP\r\n", 7)), R(replies::bad_character));
  EXPECT_EQ(d.send("NOOP\rNOOP\r\n"), R(replies::bad_character));
  EXPECT_EQ(d.send("NOOP\r\n"), R(replies::ok));
}

TEST(Commands, VerbsAreCaseInsensitiveAndBareLfIsTolerated) {
  Dialog d;
  EXPECT_EQ(d.send("ehlo client.example\n"), kEhloReply);
  EXPECT_EQ(d.send("noop\n"), R(replies::ok));
}

TEST(Commands, LineTooLongAndTheSessionGoesOn) {
  auto settings = default_settings();
  settings.limits.command_line_max = 64;
  Dialog d(settings);
  EXPECT_EQ(d.send("NOOP " + std::string(100, 'x') + "\r\nNOOP\r\n"), R(replies::line_too_long) + R(replies::ok));
  // 62 octets and CRLF make exactly the limit; one more is over it.
  EXPECT_EQ(d.send("NOOP " + std::string(57, 'x') + "\r\n"), R(replies::ok));
  EXPECT_EQ(d.send("NOOP " + std::string(58, 'x') + "\r\n"), R(replies::line_too_long));
}

TEST(Commands, PartialLineIsLeftForLater) {
  Dialog d;
  EXPECT_EQ(d.send("NO"), "");
  EXPECT_EQ(d.buffered, "NO");
  EXPECT_EQ(d.send("OP\r\n"), R(replies::ok));
  EXPECT_EQ(d.buffered, "");
}

TEST(Pipelining, AllRepliesInOneFeed) {
  Dialog d;
  Output out;
  std::string input = "EHLO client.example\r\nNOOP\r\nRSET\r\nHELP\r\n";
  EXPECT_EQ(d.session().feed(input, out), input.size());
  EXPECT_EQ(out.replies, kEhloReply + R(replies::ok) + R(replies::reset_ok) + R(replies::help));
  EXPECT_EQ(out.action, Action::none);
}

TEST(Limits, ErrorLimitCloses) {
  auto settings = default_settings();
  settings.limits.max_errors = 3;
  Dialog d(settings);
  EXPECT_EQ(d.send("FOO\r\nNOOP\r\nBAR\r\n"), R(replies::unrecognized) + R(replies::ok) + R(replies::unrecognized));
  EXPECT_FALSE(d.closed);
  EXPECT_EQ(d.send("MAIL FROM:<a@example.com>\r\nNOOP\r\n"),
            R(replies::need_helo) + "421 4.7.0 Too many errors, closing transmission channel\r\n");
  EXPECT_TRUE(d.closed);
  EXPECT_EQ(d.actions.back(), Action::close);
  EXPECT_EQ(d.buffered, "NOOP\r\n");
}

TEST(Limits, EveryFailureKindCounts) {
  auto settings = default_settings();
  settings.limits.max_errors = 4;
  settings.limits.command_line_max = 32;
  Dialog d(settings);
  EXPECT_EQ(d.send(std::string(40, 'x') + "\r\n"), R(replies::line_too_long));
  EXPECT_EQ(d.send(std::string("A\0\r\n", 4)), R(replies::bad_character));
  EXPECT_EQ(d.send("EHLO\r\n"), R(replies::helo_syntax));
  EXPECT_FALSE(d.closed);
  EXPECT_EQ(d.send("EXPN x\r\n"), R(replies::not_implemented) + R(replies::too_many_errors));
  EXPECT_TRUE(d.closed);
}

TEST(Limits, SuccessfulRepliesDoNotCount) {
  auto settings = default_settings();
  settings.limits.max_errors = 2;
  Dialog d(settings);
  std::string replies;
  for (int i = 0; i < 50; ++i) replies += d.send("NOOP\r\nVRFY x\r\n");
  EXPECT_FALSE(d.closed);
  EXPECT_EQ(d.send("FOO\r\n"), R(replies::unrecognized));
  EXPECT_EQ(d.send("FOO\r\n"), R(replies::unrecognized) + R(replies::too_many_errors));
}

TEST(Limits, CommandLimitCloses) {
  auto settings = default_settings();
  settings.limits.max_commands = 3;
  Dialog d(settings);
  EXPECT_EQ(d.send("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n"),
            R(replies::ok) + R(replies::ok) + R(replies::ok) +
                "421 4.7.0 Too many commands, closing transmission channel\r\n");
  EXPECT_TRUE(d.closed);
  EXPECT_EQ(d.buffered, "NOOP\r\n");
}

TEST(Limits, TimeoutAndShutdown) {
  Dialog a;
  EXPECT_EQ(a.session().on_timeout(), "421 4.4.2 Timeout exceeded, closing transmission channel\r\n");
  EXPECT_TRUE(a.session().wants_close());
  Output out;
  EXPECT_EQ(a.session().feed("NOOP\r\n", out), 0u);
  EXPECT_EQ(out.replies, "");

  Dialog b;
  EXPECT_FALSE(b.session().wants_close());
  EXPECT_EQ(b.session().on_shutdown(), "421 4.3.2 Service shutting down, closing transmission channel\r\n");
  EXPECT_TRUE(b.session().wants_close());
}

}  // namespace
}  // namespace postern::session::test
