// BDAT / CHUNKING (RFC 3030): chunk octets, stream synchronisation, oversize, refusals.

#include <gtest/gtest.h>

#include "dialog.hpp"

namespace postern::session::test {
namespace {

namespace replies = smtp::replies;

constexpr std::string_view kEnvelope =
    "EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<alice@example.org>\r\n";

std::string prelude(Dialog& d) { return d.send(kEnvelope); }

std::string chunk_ok(std::size_t n) { return "250 2.0.0 " + std::to_string(n) + " octets received\r\n"; }

TEST(Bdat, SingleLastChunk) {
  Dialog d;
  prelude(d);
  EXPECT_EQ(d.send("BDAT 7 LAST\r\nHello\r\nNOOP\r\n"), "250 2.0.0 OK queued as Q1\r\n" + R(replies::ok));
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0], received_for("alice@example.org") + "Hello\r\n");
  EXPECT_EQ(d.actions, (std::vector<Action>{Action::begin_message, Action::commit_message}));
  EXPECT_EQ(d.envelopes[0].recipients, std::vector<std::string>{"alice@example.org"});
}

TEST(Bdat, SeveralChunksRawOctets) {
  Dialog d;
  prelude(d);
  // No dot-unstuffing, and ".\r\n" inside a chunk ends nothing.
  EXPECT_EQ(d.send("BDAT 8\r\n..a\r\n.\r\n"), chunk_ok(8));
  EXPECT_EQ(d.send("BDAT 6\r\nb\r\nc\r\n"), chunk_ok(6));
  EXPECT_EQ(d.send("BDAT 3 LAST\r\nd\r\n"), "250 2.0.0 OK queued as Q1\r\n");
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0], received_for("alice@example.org") + "..a\r\n.\r\nb\r\nc\r\nd\r\n");
  EXPECT_EQ(d.actions, (std::vector<Action>{Action::begin_message, Action::commit_message}));
}

TEST(Bdat, ZeroLastIsValid) {
  Dialog d;
  prelude(d);
  EXPECT_EQ(d.send("BDAT 4\r\nabcd"), chunk_ok(4));
  EXPECT_EQ(d.send("BDAT 0 LAST\r\n"), "250 2.0.0 OK queued as Q1\r\n");
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0], received_for("alice@example.org") + "abcd");
}

TEST(Bdat, ZeroLastAsOnlyChunk) {
  Dialog d;
  prelude(d);
  EXPECT_EQ(d.send("BDAT 0 LAST\r\n"), "250 2.0.0 OK queued as Q1\r\n");
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0], received_for("alice@example.org"));
}

TEST(Bdat, ChunkOctetsArriveInPieces) {
  Dialog d;
  prelude(d);
  EXPECT_EQ(d.send("BDAT 11 LAST\r\nab"), "");
  EXPECT_EQ(d.send("cdefgh"), "");
  EXPECT_EQ(d.send("i\r"), "");
  EXPECT_EQ(d.send("\nNOOP\r\n"), "250 2.0.0 OK queued as Q1\r\n" + R(replies::ok));
  EXPECT_EQ(d.messages[0], received_for("alice@example.org") + "abcdefghi\r\n");
  EXPECT_EQ(d.buffered, "");
}

TEST(Bdat, RefusedWithoutTransactionStillConsumesItsOctets) {
  Dialog d;
  d.send("EHLO client.example\r\n");
  // The chunk holds something that looks like commands: it must never run.
  std::string chunk = "RSET\r\nQUIT\r\n";
  EXPECT_EQ(d.send("BDAT " + std::to_string(chunk.size()) + "\r\n" + chunk + "NOOP\r\n"),
            "503 5.5.1 No valid transaction for BDAT\r\n" + R(replies::ok));
  EXPECT_FALSE(d.closed);
  EXPECT_TRUE(d.actions.empty());
  // Before EHLO, or with MAIL but no recipient: the same.
  Dialog fresh;
  EXPECT_EQ(fresh.send("BDAT 6 LAST\r\nQUIT\r\nNOOP\r\n"), R(replies::no_transaction_for_bdat) + R(replies::ok));
  d.send("MAIL FROM:<a@example.com>\r\n");
  EXPECT_EQ(d.send("BDAT 6 LAST\r\nQUIT\r\nNOOP\r\n"), R(replies::no_transaction_for_bdat) + R(replies::ok));
  // The failed BDAT ended that transaction.
  EXPECT_EQ(d.send("RCPT TO:<alice@example.org>\r\n"), R(replies::need_mail));
}

TEST(Bdat, SyntaxErrorConsumesNothingMore) {
  Dialog d;
  prelude(d);
  for (std::string_view bad :
       {"BDAT\r\n", "BDAT x\r\n", "BDAT -1\r\n", "BDAT 5 FIRST\r\n", "BDAT 99999999999999999999999\r\n"}) {
    EXPECT_EQ(d.send(bad), "501 5.5.4 Syntax: BDAT size [LAST]\r\n") << bad;
  }
  EXPECT_EQ(d.send("NOOP\r\n"), R(replies::ok));
  EXPECT_TRUE(d.actions.empty());
}

TEST(Bdat, DataAfterBdat) {
  Dialog d;
  prelude(d);
  d.send("BDAT 3\r\nabc");
  EXPECT_EQ(d.send("DATA\r\n"), "503 5.5.1 DATA not allowed after BDAT in one transaction\r\n");
  EXPECT_EQ(d.send("RCPT TO:<bob@example.org>\r\n"), R(replies::rcpt_after_bdat));
  EXPECT_EQ(d.send("MAIL FROM:<b@example.com>\r\n"), R(replies::nested_mail));
  // The transaction survived these refusals.
  EXPECT_EQ(d.send("BDAT 2 LAST\r\nde"), "250 2.0.0 OK queued as Q1\r\n");
  EXPECT_EQ(d.messages[0], received_for("alice@example.org") + "abcde");
}

TEST(Bdat, RsetAbortsTheOpenMessage) {
  Dialog d;
  prelude(d);
  d.send("BDAT 3\r\nabc");
  EXPECT_TRUE(d.spool_open());
  EXPECT_EQ(d.send("RSET\r\n"), R(replies::reset_ok));
  EXPECT_FALSE(d.spool_open());
  EXPECT_EQ(d.aborted, 1u);
  EXPECT_EQ(d.send("BDAT 1 LAST\r\nx"), R(replies::no_transaction_for_bdat));
}

TEST(Bdat, EhloAbortsTheOpenMessage) {
  Dialog d;
  prelude(d);
  d.send("BDAT 3\r\nabc");
  d.send("EHLO client.example\r\n");
  EXPECT_EQ(d.aborted, 1u);
  EXPECT_EQ(d.actions.back(), Action::abort_message);
}

TEST(Bdat, StartTlsBetweenChunksIsRefused) {
  auto settings = default_settings();
  settings.starttls_available = true;
  Dialog d(settings);
  prelude(d);
  d.send("BDAT 3\r\nabc");
  EXPECT_EQ(d.send("STARTTLS\r\n"), R(replies::starttls_in_transaction));
  EXPECT_TRUE(d.spool_open());
}

// Oversize is detected at the chunk whose announced size crosses the limit: that chunk's octets
// are read but not written, 552 follows them, the message is aborted and the transaction reset.
TEST(Bdat, OversizeAcrossChunks) {
  auto settings = default_settings();
  settings.limits.max_message_size = 10;
  Dialog d(settings);
  prelude(d);
  std::string replies = d.send("BDAT 6\r\n012345BDAT 6\r\n6789abBDAT 2 LAST\r\ncdNOOP\r\n");
  EXPECT_EQ(replies, chunk_ok(6) + "552 5.3.4 Message size exceeds fixed maximum message size\r\n" +
                         R(replies::no_transaction_for_bdat) + R(replies::ok));
  EXPECT_TRUE(d.messages.empty());
  EXPECT_EQ(d.aborted, 1u);
  EXPECT_EQ(d.actions, (std::vector<Action>{Action::begin_message, Action::abort_message}));
  EXPECT_EQ(d.buffered, "");
}

TEST(Bdat, OversizeFirstChunkOpensNothing) {
  auto settings = default_settings();
  settings.limits.max_message_size = 10;
  Dialog d(settings);
  prelude(d);
  EXPECT_EQ(d.send("BDAT 11 LAST\r\n0123456789aNOOP\r\n"), R(replies::message_too_big) + R(replies::ok));
  EXPECT_TRUE(d.actions.empty());
}

TEST(Bdat, HugeAnnouncedSizeDoesNotOverflow) {
  auto settings = default_settings();
  settings.limits.max_message_size = 10;
  Dialog d(settings);
  prelude(d);
  EXPECT_EQ(d.send("BDAT 5\r\n01234"), chunk_ok(5));
  Output out;
  std::string line = "BDAT 18446744073709551615\r\nabc";
  EXPECT_EQ(d.session().feed(line, out), line.size());  // reading the (refused) chunk goes on
  EXPECT_EQ(out.replies, "");
}

TEST(Bdat, ExactlyAtTheLimit) {
  auto settings = default_settings();
  settings.limits.max_message_size = 10;
  Dialog d(settings);
  prelude(d);
  EXPECT_EQ(d.send("BDAT 4\r\n0123BDAT 6 LAST\r\n456789"), chunk_ok(4) + "250 2.0.0 OK queued as Q1\r\n");
}

TEST(Bdat, BareLineEndingIsRefusedAtLast) {
  Dialog d;
  prelude(d);
  EXPECT_EQ(d.send("BDAT 4\r\na\nb\r"), chunk_ok(4));
  EXPECT_EQ(d.send("BDAT 3 LAST\r\n\nc.NOOP\r\n"), R(replies::bare_line_ending) + R(replies::ok));
  EXPECT_EQ(d.aborted, 1u);
  EXPECT_TRUE(d.messages.empty());
}

TEST(Bdat, NulIsRefusedAtLast) {
  Dialog d;
  prelude(d);
  EXPECT_EQ(d.send(std::string("BDAT 3 LAST\r\na\0b", 16) + "NOOP\r\n"), R(replies::nul_in_data) + R(replies::ok));
  EXPECT_EQ(d.aborted, 1u);
  EXPECT_TRUE(d.messages.empty());
}

TEST(Bdat, TrailingCrIsBare) {
  Dialog d;
  prelude(d);
  EXPECT_EQ(d.send("BDAT 2 LAST\r\na\r"), R(replies::bare_line_ending));
}

TEST(Bdat, CrlfSplitAcrossChunksIsFine) {
  Dialog d;
  prelude(d);
  EXPECT_EQ(d.send("BDAT 2\r\na\rBDAT 1 LAST\r\n\n"), chunk_ok(2) + "250 2.0.0 OK queued as Q1\r\n");
  EXPECT_EQ(d.messages[0], received_for("alice@example.org") + "a\r\n");
}

TEST(Bdat, RefusedChunksCountAsErrors) {
  auto settings = default_settings();
  settings.limits.max_errors = 2;
  Dialog d(settings);
  d.send("EHLO client.example\r\n");
  EXPECT_EQ(d.send("BDAT 1\r\nxBDAT 1\r\nyNOOP\r\n"),
            R(replies::no_transaction_for_bdat) + R(replies::no_transaction_for_bdat) + R(replies::too_many_errors));
  EXPECT_TRUE(d.closed);
  EXPECT_EQ(d.buffered, "NOOP\r\n");
}

TEST(Bdat, PipelinedTransactionInOneFeed) {
  Dialog d;
  std::string replies = d.send(std::string(kEnvelope) + "BDAT 3\r\nabcBDAT 3 LAST\r\ndefQUIT\r\n");
  EXPECT_TRUE(replies.ends_with(chunk_ok(3) + "250 2.0.0 OK queued as Q1\r\n" + R(replies::closing))) << replies;
  EXPECT_EQ(d.messages[0], received_for("alice@example.org") + "abcdef");
  EXPECT_EQ(d.actions, (std::vector<Action>{Action::begin_message, Action::commit_message, Action::close}));
}

}  // namespace
}  // namespace postern::session::test
