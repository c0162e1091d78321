// The header From: check and the rate limits in one pipelined, authenticated dialog, fed whole,
// split at every byte position and one byte at a time: the header section is captured across
// reads and chunks, so what is refused must not depend on how TCP cut the stream.

#include <gtest/gtest.h>

#include "base/base64.hpp"
#include "dialog.hpp"
#include "fake_send_policy.hpp"

namespace postern::session::test {
namespace {

namespace replies = smtp::replies;

const std::string kDialog =
    "EHLO client.example\r\n"
    "AUTH PLAIN " + base::base64_encode(std::string("\0alice@example.org\0alice-pw", 27)) + "\r\n"
    // 1: owned, folded, with a comment that holds a foreign address.
    "MAIL FROM:<alice@example.org>\r\n"
    "RCPT TO:<a@remote.example>\r\n"
    "RCPT TO:<b@remote.example>\r\n"  // over the fake limit of one: 452
    "DATA\r\n"
    "Subject: one\r\n"
    "From: Alice (not bob@example.org)\r\n"
    "\t<alice@example.org>\r\n"
    "\r\n"
    "From: bob@example.org\r\n"
    ".\r\n"
    // 2: a foreign From: behind a dot-stuffed field and a fold: 550.
    "MAIL FROM:<alice@example.org>\r\n"
    "RCPT TO:<a@remote.example>\r\n"
    "DATA\r\n"
    "..X-Dot: y\r\n"
    "From: alice@example.org,\r\n"
    " bob@example.org\r\n"
    "\r\n"
    "body\r\n"
    ".\r\n"
    // 3: BDAT with From: cut between chunks, foreign: 550 at LAST.
    "MAIL FROM:<alice@example.org>\r\n"
    "RCPT TO:<a@remote.example>\r\n"
    "BDAT 8\r\n"
    "From: bo"
    "BDAT 23 LAST\r\n"
    "b@example.org\r\n\r\nbody\r\n"
    // 4: BDAT, unterminated quote: 550, cannot be parsed.
    "MAIL FROM:<alice@example.org>\r\n"
    "RCPT TO:<a@remote.example>\r\n"
    "BDAT 28 LAST\r\n"
    "From: \"alice@example.org\r\n\r\n"
    // 5: owned, by BDAT.
    "MAIL FROM:<alice@example.org>\r\n"
    "RCPT TO:<a@remote.example>\r\n"
    "BDAT 28 LAST\r\n"
    "FROM:alice@example.org\r\n\r\nok"
    "QUIT\r\n";

struct Transcript {
  std::string replies;
  std::vector<std::string> messages;
  std::vector<std::string> events;  ///< reply and reason of each message event
  std::size_t aborted = 0;
  bool closed = false;
  std::string left;
  bool operator==(const Transcript&) const = default;
};

class Grinder {
 public:
  Grinder() : d(settings()) {
    d.authenticator.add("alice@example.org", {.account = "alice@example.org", .password = "alice-pw"});
  }

  Settings settings() {
    policy.max_recipients = 1;
    Settings s = default_settings();
    s.listener_name = "submission";
    s.kind = ListenerKind::submission;
    s.require_auth = true;
    s.auth.mechanisms = {"PLAIN"};
    s.auth.allow_without_tls = true;
    s.auth.fake_salt_secret = std::string(32, 's');
    s.send_policy = &policy;
    return s;
  }

  Transcript record(std::string replies) {
    Transcript t{.replies = std::move(replies), .messages = d.messages, .aborted = d.aborted, .closed = d.closed,
                 .left = d.buffered};
    for (const auto& e : d.message_events) t.events.push_back(e.reply + " " + e.reason);
    return t;
  }

  FakeSendPolicy policy;
  Dialog d;
};

Transcript whole() {
  Grinder g;
  return g.record(g.d.send(kDialog));
}

std::string not_owned(std::string_view address) {
  return R(replies::header_from_not_owned,
           std::string(replies::header_from_not_owned.text) + " <" + std::string(address) + ">");
}

TEST(HeaderFromGrind, WholeDialogDoesWhatItShould) {
  auto t = whole();
  std::string transaction = R(replies::sender_ok) + R(replies::recipient_ok);
  EXPECT_EQ(t.replies, "250-mx.example.org Hello client.example [192.0.2.1]\r\n"
                       "250-PIPELINING\r\n250-SIZE 26214400\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
                       "250-SMTPUTF8\r\n250-CHUNKING\r\n250 AUTH PLAIN\r\n" +
                           R(replies::auth_ok) +
                           // 1
                           transaction + "452 4.5.3 Too many recipients this hour\r\n" +
                           R(replies::start_mail_input) + R(replies::queued, "OK queued as Q1") +
                           // 2
                           transaction + R(replies::start_mail_input) + not_owned("bob@example.org") +
                           // 3
                           transaction + R(replies::chunk_ok, "8 octets received") + not_owned("bob@example.org") +
                           // 4
                           transaction + R(replies::header_from_unparseable) +
                           // 5
                           transaction + R(replies::queued, "OK queued as Q2") + R(replies::closing));
  ASSERT_EQ(t.messages.size(), 2u);
  EXPECT_TRUE(t.messages[0].ends_with("\r\n\r\nFrom: bob@example.org\r\n")) << t.messages[0];
  EXPECT_TRUE(t.messages[1].ends_with("FROM:alice@example.org\r\n\r\nok")) << t.messages[1];
  EXPECT_EQ(t.events, (std::vector<std::string>{"452 4.5.3 recipient rate limit", "250 2.0.0 ", "550 5.7.1 header from not owned",
                                                "550 5.7.1 header from not owned", "550 5.7.1 header from unparseable",
                                                "250 2.0.0 "}));
  EXPECT_EQ(t.aborted, 3u);
  EXPECT_TRUE(t.closed);
  EXPECT_EQ(t.left, "");
}

TEST(HeaderFromGrind, SplitAtEveryPosition) {
  auto expected = whole();
  for (std::size_t i = 0; i <= kDialog.size(); ++i) {
    Grinder g;
    std::string replies = g.d.send(kDialog.substr(0, i));
    replies += g.d.send(kDialog.substr(i));
    ASSERT_EQ(g.record(replies), expected) << "split at " << i;
  }
}

TEST(HeaderFromGrind, OneByteAtATime) {
  auto expected = whole();
  Grinder g;
  std::string replies;
  for (char c : kDialog) replies += g.d.send(std::string_view(&c, 1));
  EXPECT_EQ(g.record(replies), expected);
}

}  // namespace
}  // namespace postern::session::test
