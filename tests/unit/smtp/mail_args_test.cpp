#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "smtp/command.hpp"
#include "smtp/line_framer.hpp"

namespace postern::smtp {
namespace {

std::string describe_address_error(AddressError e) {
  switch (e) {
    case AddressError::syntax:
      return "syntax";
    case AddressError::too_long:
      return "too_long";
    case AddressError::non_ascii:
      return "non_ascii";
  }
  return "?";
}

// The result flattened to one string: "path|K=V|K" or "error:...".
std::string describe(const std::expected<MailArgs, MailArgsFailure>& r) {
  if (!r) {
    if (r.error().error == MailArgsError::syntax) return "error:syntax";
    return "error:address:" + describe_address_error(r.error().address_error);
  }
  std::string s;
  const Path& p = r->path;
  if (p.postmaster) {
    s = "postmaster";
  } else if (!p.mailbox) {
    s = "<>";
  } else {
    s = p.mailbox->to_string();
  }
  if (p.had_source_route) s += "(route)";
  for (const Parameter& param : r->params) {
    s += "|" + param.keyword;
    if (param.has_value) s += "=" + param.value;
  }
  return s;
}

// Full pipeline: "MAIL <args>\r\n" through the framer (split at every position), then
// parse_command, then the argument parser. Each must agree with parsing the args directly.
template <class Parse>
void grind(const std::string& verb, const std::string& args, Parse parse) {
  // What the line gives when parsed in one piece (a control byte stops it at parse_command).
  const std::string line = verb + " " + args;
  const auto whole = parse_command(line);
  const std::string want = whole ? describe(parse(whole->args)) : "bad command";
  const std::string wire = line + "\r\n";
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
          got.push_back(cmd ? describe(parse(cmd->args)) : "bad command");
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
  std::string args;
  std::string want;
};

TEST(ParseMailFrom, Table) {
  const std::vector<Case> cases = {
      // RFC 5321 §4.1.1.2 and the §D.1 scenario.
      {"FROM:<Smith@bar.com>", "Smith@bar.com"},
      {"from:<a@example.org>", "a@example.org"},
      {"From:<a@Example.ORG>", "a@example.org"},
      // Tolerated: space(s) after the colon, as many clients send.
      {"FROM: <a@example.org>", "a@example.org"},
      {"FROM:   <a@example.org>", "a@example.org"},
      {"FROM:<>", "<>"},
      {"FROM:<> SIZE=1000", "<>|SIZE=1000"},
      {"FROM:<a@example.org> SIZE=1000 BODY=8BITMIME", "a@example.org|SIZE=1000|BODY=8BITMIME"},
      {"FROM:<a@example.org> size=1000 body=8bitmime", "a@example.org|SIZE=1000|BODY=8bitmime"},
      {"FROM:<a@example.org>  SIZE=1  ", "a@example.org|SIZE=1"},
      {"FROM:<a@example.org> ", "a@example.org"},
      {"FROM:<a@example.org> RET=HDRS ENVID=QQ314159", "a@example.org|RET=HDRS|ENVID=QQ314159"},
      {"FROM:<a@example.org> X-NO-VALUE", "a@example.org|X-NO-VALUE"},
      {"FROM:<a@example.org> 8BIT", "a@example.org|8BIT"},
      // RFC 6531 §3.4: SMTPUTF8 on MAIL permits a UTF-8 path.
      {"FROM:<\xc3\xbc@example.org> SMTPUTF8", "\xc3\xbc@example.org|SMTPUTF8"},
      {"FROM:<\xc3\xbc@example.org> smtputf8", "\xc3\xbc@example.org|SMTPUTF8"},
      {"FROM:<\xc3\xbc@example.org>", "error:address:non_ascii"},
      {"FROM:<a@example.org> ENVID=\xc3\xa9", "error:syntax"},
      {"FROM:<a@example.org> SMTPUTF8 ENVID=\xc3\xa9", "a@example.org|SMTPUTF8|ENVID=\xc3\xa9"},
      // A quoted local part may hold '>' and spaces; the path ends at the unquoted '>'.
      {"FROM:<\"a> b\"@example.org> SIZE=5", "\"a> b\"@example.org|SIZE=5"},
      {"FROM:<\"a\\\"> b\"@example.org>", "\"a\\\"> b\"@example.org"},
      {"FROM:<@relay.example:a@example.org>", "a@example.org(route)"},
      {"FROM:<postmaster>", "error:address:syntax"},
      {"FROM:<a>", "error:address:syntax"},
      {"FROM:<a@@b>", "error:address:syntax"},
      {"FROM:<" + std::string(65, 'l') + "@example.org>", "error:address:too_long"},
      {"FROM:<a@example.org", "error:syntax"},
      {"FROM:a@example.org", "error:syntax"},
      {"FROM:", "error:syntax"},
      {"FROM", "error:syntax"},
      {"", "error:syntax"},
      {"FROM :<a@example.org>", "error:syntax"},
      {"TO:<a@example.org>", "error:syntax"},
      {"FROM:<a@example.org>SIZE=1", "error:syntax"},
      {"FROM:<a@example.org> SIZE=", "error:syntax"},
      {"FROM:<a@example.org> =1", "error:syntax"},
      {"FROM:<a@example.org> -X=1", "error:syntax"},
      {"FROM:<a@example.org> X_Y=1", "error:syntax"},
      {"FROM:<a@example.org> X=a=b", "error:syntax"},
      {"FROM:<a@example.org> X=\x7f", "error:syntax"},
      {"FROM:<a@example.org> X=a\tb", "error:syntax"},
      {"FROM:<\"a@example.org>", "error:syntax"},
      {"FROM:<a@example.org>>", "error:syntax"},
      {"FROM:<<a@example.org>>", "error:syntax"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.args));
    EXPECT_EQ(describe(parse_mail_from(c.args)), c.want);
    grind("MAIL", c.args, [](std::string_view a) { return parse_mail_from(a); });
  }
}

TEST(ParseRcptTo, Table) {
  const std::vector<Case> cases = {
      {"TO:<Jones@foo.com>", "Jones@foo.com"},
      {"to:<b@example.org>", "b@example.org"},
      {"TO: <b@example.org>", "b@example.org"},
      // RFC 5321 §4.1.1.3: Postmaster without a domain, any case.
      {"TO:<postmaster>", "postmaster"},
      {"TO:<Postmaster>", "postmaster"},
      {"TO:<POSTMASTER>", "postmaster"},
      {"TO:<Postmaster@example.org>", "Postmaster@example.org"},
      {"TO:<postmaster> NOTIFY=NEVER", "postmaster|NOTIFY=NEVER"},
      // RFC 3461 §4: DSN parameters.
      {"TO:<b@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.org",
       "b@example.org|NOTIFY=SUCCESS,FAILURE|ORCPT=rfc822;b@example.org"},
      {"TO:<>", "error:address:syntax"},
      {"TO:<@hosta.int,@jkl.org:userc@d.bar.org>", "userc@d.bar.org(route)"},
      {"TO:<user%host@example.org>", "user%host@example.org"},
      {"TO:<\"a@b\"@example.org>", "\"a@b\"@example.org"},
      {"TO:<a!b@example.org>", "a!b@example.org"},
      {"TO:<a!b>", "error:address:syntax"},
      {"FROM:<b@example.org>", "error:syntax"},
      {"TO:b@example.org", "error:syntax"},
      {"TO:<\xc3\xbc@example.org>", "error:address:non_ascii"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.args));
    EXPECT_EQ(describe(parse_rcpt_to(c.args, false)), c.want);
    grind("RCPT", c.args, [](std::string_view a) { return parse_rcpt_to(a, false); });
  }
}

TEST(ParseRcptTo, Utf8WhenTheTransactionHasSmtputf8) {
  EXPECT_EQ(describe(parse_rcpt_to("TO:<\xc3\xbc@b\xc3\xbc"
                                   "cher.example>",
                                   true)),
            "\xc3\xbc@b\xc3\xbc"
            "cher.example");
  EXPECT_EQ(describe(parse_rcpt_to("TO:<b@example.org> ORCPT=utf-8;\xc3\xbc", true)),
            "b@example.org|ORCPT=utf-8;\xc3\xbc");
  EXPECT_EQ(describe(parse_rcpt_to("TO:<b@example.org> ORCPT=utf-8;\xc3\xbc", false)), "error:syntax");
  // RCPT's own SMTPUTF8 keyword does not turn UTF-8 on: only MAIL's does.
  EXPECT_EQ(describe(parse_rcpt_to("TO:<\xc3\xbc@example.org> SMTPUTF8", false)), "error:address:non_ascii");
}

TEST(ParseMailFrom, ParameterValueKeptAsSent) {
  auto r = parse_mail_from("FROM:<a@example.org> ENVID=a+2Bb");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->params.size(), 1u);
  EXPECT_EQ(r->params[0].keyword, "ENVID");
  EXPECT_TRUE(r->params[0].has_value);
  EXPECT_EQ(r->params[0].value, "a+2Bb");  // xtext is not decoded here
}

TEST(ParseMailFrom, PathExactly256OctetsIsAcceptedAnd257Refused) {
  // RFC 5321 §4.5.3.1.3: 256 octets including the angle brackets.
  const std::string domain =
      std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(60, 'd');
  ASSERT_EQ(domain.size(), 252u);
  const std::string ok_path = "<l@" + domain + ">";
  ASSERT_EQ(ok_path.size(), 256u);
  const std::string path257 = "<ll@" + domain + ">";
  EXPECT_EQ(describe(parse_mail_from("FROM:" + ok_path)), ok_path.substr(1, ok_path.size() - 2));
  EXPECT_EQ(describe(parse_mail_from("FROM:" + path257)), "error:address:too_long");
}

struct BdatCase {
  std::string args;
  std::optional<BdatArgs> want;
};

TEST(ParseBdat, Table) {
  const std::vector<BdatCase> cases = {
      {"0", BdatArgs{0, false}},
      {"1000", BdatArgs{1000, false}},
      {"1000 LAST", BdatArgs{1000, true}},
      {"1000 last", BdatArgs{1000, true}},
      {"1000 LaSt", BdatArgs{1000, true}},
      {"0 LAST", BdatArgs{0, true}},
      {"007", BdatArgs{7, false}},
      {"1000  LAST  ", BdatArgs{1000, true}},
      {"1000 ", BdatArgs{1000, false}},
      {"18446744073709551615", BdatArgs{18446744073709551615ull, false}},
      {"18446744073709551616", std::nullopt},
      {"99999999999999999999", std::nullopt},
      {"184467440737095516150", std::nullopt},
      {"", std::nullopt},
      {"LAST", std::nullopt},
      {" 10", std::nullopt},
      {"-1", std::nullopt},
      {"+1", std::nullopt},
      {"10x", std::nullopt},
      {"10LAST", std::nullopt},
      {"10 LASTX", std::nullopt},
      {"10 LAST X", std::nullopt},
      {"10 FIRST", std::nullopt},
      {"10\tLAST", std::nullopt},
      {"1 0", std::nullopt},
      {"0x10", std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.args));
    auto r = parse_bdat(c.args);
    ASSERT_EQ(r.has_value(), c.want.has_value());
    if (r) {
      EXPECT_EQ(r->size, c.want->size);
      EXPECT_EQ(r->last, c.want->last);
    }
  }
}

TEST(ParseBdat, ThroughTheCommandParser) {
  auto cmd = parse_command("BDAT 86 LAST");
  ASSERT_TRUE(cmd);
  ASSERT_EQ(cmd->verb, Verb::bdat);
  auto r = parse_bdat(cmd->args);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size, 86u);
  EXPECT_TRUE(r->last);
}

}  // namespace
}  // namespace postern::smtp
