// DESIGN §3.6 for the header From: in session dialogs: a message from an authenticated
// identity is refused at the end of DATA / BDAT LAST (550 5.7.1, RFC 5321 §4.3.2) when a From:
// address is not one it owns, or when From: cannot be read; the spool file is dropped and the
// refusal takes the place of the 250.

#include <gtest/gtest.h>

#include <algorithm>

#include "base/base64.hpp"
#include "dialog.hpp"

namespace postern::session::test {
namespace {

namespace replies = smtp::replies;

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

std::string auth_plain(std::string_view user, std::string_view password) {
  return "AUTH PLAIN " + base::base64_encode(std::string(1, '\0') + std::string(user) + '\0' + std::string(password)) +
         "\r\n";
}

std::string not_owned(std::string_view address) {
  return R(replies::header_from_not_owned,
           std::string(replies::header_from_not_owned.text) + " <" + std::string(address) + ">");
}

const std::string kEnvelope = "MAIL FROM:<alice@example.org>\r\nRCPT TO:<friend@remote.example>\r\n";
const std::string kEnvelopeReplies = R(replies::sender_ok) + R(replies::recipient_ok);

/// alice owns her address and alice.smith@; "lists" owns the whole lists.example.org domain.
class HeaderFromCheck : public ::testing::Test {
 protected:
  explicit HeaderFromCheck(Settings settings = submission()) : d(std::move(settings)) {
    d.authenticator.add("alice@example.org", {.account = "alice@example.org",
                                              .password = "alice-pw",
                                              .senders = {"alice@example.org", "alice.smith@example.org"}});
    d.authenticator.add("lists@example.org", {.account = "lists@example.org",
                                              .password = "lists-pw",
                                              .senders = {"@lists.example.org"}});
  }
  void SetUp() override { d.send("EHLO client.example\r\n"); }
  void login(std::string_view user = "alice@example.org", std::string_view password = "alice-pw") {
    ASSERT_EQ(d.send(auth_plain(user, password)), R(replies::auth_ok));
  }
  /// One message by DATA; returns the replies from MAIL to the end.
  std::string data(std::string_view content) {
    return d.send(kEnvelope + "DATA\r\n" + std::string(content) + ".\r\n");
  }
  std::string data_reply(std::string_view content) {
    std::string all = data(content);
    EXPECT_TRUE(all.starts_with(kEnvelopeReplies + R(replies::start_mail_input))) << all;
    return all.substr(std::min(all.size(), kEnvelopeReplies.size() + R(replies::start_mail_input).size()));
  }
  void expect_refused_cleanly(std::size_t commits_before = 0) {
    EXPECT_EQ(d.commits, commits_before) << "a refused message must never be committed";
    EXPECT_EQ(d.aborted, 1u);
    EXPECT_FALSE(d.spool_open());
    // The transaction is over: the next DATA needs a MAIL.
    EXPECT_EQ(d.send("DATA\r\n"), R(replies::need_mail));
  }
  Dialog d;
};

TEST_F(HeaderFromCheck, OwnFromIsAccepted) {
  login();
  EXPECT_EQ(data_reply("From: Alice <alice@example.org>\r\nSubject: hi\r\n\r\nhello\r\n"),
            R(replies::queued, "OK queued as Q1"));
  EXPECT_EQ(d.messages.size(), 1u);
}

TEST_F(HeaderFromCheck, AliasCaseAndQuotingAreOwned) {
  login();
  EXPECT_EQ(data_reply("From: \"Smith, Alice\" <Alice.Smith@EXAMPLE.org>, \"alice\"@example.org\r\n\r\nx\r\n"),
            R(replies::queued, "OK queued as Q1"));
}

TEST_F(HeaderFromCheck, SomeoneElsesFromIsRefusedNamingTheAddress) {
  login();
  EXPECT_EQ(data_reply("From: Bob <bob@example.org>\r\nSubject: hi\r\n\r\nhello\r\n"), not_owned("bob@example.org"));
  EXPECT_EQ(not_owned("bob@example.org"), "550 5.7.1 Sender address not owned by user: header From: <bob@example.org>\r\n");
  expect_refused_cleanly();
  EXPECT_TRUE(d.messages.empty());
}

TEST_F(HeaderFromCheck, EveryAddressOfEveryFromFieldMustBeOwned) {
  login();
  EXPECT_EQ(data_reply("From: alice@example.org\r\nFrom: alice.smith@example.org\r\n\r\nx\r\n"),
            R(replies::queued, "OK queued as Q1"));
  EXPECT_EQ(data_reply("From: alice@example.org, mallory@evil.example\r\n\r\nx\r\n"),
            not_owned("mallory@evil.example"));
  EXPECT_EQ(data_reply("From: alice@example.org\r\nSubject: s\r\nFROM : Mallory <mallory@evil.example>\r\n\r\nx\r\n"),
            not_owned("mallory@evil.example"));
  EXPECT_EQ(data_reply("From: team: alice@example.org, bob@example.org;\r\n\r\nx\r\n"), not_owned("bob@example.org"));
  EXPECT_EQ(d.commits, 1u);
  EXPECT_EQ(d.aborted, 3u);
}

TEST_F(HeaderFromCheck, DisplayNamesAndCommentsDoNotCount) {
  login();
  EXPECT_EQ(data_reply("From: \"bob@example.org\" (bob@example.org) <alice@example.org>\r\n\r\nx\r\n"),
            R(replies::queued, "OK queued as Q1"));
}

TEST_F(HeaderFromCheck, UnparseableFromIsRefused) {
  login();
  EXPECT_EQ(data_reply("From: \"Alice <alice@example.org>\r\n\r\nx\r\n"), R(replies::header_from_unparseable));
  EXPECT_EQ(R(replies::header_from_unparseable), "550 5.7.1 The From: header cannot be parsed\r\n");
  expect_refused_cleanly();
  EXPECT_EQ(d.message_events.back().reason, "header from unparseable");
}

TEST_F(HeaderFromCheck, MessageWithoutFromIsAccepted) {
  login();
  EXPECT_EQ(data_reply("Subject: no from\r\n\r\nFrom: bob@example.org\r\n"), R(replies::queued, "OK queued as Q1"));
  EXPECT_EQ(data_reply("no header at all, From: bob@example.org\r\n"), R(replies::queued, "OK queued as Q2"));
}

TEST_F(HeaderFromCheck, FromInTheBodyIsNotLookedAt) {
  login();
  EXPECT_EQ(data_reply("From: alice@example.org\r\n\r\nFrom: bob@example.org\r\n"), R(replies::queued, "OK queued as Q1"));
}

TEST_F(HeaderFromCheck, DomainGrantCoversFromToo) {
  login("lists@example.org", "lists-pw");
  EXPECT_EQ(d.send("MAIL FROM:<announce@lists.example.org>\r\nRCPT TO:<friend@remote.example>\r\n"
                   "DATA\r\nFrom: Announcements <announce@Lists.Example.org>\r\n\r\nx\r\n.\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok) + R(replies::start_mail_input) +
                R(replies::queued, "OK queued as Q1"));
  EXPECT_EQ(d.send("MAIL FROM:<announce@lists.example.org>\r\nRCPT TO:<friend@remote.example>\r\n"
                   "DATA\r\nFrom: <announce@example.org>\r\n\r\nx\r\n.\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok) + R(replies::start_mail_input) +
                not_owned("announce@example.org"));
}

TEST_F(HeaderFromCheck, DotStuffedHeaderIsCheckedUnstuffed) {
  login();
  // "..From" on the wire is ".From" in the message: not a From: field.
  EXPECT_EQ(data_reply("..From: bob@example.org\r\nFrom: alice@example.org\r\n\r\nx\r\n"),
            R(replies::queued, "OK queued as Q1"));
}

TEST_F(HeaderFromCheck, AddressInTheReplyIsMadePrintable) {
  login();
  EXPECT_EQ(data_reply("From: <j\xC3\xB6rg@example.org>\r\n\r\nx\r\n"), not_owned("j??rg@example.org"));
}

TEST_F(HeaderFromCheck, BdatLastIsCheckedAcrossChunks) {
  login();
  std::string head = "Subject: x\r\nFrom: Bo";
  std::string rest = "b <bob@example.org>\r\n\r\nbody\r\n";
  EXPECT_EQ(d.send(kEnvelope + "BDAT " + std::to_string(head.size()) + "\r\n" + head + "BDAT " +
                   std::to_string(rest.size()) + " LAST\r\n" + rest),
            kEnvelopeReplies + R(replies::chunk_ok, std::to_string(head.size()) + " octets received") +
                not_owned("bob@example.org"));
  expect_refused_cleanly();

  std::string own = "From: alice@example.org\r\n\r\nbody\r\n";
  EXPECT_EQ(d.send(kEnvelope + "BDAT " + std::to_string(own.size()) + " LAST\r\n" + own),
            kEnvelopeReplies + R(replies::queued, "OK queued as Q1"));
}

TEST_F(HeaderFromCheck, HeaderSectionBeyondTheCaptureIsRefused) {
  login();
  // 300 KiB of header fields with no end within the first 256 KiB: a From: could hide further on.
  std::string fields;
  while (fields.size() < 300 * 1024) fields += "X-Filler: " + std::string(60, 'x') + "\r\n";
  EXPECT_EQ(data_reply(fields + "From: bob@example.org\r\n\r\nx\r\n"),
            R(replies::header_from_unparseable, "Header section too long to check the From: header"));
  expect_refused_cleanly();
  EXPECT_EQ(d.message_events.back().reason, "header too long");
}

TEST_F(HeaderFromCheck, LongBodyAfterAShortHeaderIsFine) {
  login();
  std::string body;
  while (body.size() < 400 * 1024) body += std::string(70, 'b') + "\r\n";
  EXPECT_EQ(data_reply("From: alice@example.org\r\n\r\n" + body), R(replies::queued, "OK queued as Q1"));
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_TRUE(d.messages[0].ends_with(body));
}

TEST_F(HeaderFromCheck, SizeAndSmugglingChecksComeFirst) {
  login();
  EXPECT_EQ(data_reply("From: bob@example.org\r\n\r\nbare\nline\r\n"), R(replies::bare_line_ending));
  EXPECT_EQ(d.message_events.back().reason, "bare line ending");
}

TEST(HeaderFromCheckOff, WithoutAnIdentityNothingIsChecked) {
  Dialog d;  // inbound MX: strangers send as whom they like; SPF/DKIM/DMARC are the receiver's tools
  d.send("EHLO mx.remote.example\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<stranger@remote.example>\r\nRCPT TO:<alice@example.org>\r\n"
                   "DATA\r\nFrom: \"unterminated\r\n\r\nx\r\n.\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok) + R(replies::start_mail_input) +
                R(replies::queued, "OK queued as Q1"));
}

TEST(HeaderFromCheckOff, SettingOffLeavesFromAlone) {
  Settings s = submission();
  s.check_header_from = false;
  Dialog d(s);
  d.authenticator.add("alice@example.org", {.account = "alice@example.org", .password = "alice-pw"});
  d.send("EHLO client.example\r\n");
  ASSERT_EQ(d.send(auth_plain("alice@example.org", "alice-pw")), R(replies::auth_ok));
  EXPECT_EQ(d.send(kEnvelope + "DATA\r\nFrom: bob@example.org\r\n\r\nx\r\n.\r\n"),
            kEnvelopeReplies + R(replies::start_mail_input) + R(replies::queued, "OK queued as Q1"));
}

TEST(HeaderFromCheckOff, RefusalsCountAsErrors) {
  Settings s = submission();
  s.limits.max_errors = 1;
  Dialog d(s);
  d.authenticator.add("alice@example.org", {.account = "alice@example.org", .password = "alice-pw"});
  d.send("EHLO client.example\r\n");
  ASSERT_EQ(d.send(auth_plain("alice@example.org", "alice-pw")), R(replies::auth_ok));
  EXPECT_EQ(d.send(kEnvelope + "DATA\r\nFrom: bob@example.org\r\n\r\nx\r\n.\r\n"),
            kEnvelopeReplies + R(replies::start_mail_input) + not_owned("bob@example.org") + R(replies::too_many_errors));
  EXPECT_TRUE(d.closed);
  EXPECT_EQ(d.commits, 0u);
}

}  // namespace
}  // namespace postern::session::test
