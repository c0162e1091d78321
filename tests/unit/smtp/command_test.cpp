#include "smtp/command.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "smtp/line_framer.hpp"

namespace postern::smtp {
namespace {

using namespace std::string_literals;

// A parse result flattened into a string, so results compare with one EXPECT_EQ.
std::string describe(const std::expected<Command, CommandError>& r) {
  if (!r) return r.error() == CommandError::bad_character ? "bad_character" : "unrecognized";
  return std::to_string(static_cast<int>(r->verb)) + "|" + std::string(r->args);
}

// Frames `chunks` (fed one after the other) and parses every line.
std::vector<std::string> parse_wire(const std::vector<std::string_view>& chunks) {
  LineFramer framer(1000);
  std::string buffer;
  std::vector<std::string> results;
  for (std::string_view part : chunks) {
    buffer += part;
    while (true) {
      auto ev = framer.next(buffer);
      if (ev.kind == LineFramer::Kind::line) results.push_back(describe(parse_command(ev.line)));
      buffer.erase(0, ev.consumed);
      if (ev.kind == LineFramer::Kind::need_more) break;
    }
  }
  return results;
}

// Grinding through the framer: the command bytes with CRLF, split at every position and fed
// byte by byte, must give one line that parses exactly like the line itself.
void expect_same_through_framer(const std::string& line) {
  const std::vector<std::string> expected{describe(parse_command(line))};
  const std::string wire = line + "\r\n";
  const std::string_view w(wire);
  for (std::size_t split = 0; split <= w.size(); ++split) {
    EXPECT_EQ(parse_wire({w.substr(0, split), w.substr(split)}), expected) << "split at " << split;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < w.size(); ++i) bytes.push_back(w.substr(i, 1));
  EXPECT_EQ(parse_wire(bytes), expected) << "byte by byte";
}

struct CommandCase {
  std::string line;
  std::expected<Command, CommandError> want;
};

std::expected<Command, CommandError> ok(Verb v, std::string_view args = {}) { return Command{v, args}; }
std::unexpected<CommandError> err(CommandError e) { return std::unexpected(e); }

TEST(ParseCommand, Table) {
  const std::vector<CommandCase> cases = {
      {"EHLO client.example.org", ok(Verb::ehlo, "client.example.org")},
      {"ehlo client.example.org", ok(Verb::ehlo, "client.example.org")},
      {"EhLo x", ok(Verb::ehlo, "x")},
      {"HELO x", ok(Verb::helo, "x")},
      {"MAIL FROM:<a@example.org> SIZE=10", ok(Verb::mail, "FROM:<a@example.org> SIZE=10")},
      {"RCPT TO:<b@example.org>", ok(Verb::rcpt, "TO:<b@example.org>")},
      {"RCPT    TO:<b@example.org>", ok(Verb::rcpt, "TO:<b@example.org>")},
      {"DATA", ok(Verb::data)},
      {"BDAT 100 LAST", ok(Verb::bdat, "100 LAST")},
      {"RSET", ok(Verb::rset)},
      {"NOOP", ok(Verb::noop)},
      {"NOOP ", ok(Verb::noop)},
      {"NOOP a\tb", ok(Verb::noop, "a\tb")},
      {"QUIT", ok(Verb::quit)},
      {"quit", ok(Verb::quit)},
      {"VRFY postmaster", ok(Verb::vrfy, "postmaster")},
      {"EXPN staff", ok(Verb::expn, "staff")},
      {"HELP", ok(Verb::help)},
      {"HELP MAIL", ok(Verb::help, "MAIL")},
      {"STARTTLS", ok(Verb::starttls)},
      {"starttls", ok(Verb::starttls)},
      {"AUTH PLAIN AHRlc3QAdGVzdA==", ok(Verb::auth, "PLAIN AHRlc3QAdGVzdA==")},
      {"AUTH LOGIN", ok(Verb::auth, "LOGIN")},
      // Trailing spaces are kept: the verb handlers decide.
      {"EHLO x ", ok(Verb::ehlo, "x ")},
      // RFC 6531: UTF-8 in arguments.
      {"RCPT TO:<\xc3\xbc@example.org>", ok(Verb::rcpt, "TO:<\xc3\xbc@example.org>")},
      {"NOOP \xff\xfe", ok(Verb::noop, "\xff\xfe")},
      {"", err(CommandError::unrecognized)},
      {" EHLO x", err(CommandError::unrecognized)},
      {"EHLOX", err(CommandError::unrecognized)},
      {"EHL", err(CommandError::unrecognized)},
      {"XYZZY", err(CommandError::unrecognized)},
      {"MAIL: FROM:<a@b>", err(CommandError::unrecognized)},
      {"STARTTLSX", err(CommandError::unrecognized)},
      {"E HLO", err(CommandError::unrecognized)},
      {"EHLO\tx", err(CommandError::bad_character)},
      {"\tEHLO x", err(CommandError::bad_character)},
      {"EHLO x\0"s, err(CommandError::bad_character)},
      {"\0EHLO x"s, err(CommandError::bad_character)},
      {"MAIL FROM:<a\0@b>"s, err(CommandError::bad_character)},
      {"EHLO x\ry", err(CommandError::bad_character)},
      {"NOOP\r", err(CommandError::bad_character)},
      {"EHLO \x7f", err(CommandError::bad_character)},
      {"EHLO \x1b[31m", err(CommandError::bad_character)},
      {"EHLO \x01", err(CommandError::bad_character)},
      {"\xc3\x89HLO x", err(CommandError::bad_character)},
      {"EHLO\x80 x", err(CommandError::bad_character)},
      {"XYZZY \x00"s, err(CommandError::bad_character)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.line));
    EXPECT_EQ(describe(parse_command(c.line)), describe(c.want));
    // A line feed never reaches the parser inside a line, so only lines without LF are ground.
    if (c.line.find('\n') == std::string::npos && c.line.find('\r') == std::string::npos) {
      expect_same_through_framer(c.line);
    }
  }
}

TEST(ParseCommand, ArgsViewIntoTheLine) {
  std::string line = "EHLO   host.example";
  auto r = parse_command(line);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->args.data(), line.data() + 7);
  EXPECT_EQ(r->args, "host.example");
}

TEST(ParseCommand, EveryControlByteIsRefusedInArgs) {
  for (int c = 0; c < 0x20; ++c) {
    std::string line = "NOOP a";
    line.push_back(static_cast<char>(c));
    auto r = parse_command(line);
    if (c == '\t') {
      EXPECT_TRUE(r) << c;
    } else {
      ASSERT_FALSE(r) << c;
      EXPECT_EQ(r.error(), CommandError::bad_character) << c;
    }
  }
}

TEST(ParseCommand, EveryHighByteIsAllowedInArgsButNotInTheVerb) {
  for (int c = 0x80; c <= 0xff; ++c) {
    std::string args = "NOOP ";
    args.push_back(static_cast<char>(c));
    EXPECT_TRUE(parse_command(args)) << c;
    std::string verb = "NOOP";
    verb.push_back(static_cast<char>(c));
    auto r = parse_command(verb);
    ASSERT_FALSE(r) << c;
    EXPECT_EQ(r.error(), CommandError::bad_character) << c;
  }
}

}  // namespace
}  // namespace postern::smtp
