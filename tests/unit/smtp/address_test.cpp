#include "smtp/address.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "smtp/command.hpp"
#include "smtp/line_framer.hpp"

namespace postern::smtp {
namespace {

using namespace std::string_literals;

struct Flags {
  bool allow_null = false;
  bool allow_postmaster = false;
  bool smtputf8 = false;
};
constexpr Flags plain{};
constexpr Flags mail_from{true, false, false};
constexpr Flags rcpt_to{false, true, false};
constexpr Flags utf8{false, false, true};

// A parse result flattened into one comparable string:
//   "local|domain|q|u|r" (quoted, utf8, source route as 0/1), "<>", "postmaster", or the error.
std::string describe(const std::expected<Path, AddressError>& r) {
  if (!r) {
    switch (r.error()) {
      case AddressError::syntax:
        return "syntax";
      case AddressError::too_long:
        return "too_long";
      case AddressError::non_ascii:
        return "non_ascii";
    }
  }
  std::string route = r->had_source_route ? "|route" : "";
  if (r->postmaster) return "postmaster" + route;
  if (!r->mailbox) return "<>" + route;
  const Mailbox& m = *r->mailbox;
  return m.local + "|" + m.domain + "|" + (m.quoted ? "q" : "-") + (m.utf8 ? "u" : "-") + route;
}

std::string parse(std::string_view text, Flags f) {
  return describe(parse_path(text, f.allow_null, f.allow_postmaster, f.smtputf8));
}

// Grinding through the whole command path: "RCPT TO:<path>\r\n" split at every position and
// byte by byte gives the same path as parsing the text directly. (RCPT is used for its flags:
// postmaster allowed, null refused; the cases with other flags are ground with their own.)
void grind(std::string_view text, Flags f) {
  const std::string want = parse(text, f);
  const std::string wire = "RCPT TO:" + std::string(text) + "\r\n";
  auto run = [&](const std::vector<std::string_view>& chunks) {
    LineFramer framer(1000);
    std::string buffer;
    std::vector<std::string> got;
    for (auto part : chunks) {
      buffer += part;
      while (true) {
        auto ev = framer.next(buffer);
        if (ev.kind == LineFramer::Kind::line) {
          auto cmd = parse_command(ev.line);
          if (!cmd || !cmd->args.starts_with("TO:")) {
            got.push_back("command error");
          } else {
            got.push_back(parse(cmd->args.substr(3), f));
          }
        }
        buffer.erase(0, ev.consumed);
        if (ev.kind == LineFramer::Kind::need_more) break;
      }
    }
    return got;
  };
  const std::string_view w(wire);
  for (std::size_t i = 0; i <= w.size(); ++i) {
    EXPECT_EQ(run({w.substr(0, i), w.substr(i)}), std::vector<std::string>{want}) << "split at " << i;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < w.size(); ++i) bytes.push_back(w.substr(i, 1));
  EXPECT_EQ(run(bytes), std::vector<std::string>{want}) << "byte by byte";
}

struct Case {
  std::string text;
  Flags flags;
  std::string want;
};

void run_table(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.text));
    EXPECT_EQ(parse(c.text, c.flags), c.want);
    // Control bytes cannot travel through a command line; those cases are checked directly.
    bool has_control =
        std::ranges::any_of(c.text, [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; });
    if (!has_control) grind(c.text, c.flags);
  }
}

TEST(ParsePath, ValidMailboxes) {
  run_table({
      // RFC 5321 §D.1 / §D.3 examples.
      {"<Smith@bar.com>", plain, "Smith|bar.com|--"},
      {"<Jones@foo.com>", plain, "Jones|foo.com|--"},
      {"<Green@foo.com>", plain, "Green|foo.com|--"},
      {"<JQP@bar.com>", plain, "JQP|bar.com|--"},
      // Local parts keep their case; domains are lower-cased.
      {"<User.Name@Example.ORG>", plain, "User.Name|example.org|--"},
      {"<a.b.c@x.y.z>", plain, "a.b.c|x.y.z|--"},
      {"<!#$%&'*+-/=?^_`{|}~@example.org>", plain, "!#$%&'*+-/=?^_`{|}~|example.org|--"},
      {"<a@localhost>", plain, "a|localhost|--"},
      {"<a@1.2.3.4>", plain, "a|1.2.3.4|--"},
      {"<a@xn--bcher-kva.example>", plain, "a|xn--bcher-kva.example|--"},
      {"<a@a-b--c.example>", plain, "a|a-b--c.example|--"},
      {"<a@" + std::string(63, 'x') + ".example>", plain, "a|" + std::string(63, 'x') + ".example|--"},
      // Hostile but syntactically valid: the relay policy, not the parser, refuses these.
      {"<user%host@example.org>", plain, "user%host|example.org|--"},
      {"<a!b@example.org>", plain, "a!b|example.org|--"},
      {"<host!user@example.org>", plain, "host!user|example.org|--"},
      // Quoted strings: the local part is kept unquoted.
      {"<\"a@b\"@example.org>", plain, "a@b|example.org|q-"},
      {"<\"a b\"@example.org>", plain, "a b|example.org|q-"},
      {"<\"abc\"@example.org>", plain, "abc|example.org|q-"},
      {"<\"a\\\"b\"@example.org>", plain, "a\"b|example.org|q-"},
      {"<\"a\\\\b\"@example.org>", plain, "a\\b|example.org|q-"},
      {"<\"\\a\"@example.org>", plain, "a|example.org|q-"},
      {"<\"\"@example.org>", plain, "|example.org|q-"},
      {"<\"a>b\"@example.org>", plain, "a>b|example.org|q-"},
      {"<\"<@>:,;\"@example.org>", plain, "<@>:,;|example.org|q-"},
      // RFC 5321 §4.1.2 A-d-l and appendix C: the route is dropped but remembered.
      {"<@hosta.int,@jkl.org:userc@d.bar.org>", plain, "userc|d.bar.org|--|route"},
      {"<@a:u@c>", plain, "u|c|--|route"},
      // RFC 5321 §4.1.3 address literals.
      {"<u@[192.0.2.1]>", plain, "u|[192.0.2.1]|--"},
      {"<u@[0.0.0.0]>", plain, "u|[0.0.0.0]|--"},
      {"<u@[255.255.255.255]>", plain, "u|[255.255.255.255]|--"},
      {"<u@[010.001.1.1]>", plain, "u|[010.001.1.1]|--"},
      {"<u@[IPv6:2001:db8::1]>", plain, "u|[IPv6:2001:db8::1]|--"},
      {"<u@[ipv6:2001:DB8::1]>", plain, "u|[ipv6:2001:DB8::1]|--"},
      {"<u@[IPv6:2001:db8:0:0:0:0:0:1]>", plain, "u|[IPv6:2001:db8:0:0:0:0:0:1]|--"},
      {"<u@[IPv6:::1]>", plain, "u|[IPv6:::1]|--"},
      {"<u@[IPv6:::]>", plain, "u|[IPv6:::]|--"},
      {"<u@[IPv6:1::]>", plain, "u|[IPv6:1::]|--"},
      {"<u@[IPv6:1:2:3:4:5:6::7]>", plain, "u|[IPv6:1:2:3:4:5:6::7]|--"},
      {"<u@[IPv6:::ffff:192.0.2.1]>", plain, "u|[IPv6:::ffff:192.0.2.1]|--"},
      {"<u@[IPv6:1:2:3:4:5:6:192.0.2.1]>", plain, "u|[IPv6:1:2:3:4:5:6:192.0.2.1]|--"},
      {"<u@[IPv6:ffff:FFFF:abcd:0:0:0:0:1]>", plain, "u|[IPv6:ffff:FFFF:abcd:0:0:0:0:1]|--"},
      // Null path and postmaster.
      {"<>", mail_from, "<>"},
      {"<postmaster>", rcpt_to, "postmaster"},
      {"<PostMaster>", rcpt_to, "postmaster"},
      {"<Postmaster@example.org>", rcpt_to, "Postmaster|example.org|--"},
  });
}

TEST(ParsePath, Utf8) {
  run_table({
      // RFC 6531 §3.3: UTF-8 in local parts and domains when SMTPUTF8 is in force.
      {"<\xc3\xbc@example.org>", utf8, "\xc3\xbc|example.org|-u"},
      {"<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a>", utf8,
       "\xe7\x94\xa8\xe6\x88\xb7|\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a|-u"},
      {"<a@B\xc3\x9c"
       "CHER.example>",
       utf8,
       "a|b\xc3\x9c"
       "cher.example|-u"},
      {"<\"\xc3\xbc b\"@example.org>", utf8, "\xc3\xbc b|example.org|qu"},
      {"<\xf0\x9f\x93\xa7@example.org>", utf8, "\xf0\x9f\x93\xa7|example.org|-u"},
      {"<@r\xc3\xbc.example:a@example.org>", utf8, "a|example.org|--|route"},
      // Without SMTPUTF8: refused as non-ASCII, so the session can answer 553 5.6.7.
      {"<\xc3\xbc@example.org>", plain, "non_ascii"},
      {"<a@b\xc3\xbc"
       "cher.example>",
       plain, "non_ascii"},
      {"<\"\xc3\xbc\"@example.org>", plain, "non_ascii"},
      {"<@r\xc3\xbc.example:a@example.org>", plain, "non_ascii"},
      // Not UTF-8 at all, or UTF-8 where it has no place: plain syntax errors.
      {"<\xff@example.org>", plain, "syntax"},
      {"<\xff@example.org>", utf8, "syntax"},
      {"<\xc3@example.org>", utf8, "syntax"},
      {"<\xc0\xaf@example.org>", utf8, "syntax"},
      {"<\xe0\x80\xaf@example.org>", utf8, "syntax"},
      {"<\xed\xa0\x80@example.org>", utf8, "syntax"},
      {"<\xf4\x90\x80\x80@example.org>", utf8, "syntax"},
      {"<\xf8\x88\x80\x80\x80@example.org>", utf8, "syntax"},
      {"<\x80@example.org>", utf8, "syntax"},
      {"<a@[\xc3\xbc]>", utf8, "syntax"},
      {"<a@[IPv6:\xc3\xbc::1]>", utf8, "syntax"},
      {"<\"a\\\xc3\xbc\"@example.org>", utf8, "syntax"},
      {"<a@-\xc3\xbc.example>", utf8, "syntax"},
  });
}

TEST(ParsePath, SyntaxErrors) {
  run_table({
      {"user@example.org", plain, "syntax"},
      {"<user@example.org", plain, "syntax"},
      {"user@example.org>", plain, "syntax"},
      {" <a@example.org>", plain, "syntax"},
      {"<a@example.org> ", plain, "syntax"},
      {"< a@example.org>", plain, "syntax"},
      {"<a@example.org >", plain, "syntax"},
      {"<", plain, "syntax"},
      {"", plain, "syntax"},
      {"<>", plain, "syntax"},
      {"<>", rcpt_to, "syntax"},
      {"<postmaster>", plain, "syntax"},
      {"<postmaster>", mail_from, "syntax"},
      {"<@a:postmaster>", rcpt_to, "syntax"},
      {"<a>", plain, "syntax"},
      {"<@example.org>", plain, "syntax"},
      {"<a@>", plain, "syntax"},
      {"<a@b@c>", plain, "syntax"},
      {"<.a@b>", plain, "syntax"},
      {"<a.@b>", plain, "syntax"},
      {"<a..b@c>", plain, "syntax"},
      {"<a b@c>", plain, "syntax"},
      {"<a(comment)@c>", plain, "syntax"},
      {"<a\\b@c>", plain, "syntax"},
      {"<[a]@c>", plain, "syntax"},
      {"<<a@b>>", plain, "syntax"},
      {"<a@b>>", plain, "syntax"},
      // Unbalanced quotes and broken quoted strings.
      {"<\"a@b>", plain, "syntax"},
      {"<\"a\"b@c>", plain, "syntax"},
      {"<a\"b\"@c>", plain, "syntax"},
      {"<\"a\".b@c>", plain, "syntax"},
      {"<\"a\\\"@c>", plain, "syntax"},
      {"<\"a\"@>", plain, "syntax"},
      // Domains.
      {"<a@-b.example>", plain, "syntax"},
      {"<a@b-.example>", plain, "syntax"},
      {"<a@b..example>", plain, "syntax"},
      {"<a@.b.example>", plain, "syntax"},
      {"<a@b.example.>", plain, "syntax"},
      {"<a@b_c.example>", plain, "syntax"},
      {"<a@b c.example>", plain, "syntax"},
      {"<a@b,c.example>", plain, "syntax"},
      {"<a@" + std::string(64, 'x') + ".example>", plain, "syntax"},
      // Address literals, unbalanced brackets.
      {"<a@[1.2.3]>", plain, "syntax"},
      {"<a@[1.2.3.4.5]>", plain, "syntax"},
      {"<a@[256.1.1.1]>", plain, "syntax"},
      {"<a@[1.2.3.1000]>", plain, "syntax"},
      {"<a@[0001.2.3.4]>", plain, "syntax"},
      {"<a@[1.2.3.4.]>", plain, "syntax"},
      {"<a@[1..3.4]>", plain, "syntax"},
      {"<a@[-1.2.3.4]>", plain, "syntax"},
      {"<a@[1.2.3.4>", plain, "syntax"},
      {"<a@1.2.3.4]>", plain, "syntax"},
      {"<a@[1.2.3.4]x>", plain, "syntax"},
      {"<a@[[1.2.3.4]]>", plain, "syntax"},
      {"<a@[]>", plain, "syntax"},
      {"<a@[IPv6:]>", plain, "syntax"},
      {"<a@[IPv6:1::2::3]>", plain, "syntax"},
      {"<a@[IPv6:12345::1]>", plain, "syntax"},
      {"<a@[IPv6:1:2:3:4:5:6:7]>", plain, "syntax"},
      {"<a@[IPv6:1:2:3:4:5:6:7:8:9]>", plain, "syntax"},
      {"<a@[IPv6:1:2:3:4:5:6:7::8]>", plain, "syntax"},
      {"<a@[IPv6:1:2:3:4:5:6:7:192.0.2.1]>", plain, "syntax"},
      {"<a@[IPv6:1.2.3.4::]>", plain, "syntax"},
      {"<a@[IPv6::1]>", plain, "syntax"},
      {"<a@[IPv6:1:]>", plain, "syntax"},
      {"<a@[IPv6:g::1]>", plain, "syntax"},
      {"<a@[IPv6:::1.2.3]>", plain, "syntax"},
      {"<a@[2001:db8::1]>", plain, "syntax"},
      {"<a@[x-tag:content]>", plain, "syntax"},
      {"<a@[IPv4:1.2.3.4]>", plain, "syntax"},
      // Source routes.
      {"<@a,@b>", plain, "syntax"},
      {"<@a,@b:>", plain, "syntax"},
      {"<@a,b:u@c>", plain, "syntax"},
      {"<@:u@c>", plain, "syntax"},
      {"<@a,,@b:u@c>", plain, "syntax"},
      {"<@a,@b,:u@c>", plain, "syntax"},
      {"<@[1.2.3.4]:u@c>", plain, "syntax"},
      {"<@a:@b:u@c>", plain, "syntax"},
      {"<a,@b:u@c>", plain, "syntax"},
      // Bang path with no domain.
      {"<host!user>", plain, "syntax"},
      // Controls, NUL.
      {"<a\0@example.org>"s, plain, "syntax"},
      {"<a@example.org\0>"s, plain, "syntax"},
      {"<\0>"s, mail_from, "syntax"},
      {"<a\x01@example.org>", plain, "syntax"},
      {"<\"a\x01\"@example.org>", plain, "syntax"},
      {"<\"a\\\x01\"@example.org>", plain, "syntax"},
      {"<\"a\t\"@example.org>", plain, "syntax"},
      {"<\"a\x7f\"@example.org>", plain, "syntax"},
      {"<a\r@example.org>", plain, "syntax"},
  });
}

TEST(ParsePath, LengthLimits) {
  // RFC 5321 §4.5.3.1.1: local part at most 64 octets (as sent, quotes included).
  const std::string l64(64, 'l');
  const std::string l65(65, 'l');
  run_table({
      {"<" + l64 + "@example.org>", plain, l64 + "|example.org|--"},
      {"<" + l65 + "@example.org>", plain, "too_long"},
      {"<\"" + std::string(62, 'q') + "\"@example.org>", plain, std::string(62, 'q') + "|example.org|q-"},
      {"<\"" + std::string(63, 'q') + "\"@example.org>", plain, "too_long"},
  });
  // RFC 5321 §4.5.3.1.3: a path at most 256 octets including the brackets, which also keeps
  // the domain within §4.5.3.1.2's 255.
  const std::string domain =
      std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(60, 'd');
  ASSERT_EQ(domain.size(), 252u);
  EXPECT_EQ(parse("<l@" + domain + ">", plain), "l|" + domain + "|--");
  EXPECT_EQ(parse("<ll@" + domain + ">", plain), "too_long");
  EXPECT_EQ(parse("<@a.example:l@" + domain + ">", plain), "too_long");
  EXPECT_EQ(parse("<" + std::string(300, '\xff') + ">", plain), "too_long");
  // A domain over 255 in a short path cannot exist, but a huge input is refused cheaply.
  EXPECT_EQ(parse("<a@" + std::string(100000, 'a') + ">", plain), "too_long");
}

TEST(ParsePath, EveryFlagCombinationOnTheSpecialPaths) {
  for (int bits = 0; bits < 8; ++bits) {
    Flags f{(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0};
    EXPECT_EQ(parse("<>", f), f.allow_null ? "<>" : "syntax");
    EXPECT_EQ(parse("<postmaster>", f), f.allow_postmaster ? "postmaster" : "syntax");
    EXPECT_EQ(parse("<\xc3\xbc@x.example>", f), f.smtputf8 ? "\xc3\xbc|x.example|-u" : "non_ascii");
  }
}

TEST(ParsePath, EveryAsciiByteInADotStringLocalPart) {
  // RFC 5322 §3.2.3 atext, exhaustively.
  const std::string atext_specials = "!#$%&'*+-/=?^_`{|}~";
  for (int c = 0; c < 0x80; ++c) {
    const char ch = static_cast<char>(c);
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    const bool atext = alnum || atext_specials.find(ch) != std::string::npos;
    const std::string text = "<a"s + ch + "b@example.org>";
    if (atext) {
      EXPECT_EQ(parse(text, plain), "a"s + ch + "b|example.org|--") << c;
    } else if (ch != '.') {
      EXPECT_EQ(parse(text, plain), "syntax") << c;
    }
  }
}

TEST(ParsePath, EveryAsciiByteInAQuotedLocalPart) {
  // RFC 5321 §4.1.2: qtextSMTP = %d32-33 / %d35-91 / %d93-126; quoted-pairSMTP = "\" %d32-126.
  for (int c = 0; c < 0x80; ++c) {
    const char ch = static_cast<char>(c);
    const bool printable = c >= 32 && c <= 126;
    const std::string bare = "<\""s + ch + "\"@example.org>";
    const std::string escaped = "<\"\\"s + ch + "\"@example.org>";
    const bool bare_ok = printable && ch != '"' && ch != '\\';
    EXPECT_EQ(parse(bare, plain), bare_ok ? std::string(1, ch) + "|example.org|q-" : "syntax") << c;
    EXPECT_EQ(parse(escaped, plain), printable ? std::string(1, ch) + "|example.org|q-" : "syntax") << c;
  }
}

TEST(MailboxToString, RequotesWhenNeeded) {
  EXPECT_EQ((Mailbox{"a.b", "example.org"}.to_string()), "a.b@example.org");
  EXPECT_EQ((Mailbox{"user%host", "example.org"}.to_string()), "user%host@example.org");
  EXPECT_EQ((Mailbox{"a b", "example.org", true}.to_string()), "\"a b\"@example.org");
  EXPECT_EQ((Mailbox{"a@b", "example.org", true}.to_string()), "\"a@b\"@example.org");
  EXPECT_EQ((Mailbox{"a\"b", "example.org", true}.to_string()), "\"a\\\"b\"@example.org");
  EXPECT_EQ((Mailbox{"a\\b", "example.org", true}.to_string()), "\"a\\\\b\"@example.org");
  EXPECT_EQ((Mailbox{"", "example.org", true}.to_string()), "\"\"@example.org");
  EXPECT_EQ((Mailbox{".a", "example.org", true}.to_string()), "\".a\"@example.org");
  EXPECT_EQ((Mailbox{"a..b", "example.org", true}.to_string()), "\"a..b\"@example.org");
  EXPECT_EQ((Mailbox{"a.", "example.org", true}.to_string()), "\"a.\"@example.org");
  // A quoted local part that is a valid dot-string needs no quotes.
  EXPECT_EQ((Mailbox{"abc", "example.org", true}.to_string()), "abc@example.org");
  EXPECT_EQ((Mailbox{"\xc3\xbc", "example.org", false, true}.to_string()), "\xc3\xbc@example.org");
  EXPECT_EQ((Mailbox{"u", "[IPv6:::1]"}.to_string()), "u@[IPv6:::1]");
}

TEST(MailboxToString, RoundTripsThroughTheParser) {
  const std::vector<std::string> paths = {
      "<a.b@example.org>",     "<\"a b\"@example.org>",    "<\"a\\\"b\"@example.org>", "<\"a\\\\b\"@example.org>",
      "<\"\"@example.org>",    "<\"a..b\"@example.org>",   "<\"abc\"@example.org>",    "<u@[192.0.2.1]>",
      "<\"a@b\"@example.org>", "<\"\\a\\b\"@example.org>", "<\"<@>:,;\"@example.org>", "<\"a.\"@example.org>",
  };
  for (const auto& p : paths) {
    auto first = parse_path(p, false, false, false);
    ASSERT_TRUE(first) << p;
    const std::string text = first->mailbox->to_string();
    auto second = parse_path("<" + text + ">", false, false, false);
    ASSERT_TRUE(second) << text;
    EXPECT_EQ(second->mailbox->local, first->mailbox->local) << p;
    EXPECT_EQ(second->mailbox->domain, first->mailbox->domain) << p;
    EXPECT_EQ(second->mailbox->to_string(), text) << p;
  }
}

TEST(HeloArgument, Table) {
  struct HeloCase {
    std::string text;
    bool valid;
  };
  const std::vector<HeloCase> cases = {
      {"mail.example.org", true},
      {"MAIL.Example.ORG", true},
      {"localhost", true},
      {"a", true},
      {"xn--bcher-kva.example", true},
      {"[192.0.2.1]", true},
      {"[IPv6:2001:db8::1]", true},
      {"[IPv6:::1]", true},
      // Tolerated departures (see is_valid_helo_argument): bare addresses, underscores.
      {"192.0.2.1", true},
      {"2001:db8::1", true},
      {"::1", true},
      {"my_pc", true},
      {"my_pc.corp.example", true},
      {std::string(63, 'a') + ".example", true},
      {"", false},
      {"-a.example", false},
      {"a-.example", false},
      {"a..example", false},
      {".a.example", false},
      {"a.example.", false},
      {"a b", false},
      {"a,b", false},
      {"user@example.org", false},
      {"<mail.example.org>", false},
      {"[192.0.2.1", false},
      {"192.0.2.1]", false},
      {"[1.2.3]", false},
      {"[256.0.0.1]", false},
      {"[2001:db8::1]", false},
      {"[IPv6:1::2::3]", false},
      {"1:2", false},
      {"1::2::3", false},
      {"b\xc3\xbc"
       "cher.example",
       false},
      {"a\tb", false},
      {std::string(64, 'a') + ".example", false},
      // RFC 5321 §4.5.3.1.2: five valid 60-octet labels make a 304-octet name.
      {std::string(60, 'a') + "." + std::string(60, 'b') + "." + std::string(60, 'c') + "." + std::string(60, 'd') +
           "." + std::string(60, 'e'),
       false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(is_valid_helo_argument(c.text), c.valid) << ::testing::PrintToString(c.text);
  }
}

}  // namespace
}  // namespace postern::smtp
