#include "smtp/line_framer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace postern::smtp {
namespace {

constexpr std::string_view too_long_marker = "<too long>";

// Drives a framer the way the connection driver does: append what was read, frame until
// need_more, drop what was consumed. Returns the lines (too_long events as a marker) and checks
// on the way that the buffer never has to grow past max_line between reads.
std::vector<std::string> frame(const std::vector<std::string>& chunks, std::size_t max_line) {
  LineFramer framer(max_line);
  std::vector<std::string> out;
  std::string buffer;
  for (const std::string& chunk : chunks) {
    buffer += chunk;
    while (true) {
      LineFramer::Event ev = framer.next(buffer);
      EXPECT_LE(ev.consumed, buffer.size());
      if (ev.kind == LineFramer::Kind::line) {
        EXPECT_GT(ev.consumed, 0u);
        out.emplace_back(ev.line);
      } else if (ev.kind == LineFramer::Kind::too_long) {
        EXPECT_GT(ev.consumed, 0u);
        EXPECT_TRUE(ev.line.empty());
        out.emplace_back(too_long_marker);
      }
      buffer.erase(0, ev.consumed);
      if (ev.kind == LineFramer::Kind::need_more) break;
    }
    EXPECT_LT(buffer.size(), max_line) << "the caller had to keep more than max_line bytes";
  }
  return out;
}

std::vector<std::string> frame_whole(std::string_view input, std::size_t max_line) {
  return frame({std::string(input)}, max_line);
}

// Grinding (STYLE §2): every two-way split and byte-by-byte feeding give the same lines.
void expect_same_at_every_split(std::string_view input, std::size_t max_line) {
  const auto whole = frame_whole(input, max_line);
  for (std::size_t i = 0; i <= input.size(); ++i) {
    EXPECT_EQ(frame({std::string(input.substr(0, i)), std::string(input.substr(i))}, max_line), whole)
        << "split at " << i;
  }
  std::vector<std::string> bytes;
  for (char c : input) bytes.emplace_back(1, c);
  EXPECT_EQ(frame(bytes, max_line), whole) << "byte by byte";
}

struct Case {
  std::string name;
  std::string input;
  std::size_t max_line;
  std::vector<std::string> lines;
};

// Failures name the case rather than dumping its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class LineFramerTable : public ::testing::TestWithParam<Case> {};

TEST_P(LineFramerTable, FramesAndGrinds) {
  const Case& c = GetParam();
  EXPECT_EQ(frame_whole(c.input, c.max_line), c.lines);
  expect_same_at_every_split(c.input, c.max_line);
}

const std::string tl(too_long_marker);

INSTANTIATE_TEST_SUITE_P(
    Cases, LineFramerTable,
    ::testing::Values(Case{"crlf", "EHLO client.example.org\r\n", 1000, {"EHLO client.example.org"}},
                      Case{"bare_lf_tolerated_for_commands", "NOOP\nQUIT\r\n", 1000, {"NOOP", "QUIT"}},
                      Case{"only_one_cr_stripped", "NOOP\r\r\n", 1000, {"NOOP\r"}},
                      Case{"cr_alone_is_not_an_end", "NOOP\rQUIT\r\n", 1000, {"NOOP\rQUIT"}},
                      Case{"empty_line", "\r\n", 1000, {""}}, Case{"empty_bare_lf_line", "\n", 1000, {""}},
                      Case{"incomplete", "EHLO x", 1000, {}}, Case{"incomplete_after_cr", "EHLO x\r", 1000, {}},
                      // RFC 2920 §3: a pipelined group arrives in one read.
                      Case{"pipelined",
                           "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n",
                           1000,
                           {"MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>", "DATA"}},
                      Case{"nul_passed_through", std::string("NO\0OP\r\n", 7), 1000, {std::string("NO\0OP", 5)}},
                      Case{"high_bytes_passed_through", "RCPT TO:<\xc3\xbc@x>\r\n", 1000, {"RCPT TO:<\xc3\xbc@x>"}},
                      // max_line counts the CRLF (RFC 5321 §4.5.3.1.4): 8 octets of text + CRLF = 10 fits.
                      Case{"exactly_max_line", "12345678\r\n", 10, {"12345678"}},
                      Case{"one_over_max_line", "123456789\r\nNOOP\r\n", 10, {tl, "NOOP"}},
                      // A bare LF line is measured as if it ended in CRLF.
                      Case{"bare_lf_counts_as_crlf", "12345678\n123456789\n", 10, {"12345678", tl}},
                      Case{"far_over", std::string(5000, 'x') + "\r\nQUIT\r\n", 1000, {tl, "QUIT"}},
                      Case{"two_long_lines",
                           std::string(30, 'a') + "\n" + std::string(30, 'b') + "\r\nRSET\r\n",
                           10,
                           {tl, tl, "RSET"}},
                      Case{"long_line_without_end", std::string(50, 'y'), 10, {}},
                      Case{"long_then_short_then_long",
                           std::string(12, 'a') + "\r\nab\r\n" + std::string(11, 'c') + "\r\n",
                           10,
                           {tl, "ab", tl}},
                      Case{"exactly_max_line_bytes_then_lf", "1234567890\n", 10, {tl}}),
    [](const auto& info) { return info.param.name; });

TEST(LineFramer, NeedMoreConsumesNothingWhenNotDiscarding) {
  LineFramer framer(1000);
  auto ev = framer.next("EHLO exam");
  EXPECT_EQ(ev.kind, LineFramer::Kind::need_more);
  EXPECT_EQ(ev.consumed, 0u);
}

TEST(LineFramer, LineViewsIntoInput) {
  LineFramer framer(1000);
  std::string input = "HELO x\r\nNOOP\r\n";
  auto ev = framer.next(input);
  ASSERT_EQ(ev.kind, LineFramer::Kind::line);
  EXPECT_EQ(ev.line.data(), input.data());
  EXPECT_EQ(ev.consumed, 8u);
}

TEST(LineFramer, FullBufferWithoutLfIsDroppedAndReportedOnce) {
  LineFramer framer(10);
  auto ev = framer.next("0123456789");  // max_line octets and no LF: the line can only be longer
  EXPECT_EQ(ev.kind, LineFramer::Kind::need_more);
  EXPECT_EQ(ev.consumed, 10u);
  ev = framer.next("abcdefghijklmnop");
  EXPECT_EQ(ev.kind, LineFramer::Kind::need_more);
  EXPECT_EQ(ev.consumed, 16u);
  ev = framer.next("xyz\r\nQUIT\r\n");
  EXPECT_EQ(ev.kind, LineFramer::Kind::too_long);
  EXPECT_EQ(ev.consumed, 5u);
  ev = framer.next("QUIT\r\n");
  EXPECT_EQ(ev.kind, LineFramer::Kind::line);
  EXPECT_EQ(ev.line, "QUIT");
}

TEST(LineFramer, OneShortOfMaxLineWaitsForMore) {
  LineFramer framer(10);
  auto ev = framer.next("12345678\r");  // could still become a 10-octet line
  EXPECT_EQ(ev.kind, LineFramer::Kind::need_more);
  EXPECT_EQ(ev.consumed, 0u);
  ev = framer.next("12345678\r\n");
  EXPECT_EQ(ev.kind, LineFramer::Kind::line);
  EXPECT_EQ(ev.line, "12345678");
}

TEST(LineFramer, ResetForgetsAPartlyDiscardedLine) {
  LineFramer framer(10);
  EXPECT_EQ(framer.next(std::string(20, 'z')).consumed, 20u);
  framer.reset();
  // After STARTTLS the first bytes are a fresh command, not the tail of the old line.
  auto ev = framer.next("EHLO x\r\n");
  EXPECT_EQ(ev.kind, LineFramer::Kind::line);
  EXPECT_EQ(ev.line, "EHLO x");
}

TEST(LineFramer, WithoutResetTheTailIsStillDiscarded) {
  LineFramer framer(10);
  EXPECT_EQ(framer.next(std::string(20, 'z')).consumed, 20u);
  auto ev = framer.next("EHLO x\r\n");
  EXPECT_EQ(ev.kind, LineFramer::Kind::too_long);
  EXPECT_EQ(ev.consumed, 8u);
}

TEST(LineFramer, BigReadWithLongLineInside) {
  // A driver may hand over more than max_line at once; the long line is still found and
  // dropped without entering the discarding state.
  std::string input = "NOOP\r\n" + std::string(3000, 'q') + "\r\nQUIT\r\n";
  EXPECT_EQ(frame_whole(input, 1000), (std::vector<std::string>{"NOOP", tl, "QUIT"}));
}

}  // namespace
}  // namespace postern::smtp
