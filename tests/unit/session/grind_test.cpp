// A complete pipelined dialog fed whole, split at every byte position, and one byte at a time:
// the replies, the stored messages and the actions must not depend on how TCP cut the stream.

#include <gtest/gtest.h>

#include "dialog.hpp"

namespace postern::session::test {
namespace {

// Two DATA transactions (one with dot-stuffing and a leading-dot line, one smuggling attempt),
// a BDAT transaction, a refused BDAT whose octets look like commands, and the small verbs.
const std::string kDialog =
    "EHLO client.example\r\n"
    "MAIL FROM:<a@example.com> SIZE=100 BODY=8BITMIME\r\n"
    "RCPT TO:<alice@example.org>\r\n"
    "RCPT TO:<nobody@example.org>\r\n"
    "RCPT TO:<bob@example.org>\r\n"
    "DATA\r\n"
    "Subject: first\r\n"
    "\r\n"
    "..dot\r\n"
    ".\r\n"
    "NOOP\r\n"
    "MAIL FROM:<>\r\n"
    "RCPT TO:<alice@example.org>\r\n"
    "DATA\r\n"
    "smuggled\n.\nMAIL FROM:<evil@example.com>\r\n"
    ".\r\n"
    "BDAT 6\r\nRSET\r\n"
    "MAIL FROM:<c@example.com>\r\n"
    "RCPT TO:<bob@example.org>\r\n"
    "BDAT 6\r\nchunk1"
    "BDAT 8 LAST\r\n.chunk2\n"  // a bare LF: refused at LAST
    "MAIL FROM:<d@example.com>\r\n"
    "RCPT TO:<bob@example.org>\r\n"
    "BDAT 7\r\nline 1\r"
    "BDAT 0\r\n"
    "BDAT 1 LAST\r\n\n"
    "VRFY bob\r\n"
    "QUIT\r\n";

struct Transcript {
  std::string replies;
  std::vector<std::string> messages;
  std::vector<std::vector<std::string>> recipients;
  std::vector<std::string> senders;
  std::vector<Action> actions;
  std::size_t aborted = 0;
  bool closed = false;
  std::string left;

  bool operator==(const Transcript&) const = default;
};

Transcript record(Dialog& d, std::string replies) {
  Transcript t{.replies = std::move(replies),
               .messages = d.messages,
               .actions = d.actions,
               .aborted = d.aborted,
               .closed = d.closed,
               .left = d.buffered};
  for (const auto& e : d.envelopes) {
    t.recipients.push_back(e.recipients);
    t.senders.push_back(e.sender);
  }
  return t;
}

Transcript whole() {
  Dialog d;
  return record(d, d.send(kDialog));
}

TEST(Grind, WholeDialogDoesWhatItShould) {
  auto t = whole();
  namespace replies = smtp::replies;
  EXPECT_EQ(t.replies, "250-mx.example.org Hello client.example [192.0.2.1]\r\n" + ehlo_keywords(26214400, false) +
                           R(replies::sender_ok) + R(replies::recipient_ok) + R(replies::unknown_user) +
                           R(replies::recipient_ok) + R(replies::start_mail_input) + "250 2.0.0 OK queued as Q1\r\n" +
                           R(replies::ok) + R(replies::sender_ok) + R(replies::recipient_ok) +
                           R(replies::start_mail_input) + R(replies::bare_line_ending) +
                           R(replies::no_transaction_for_bdat) + R(replies::sender_ok) + R(replies::recipient_ok) +
                           "250 2.0.0 6 octets received\r\n" + R(replies::bare_line_ending) + R(replies::sender_ok) +
                           R(replies::recipient_ok) + "250 2.0.0 7 octets received\r\n" +
                           "250 2.0.0 0 octets received\r\n" + "250 2.0.0 OK queued as Q2\r\n" +
                           R(replies::cannot_vrfy) + R(replies::closing));
  ASSERT_EQ(t.messages.size(), 2u);
  EXPECT_EQ(t.messages[0],
            "Received: from client.example ([192.0.2.1]) by mx.example.org with ESMTP;\r\n"
            "\tFri, 15 Jan 2027 08:00:00 +0000\r\n"
            "Subject: first\r\n\r\n.dot\r\n");
  EXPECT_EQ(t.messages[1], received_for("bob@example.org") + "line 1\r\n");
  EXPECT_EQ(t.senders, (std::vector<std::string>{"a@example.com", "d@example.com"}));
  EXPECT_EQ(t.recipients,
            (std::vector<std::vector<std::string>>{{"alice@example.org", "bob@example.org"}, {"bob@example.org"}}));
  EXPECT_EQ(t.aborted, 2u);
  EXPECT_TRUE(t.closed);
  EXPECT_EQ(t.left, "");
}

TEST(Grind, SplitAtEveryPosition) {
  auto expected = whole();
  for (std::size_t i = 0; i <= kDialog.size(); ++i) {
    Dialog d;
    std::string replies = d.send(kDialog.substr(0, i));
    replies += d.send(kDialog.substr(i));
    EXPECT_EQ(record(d, replies), expected) << "split at " << i;
  }
}

TEST(Grind, SplitAtEveryPairOfPositions) {
  auto expected = whole();
  // Every 19th first cut keeps the run short while the second cut still crosses every boundary.
  for (std::size_t i = 0; i <= kDialog.size(); i += 19) {
    for (std::size_t j = i; j <= kDialog.size(); ++j) {
      Dialog d;
      std::string replies = d.send(kDialog.substr(0, i));
      replies += d.send(kDialog.substr(i, j - i));
      replies += d.send(kDialog.substr(j));
      ASSERT_EQ(record(d, replies), expected) << "split at " << i << " and " << j;
    }
  }
}

TEST(Grind, OneByteAtATime) {
  auto expected = whole();
  Dialog d;
  std::string replies;
  for (char c : kDialog) replies += d.send(std::string_view(&c, 1));
  EXPECT_EQ(record(d, replies), expected);
}

}  // namespace
}  // namespace postern::session::test
