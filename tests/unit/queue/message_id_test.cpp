#include "queue/message_id.hpp"

#include <gtest/gtest.h>

#include <string>

namespace postern::queue {
namespace {

// Every test also feeds the message split at every byte position (STYLE: grind the parsers).
std::string scan(std::string_view message) {
  MessageIdScanner whole;
  whole.feed(message);
  std::string expected = whole.message_id();
  for (std::size_t cut = 0; cut <= message.size(); ++cut) {
    MessageIdScanner split;
    split.feed(message.substr(0, cut));
    split.feed(message.substr(cut));
    EXPECT_EQ(split.message_id(), expected) << "split at " << cut;
  }
  MessageIdScanner bytewise;
  for (char c : message) bytewise.feed(std::string_view(&c, 1));
  EXPECT_EQ(bytewise.message_id(), expected) << "byte at a time";
  return expected;
}

TEST(MessageId, Simple) {
  EXPECT_EQ(scan("From: a@b\r\nMessage-ID: <1234@local.machine.example>\r\n\r\nbody\r\n"),
            "<1234@local.machine.example>");
}

TEST(MessageId, Rfc5322AppendixA11) {
  // RFC 5322 Appendix A.1.1, byte for byte (with CRLF line ends).
  std::string message =
      "From: John Doe <jdoe@machine.example>\r\n"
      "To: Mary Smith <mary@example.net>\r\n"
      "Subject: Saying Hello\r\n"
      "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n"
      "Message-ID: <1234@local.machine.example>\r\n"
      "\r\n"
      "This is a message just to say hello.\r\n"
      "So, \"Hello\".\r\n";
  EXPECT_EQ(scan(message), "<1234@local.machine.example>");
}

TEST(MessageId, NameIsCaseInsensitive) {
  EXPECT_EQ(scan("message-id: <a@b>\r\n\r\n"), "<a@b>");
  EXPECT_EQ(scan("MESSAGE-ID: <a@b>\r\n\r\n"), "<a@b>");
  EXPECT_EQ(scan("mEsSaGe-Id:<a@b>\r\n\r\n"), "<a@b>");
}

TEST(MessageId, FoldedValueIsUnfolded) {
  EXPECT_EQ(scan("Subject: x\r\nMessage-ID:\r\n <folded@example.org>\r\nTo: b@c\r\n\r\n"), "<folded@example.org>");
  EXPECT_EQ(scan("Message-ID:\r\n\t<tab@example.org>\r\n\r\n"), "<tab@example.org>");
  // Without angle brackets the unfolded value keeps its folding whitespace, trimmed at the ends.
  EXPECT_EQ(scan("Message-ID: part-one\r\n part-two\r\n\r\n"), "part-one part-two");
}

TEST(MessageId, FoldedOtherFieldIsNotMistakenForOne) {
  EXPECT_EQ(scan("Subject: x\r\n Message-ID: <no@example>\r\n\r\n"), "");
}

TEST(MessageId, MissingGivesEmpty) {
  EXPECT_EQ(scan("From: a@b\r\nSubject: none\r\n\r\nMessage-ID: <in-body@x>\r\n"), "");
  EXPECT_EQ(scan(""), "");
  EXPECT_EQ(scan("\r\nMessage-ID: <after-empty-line@x>\r\n"), "");
}

TEST(MessageId, OtherFieldsWithTheSamePrefixDoNotCount) {
  EXPECT_EQ(scan("Message-IDs: <x@y>\r\nX-Message-ID: <z@y>\r\nResent-Message-ID: <r@y>\r\n\r\n"), "");
}

TEST(MessageId, FirstOneWins) {
  EXPECT_EQ(scan("Message-ID: <first@x>\r\nMessage-ID: <second@x>\r\n\r\n"), "<first@x>");
}

TEST(MessageId, CommentsAndSpacesAroundAreDropped) {
  EXPECT_EQ(scan("Message-ID:   (comment) <c@x>  (another)\r\n\r\n"), "<c@x>");
  EXPECT_EQ(scan("Message-ID \t: <obs@x>\r\n\r\n"), "<obs@x>");  // RFC 5322 §4.5.3
}

TEST(MessageId, HeaderOnlyMessageWithoutEmptyLine) {
  EXPECT_EQ(scan("From: a@b\r\nMessage-ID: <end@x>"), "<end@x>");
  EXPECT_EQ(scan("From: a@b\r\nMessage-ID: <end@x>\r\n"), "<end@x>");
}

TEST(MessageId, LfOnlyLineEnds) { EXPECT_EQ(scan("From: a@b\nMessage-ID:\n <lf@x>\n\nbody\n"), "<lf@x>"); }

TEST(MessageId, InvalidUtf8IsReplaced) {
  EXPECT_EQ(scan("Message-ID: <caf\xe9@x>\r\n\r\n"), "<caf?@x>");
  EXPECT_EQ(scan("Message-ID: <caf\xc3\xa9@x>\r\n\r\n"), "<caf\xc3\xa9@x>");
}

TEST(MessageId, AfterALongHeaderSection) {
  std::string message;
  for (int i = 0; i < 200; ++i) message += "X-Filler-" + std::to_string(i) + ": " + std::string(60, 'f') + "\r\n";
  message += "Message-ID: <late@x>\r\n\r\nbody";
  MessageIdScanner scanner;
  scanner.feed(message);
  EXPECT_EQ(scanner.message_id(), "<late@x>");
}

}  // namespace
}  // namespace postern::queue
