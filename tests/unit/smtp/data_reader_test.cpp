#include "smtp/data_reader.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace postern::smtp {
namespace {

using namespace std::string_literals;

struct Outcome {
  std::string content;
  std::size_t consumed = 0;
  bool done = false;
  bool oversize = false;
  bool bare = false;
  bool nul = false;
  std::size_t size = 0;
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "{content=" << ::testing::PrintToString(o.content) << " consumed=" << o.consumed << " done=" << o.done
            << " oversize=" << o.oversize << " bare=" << o.bare << " nul=" << o.nul << " size=" << o.size << "}";
}

// Drives a reader like the session does: append each read to a buffer, feed it, drop what
// was consumed, and stop at the terminator. Checks the per-call promises on the way.
Outcome read(const std::vector<std::string_view>& chunks, std::size_t max_size) {
  DataReader reader(max_size);
  Outcome o;
  std::string buffer;
  for (std::string_view chunk : chunks) {
    buffer += chunk;
    const std::size_t before = o.content.size();
    DataReader::Result r = reader.feed(buffer, o.content);
    EXPECT_LE(r.consumed, buffer.size());
    EXPECT_LE(o.content.size() - before, r.consumed) << "out grew by more than was consumed";
    buffer.erase(0, r.consumed);
    o.consumed += r.consumed;
    if (r.done) {
      o.done = true;
      break;
    }
    // Only "." or ".\r" at the start of a line may be held back.
    EXPECT_LE(buffer.size(), 2u) << ::testing::PrintToString(buffer);
  }
  o.oversize = reader.oversize();
  o.bare = reader.bare_line_ending();
  o.nul = reader.has_nul();
  o.size = reader.size();
  return o;
}

Outcome read_whole(std::string_view input, std::size_t max_size = 1 << 20) { return read({input}, max_size); }

// Grinding: every two-way split, byte by byte, and (for short inputs) every three-way split.
void expect_same_at_every_split(std::string_view input, std::size_t max_size = 1 << 20) {
  const Outcome whole = read_whole(input, max_size);
  for (std::size_t i = 0; i <= input.size(); ++i) {
    ASSERT_EQ(read({input.substr(0, i), input.substr(i)}, max_size), whole) << "split at " << i;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
  ASSERT_EQ(read(bytes, max_size), whole) << "byte by byte";
  if (input.size() > 80) return;
  for (std::size_t i = 0; i <= input.size(); ++i) {
    for (std::size_t j = i; j <= input.size(); ++j) {
      ASSERT_EQ(read({input.substr(0, i), input.substr(i, j - i), input.substr(j)}, max_size), whole)
          << "split at " << i << " and " << j;
    }
  }
}

struct Case {
  std::string name;
  std::string input;
  Outcome want;
  std::size_t max_size = 1 << 20;
};

// `all` stands for "the whole input" in the table.
constexpr std::size_t all = std::string::npos;

Outcome done(std::string content, std::size_t consumed = all, bool bare = false, bool nul = false) {
  Outcome o;
  o.size = content.size();
  o.content = std::move(content);
  o.consumed = consumed;
  o.done = true;
  o.bare = bare;
  o.nul = nul;
  return o;
}

Outcome pending(std::string content, std::size_t consumed, bool bare = false) {
  Outcome o = done(std::move(content), consumed, bare);
  o.done = false;
  return o;
}

// Failures name the case rather than dumping its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class DataReaderTable : public ::testing::TestWithParam<Case> {};

TEST_P(DataReaderTable, ReadsAndGrinds) {
  const Case& c = GetParam();
  Outcome want = c.want;
  if (want.consumed == all) want.consumed = c.input.size();
  EXPECT_EQ(read_whole(c.input, c.max_size), want);
  expect_same_at_every_split(c.input, c.max_size);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DataReaderTable,
    ::testing::Values(
        // The CRLF ending the DATA line counts as the first half of the terminator.
        Case{"empty_message", ".\r\n", done("", 3)}, Case{"one_empty_line", "\r\n.\r\n", done("\r\n", 5)},
        Case{"simple", "Subject: hi\r\n\r\nbody\r\n.\r\n", done("Subject: hi\r\n\r\nbody\r\n", 24)},
        // RFC 5321 appendix D.1, byte for byte: the line "...etc. etc. etc." loses its first dot.
        Case{"rfc5321_d1", "Blah blah blah...\r\n...etc. etc. etc.\r\n.\r\n",
             done("Blah blah blah...\r\n..etc. etc. etc.\r\n")},
        // The next commands stay in the buffer.
        Case{"pipelined_quit_not_consumed", "hi\r\n.\r\nQUIT\r\n", done("hi\r\n", 7)},
        Case{"first_terminator_wins", "a\r\n.\r\nb\r\n.\r\n", done("a\r\n", 6)},
        // RFC 5321 §4.5.2 transparency.
        Case{"dot_stuffed_dot", "..\r\n.\r\n", done(".\r\n", 7)},
        Case{"dot_stuffed_text", "..foo\r\n.\r\n", done(".foo\r\n", 10)},
        Case{"three_dots", "...\r\n.\r\n", done("..\r\n", 8)},
        Case{"unstuffed_single_dot_text", ".foo\r\n.\r\n", done("foo\r\n", 9)},
        Case{"dot_mid_line", "a.b\r\na.\r\n.\r\n", done("a.b\r\na.\r\n", 12)},
        Case{"space_dot_is_text", " .\r\n.\r\n", done(" .\r\n", 7)},
        Case{"dot_stuffed_in_middle", "a\r\n..\r\nb\r\n.\r\n", done("a\r\n.\r\nb\r\n", 13)},
        Case{"blank_lines", "\r\n\r\n.\r\n", done("\r\n\r\n", 7)},
        // Bare line endings are passed on as received and remembered.
        Case{"bare_lf", "a\nb\r\n.\r\n", done("a\nb\r\n", 8, true)},
        Case{"bare_cr", "a\rb\r\n.\r\n", done("a\rb\r\n", 8, true)},
        Case{"cr_cr_lf", "a\r\r\n.\r\n", done("a\r\r\n", 7, true)},
        Case{"lf_first", "\nx\r\n.\r\n", done("\nx\r\n", 7, true)},
        Case{"cr_first", "\rx\r\n.\r\n", done("\rx\r\n", 7, true)},
        Case{"dot_cr_x", ".\rx\r\n.\r\n", done("\rx\r\n", 8, true)},
        Case{"dot_cr_cr_lf", ".\r\r\n.\r\n", done("\r\r\n", 7, true)},
        Case{"dot_lf", ".\n.\r\n", pending("\n.\r\n", 5, true)},
        Case{"trailing_cr_before_terminator", "a\r\r\n.\r\n", done("a\r\r\n", 7, true)},
        // NUL is passed on and remembered.
        Case{"nul", "a\0b\r\n.\r\n"s, done("a\0b\r\n"s, 8, false, true)},
        Case{"nul_after_dot", ".\0\r\n.\r\n"s, done("\0\r\n"s, 7, false, true)},
        Case{"high_bytes", "\xc3\xbc\xff\x80\r\n.\r\n", done("\xc3\xbc\xff\x80\r\n", 9)},
        // Incomplete input: everything is consumed except a held "." or ".\r" at line start.
        Case{"nothing", "", pending("", 0)}, Case{"unterminated", "abc", pending("abc", 3)},
        Case{"held_dot", "abc\r\n.", pending("abc\r\n", 5)}, Case{"held_dot_cr", "abc\r\n.\r", pending("abc\r\n", 5)},
        Case{"held_dot_at_start", ".", pending("", 0)}, Case{"held_dot_cr_at_start", ".\r", pending("", 0)},
        Case{"stuffed_dot_not_held", "abc\r\n..", pending("abc\r\n.", 7)},
        Case{"trailing_cr_consumed", "abc\r", pending("abc\r", 4)},
        Case{"trailing_crlf_consumed", "abc\r\n", pending("abc\r\n", 5)}),
    [](const auto& info) { return info.param.name; });

// SMTP smuggling (2023): a sender and receiver that disagree on the end of DATA let an
// attacker's content become new commands. None of these may end the message.
class Smuggling : public ::testing::TestWithParam<std::string> {};

TEST_P(Smuggling, VariantNeverTerminates) {
  const std::string smuggled = "MAIL FROM:<ceo@example.org>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nforged\r\n";
  for (const std::string& prefix : {"Subject: hi\r\n\r\nbody"s, ""s, "x\r\n"s}) {
    const std::string input = prefix + GetParam() + smuggled + ".\r\n";
    SCOPED_TRACE(::testing::PrintToString(input));
    const Outcome o = read_whole(input);
    EXPECT_TRUE(o.done);
    EXPECT_EQ(o.consumed, input.size()) << "ended before the real terminator";
    EXPECT_TRUE(o.bare);
    EXPECT_NE(o.content.find(smuggled), std::string::npos);
    expect_same_at_every_split(input);
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, Smuggling,
                         ::testing::Values("\n.\n", "\n.\r\n", "\r.\r", "\r\n.\n", "\r.\r\n", "\n.\r", "\r\n.\r",
                                           "\r.\n", "\r\n.\r\r\n.\n", "\n\n.\n\n", "\r\r.\r\r", "\r\n.\n\r\n.\n",
                                           "\n\r\n.\r\r\n", "\r\n\n.\r\n\r"));

// Receivers that drop NUL would see "\r\n.\r\n" in these; here they are content, flagged by
// has_nul() for the session to refuse.
TEST(DataReader, NulSmugglingVariantsNeverTerminate) {
  const std::string smuggled = "MAIL FROM:<ceo@example.org>\r\n";
  for (const std::string& variant : {"\r\n\0.\r\n"s, "\r\n.\0\r\n"s, "\r\n.\r\0\n"s, "\r\0\n.\r\n"s}) {
    const std::string input = "body" + variant + smuggled + ".\r\n";
    SCOPED_TRACE(::testing::PrintToString(input));
    const Outcome o = read_whole(input);
    EXPECT_TRUE(o.done);
    EXPECT_EQ(o.consumed, input.size());
    EXPECT_TRUE(o.nul);
    EXPECT_NE(o.content.find(smuggled), std::string::npos);
    expect_same_at_every_split(input);
  }
}

TEST(DataReader, SmugglingVariantsWithoutPrefixCheckedByName) {
  // "\n.\r\n" right after the DATA line: the LF is bare, so the dot is not at a line start.
  const Outcome o = read_whole("\n.\r\nQUIT\r\n");
  EXPECT_FALSE(o.done);
  EXPECT_TRUE(o.bare);
  EXPECT_EQ(o.consumed, 10u);
}

TEST(DataReader, OversizeExactBoundary) {
  const std::string input = "abc\r\n.\r\n";  // 5 octets of content
  Outcome at = read_whole(input, 5);
  EXPECT_FALSE(at.oversize);
  EXPECT_EQ(at.content, "abc\r\n");
  EXPECT_EQ(at.size, 5u);

  Outcome over = read_whole(input, 4);
  EXPECT_TRUE(over.oversize);
  EXPECT_TRUE(over.done);
  EXPECT_EQ(over.consumed, input.size()) << "an oversize message is still read to its end";
  EXPECT_EQ(over.content, "abc\r");
  EXPECT_EQ(over.size, 5u);

  Outcome zero = read_whole(input, 0);
  EXPECT_TRUE(zero.oversize);
  EXPECT_EQ(zero.content, "");
  EXPECT_EQ(zero.size, 5u);

  EXPECT_FALSE(read_whole(".\r\n", 0).oversize);
  for (std::size_t max : {0u, 3u, 4u, 5u, 6u}) expect_same_at_every_split(input, max);
}

TEST(DataReader, OversizeCountsAfterUnstuffing) {
  // "..\r\n" is 3 octets of content.
  EXPECT_FALSE(read_whole("..\r\n.\r\n", 3).oversize);
  Outcome o = read_whole("..\r\n.\r\n", 2);
  EXPECT_TRUE(o.oversize);
  EXPECT_EQ(o.content, ".\r");
  EXPECT_EQ(o.size, 3u);
}

TEST(DataReader, OversizeStillSeesBareLineEndingsAndNulBeyondTheLimit) {
  Outcome o = read_whole("abcdef\nxyz\0\r\n.\r\n"s, 3);
  EXPECT_TRUE(o.oversize);
  EXPECT_TRUE(o.bare);
  EXPECT_TRUE(o.nul);
  EXPECT_EQ(o.content, "abc");
}

TEST(DataReader, LargeMessageIsStreamed) {
  std::string input;
  std::string want;
  for (int i = 0; i < 20000; ++i) {
    std::string line = (i % 7 == 0 ? "." : "") + std::string(static_cast<std::size_t>(i % 90), 'x');
    input += (line.starts_with(".") ? "." : "") + line + "\r\n";
    want += line + "\r\n";
  }
  input += ".\r\nQUIT\r\n";
  // Reads of 4096 octets, as a socket would give them.
  std::vector<std::string_view> chunks;
  for (std::size_t i = 0; i < input.size(); i += 4096) chunks.push_back(std::string_view(input).substr(i, 4096));
  Outcome o = read(chunks, 1 << 30);
  EXPECT_TRUE(o.done);
  EXPECT_EQ(o.content, want);
  EXPECT_EQ(o.consumed, input.size() - 6);
  EXPECT_FALSE(o.bare);
}

// An independent model of the rules, written as whole-string operations instead of a state
// machine: the terminator is the first "\r\n.\r\n" in "\r\n" + input.
Outcome model(std::string_view input, std::size_t max_size) {
  Outcome o;
  const std::string s = "\r\n" + std::string(input);
  const std::size_t p = s.find("\r\n.\r\n");
  std::string_view raw;
  if (p != std::string::npos) {
    o.done = true;
    o.consumed = p + 3;
    raw = input.substr(0, p);
  } else {
    // A "." or ".\r" at a line start is held back until the next octet decides.
    std::size_t held = 0;
    if (s.ends_with("\r\n.")) held = 1;
    if (s.ends_with("\r\n.\r")) held = 2;
    o.consumed = input.size() - held;
    raw = input.substr(0, o.consumed);
  }
  std::string content;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    const bool line_start = i == 0 || (i >= 2 && raw[i - 2] == '\r' && raw[i - 1] == '\n');
    if (c == '\r' && i + 1 < raw.size() && raw[i + 1] != '\n') o.bare = true;
    if (c == '\n' && (i == 0 || raw[i - 1] != '\r')) o.bare = true;
    if (c == '\0') o.nul = true;
    if (c == '.' && line_start) continue;
    content.push_back(c);
  }
  o.size = content.size();
  o.oversize = content.size() > max_size;
  o.content = content.substr(0, std::min(max_size, content.size()));
  return o;
}

TEST(DataReader, AgreesWithTheModelOnRandomInput) {
  std::mt19937 rng(5321);
  const std::string alphabet = "ab..\r\r\r\n\n\n\0"s;
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<std::size_t> length(0, 24);
  const std::size_t limits[] = {0, 1, 4, 1 << 20};
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string input;
    const std::size_t n = length(rng);
    for (std::size_t i = 0; i < n; ++i) input.push_back(alphabet[pick(rng)]);
    const std::size_t max_size = limits[static_cast<std::size_t>(iteration) % 4];
    SCOPED_TRACE(::testing::PrintToString(input) + " max " + std::to_string(max_size));
    const Outcome got = read_whole(input, max_size);
    ASSERT_EQ(got, model(input, max_size));
    if (iteration % 10 == 0) expect_same_at_every_split(input, max_size);
  }
}

}  // namespace
}  // namespace postern::smtp
