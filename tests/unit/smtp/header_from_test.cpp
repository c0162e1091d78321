#include "smtp/header_from.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace postern::smtp {
namespace {

using namespace std::string_literals;

// `local@domain` exactly as parsed, without re-quoting, so the unquoted content shows.
std::vector<std::string> plain(const std::vector<Mailbox>& list) {
  std::vector<std::string> out;
  for (const auto& m : list) out.push_back(m.local + "@" + m.domain);
  return out;
}

std::vector<std::string> from_addresses(std::string_view header) {
  auto parsed = parse_header_from(header);
  EXPECT_TRUE(parsed.has_value()) << ::testing::PrintToString(std::string(header));
  return parsed ? plain(parsed->addresses) : std::vector<std::string>{"<error>"};
}

std::vector<std::string> list_of(std::string_view body) {
  auto parsed = parse_address_list(body);
  EXPECT_TRUE(parsed.has_value()) << ::testing::PrintToString(std::string(body));
  return parsed ? plain(*parsed) : std::vector<std::string>{"<error>"};
}

HeaderFromError error_of(std::string_view header) {
  auto parsed = parse_header_from(header);
  EXPECT_FALSE(parsed.has_value()) << ::testing::PrintToString(std::string(header));
  return parsed ? HeaderFromError::syntax : parsed.error();
}

// ---- RFC 5322 Appendix A, byte for byte (CRLF line endings, as on the wire) -------------------

const std::string kA11 =
    "From: John Doe <jdoe@machine.example>\r\n"
    "To: Mary Smith <mary@example.net>\r\n"
    "Subject: Saying Hello\r\n"
    "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n"
    "Message-ID: <1234@local.machine.example>\r\n"
    "\r\n"
    "This is a message just to say hello.\r\n"
    "So, \"Hello\".\r\n";

const std::string kA12 =
    "From: \"Joe Q. Public\" <john.q.public@example.com>\r\n"
    "To: Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>\r\n"
    "Cc: <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>\r\n"
    "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
    "Message-ID: <5678.21-Nov-1997@example.com>\r\n"
    "\r\n"
    "Hi everyone.\r\n";

const std::string kA13 =
    "From: Pete <pete@silly.example>\r\n"
    "To: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;\r\n"
    "Cc: Undisclosed recipients:;\r\n"
    "Date: Thu, 13 Feb 1969 23:32:54 -0330\r\n"
    "Message-ID: <testabcd.1234@silly.example>\r\n"
    "\r\n"
    "Testing.\r\n";

// A.3: Resent-From is not From.
const std::string kA3 =
    "Resent-From: Mary Smith <mary@example.net>\r\n"
    "Resent-To: Jane Brown <j-brown@other.example>\r\n"
    "Resent-Date: Mon, 24 Nov 1997 14:22:01 -0800\r\n"
    "Resent-Message-ID: <78910@example.net>\r\n"
    "From: John Doe <jdoe@machine.example>\r\n"
    "To: Mary Smith <mary@example.net>\r\n"
    "Subject: Saying Hello\r\n"
    "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n"
    "Message-ID: <1234@local.machine.example>\r\n"
    "\r\n"
    "This is a message just to say hello.\r\n"
    "So, \"Hello\".\r\n";

const std::string kA4 =
    "Received: from x.y.test\r\n"
    "   by example.net\r\n"
    "   via TCP\r\n"
    "   with ESMTP\r\n"
    "   id ABC12345\r\n"
    "   for <mary@example.net>;  21 Nov 1997 10:05:43 -0600\r\n"
    "Received: from node.example by x.y.test; 21 Nov 1997 10:01:22 -0600\r\n"
    "From: John Doe <jdoe@node.example>\r\n"
    "To: Mary Smith <mary@example.net>\r\n"
    "Subject: Saying Hello\r\n"
    "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n"
    "Message-ID: <1234@local.node.example>\r\n"
    "\r\n"
    "This is a message just to say hello.\r\n"
    "So, \"Hello\".\r\n";

const std::string kA5 =
    "From: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>\r\n"
    "To:A Group(Some people)\r\n"
    "     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
    "         joe@example.org,\r\n"
    "  John <jdoe@one.test> (my dear friend); (the end of the group)\r\n"
    "Cc:(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;\r\n"
    "Date: Thu,\r\n"
    "      13\r\n"
    "        Feb\r\n"
    "          1969\r\n"
    "      23:32\r\n"
    "               -0330 (Newfoundland Time)\r\n"
    "Message-ID:              <testabcd.1234@silly.test>\r\n"
    "\r\n"
    "Testing.\r\n";

const std::string kA61 =
    "From: Joe Q. Public <john.q.public@example.com>\r\n"
    "To: Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example\r\n"
    "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
    "Message-ID: <5678.21-Nov-1997@example.com>\r\n"
    "\r\n"
    "Hi everyone.\r\n";

const std::string kA62 =
    "From: John Doe <jdoe@machine.example>\r\n"
    "To: Mary Smith <mary@example.net>\r\n"
    "Subject: Saying Hello\r\n"
    "Date: 21 Nov 97 09:55:06 GMT\r\n"
    "Message-ID: <1234@local.machine.example>\r\n"
    "\r\n"
    "This is a message just to say hello.\r\n"
    "So, \"Hello\".\r\n";

// The RFC prints the second line of To as "__": two spaces, a line of white space alone.
const std::string kA63 =
    "From  : John Doe <jdoe@machine(comment).  example>\r\n"
    "To    : Mary Smith\r\n"
    "  \r\n"
    "          <mary@example.net>\r\n"
    "Subject     : Saying Hello\r\n"
    "Date  : Fri, 21 Nov 1997 09(comment):   55  :  06 -0600\r\n"
    "Message-ID  : <1234   @   local(blah)  .machine .example>\r\n"
    "\r\n"
    "This is a message just to say hello.\r\n"
    "So, \"Hello\".\r\n";

struct Example {
  const char* name;
  const std::string* message;
  std::vector<std::string> from;
};

const std::vector<Example>& examples() {
  static const std::vector<Example> all = {
      {"A.1.1", &kA11, {"jdoe@machine.example"}},
      {"A.1.2", &kA12, {"john.q.public@example.com"}},
      {"A.1.3", &kA13, {"pete@silly.example"}},
      {"A.3", &kA3, {"jdoe@machine.example"}},
      {"A.4", &kA4, {"jdoe@node.example"}},
      {"A.5", &kA5, {"pete@silly.test"}},
      {"A.6.1", &kA61, {"john.q.public@example.com"}},
      {"A.6.2", &kA62, {"jdoe@machine.example"}},
      {"A.6.3", &kA63, {"jdoe@machine.example"}},
  };
  return all;
}

TEST(HeaderFromRfc5322, AppendixAFromFields) {
  for (const auto& e : examples()) {
    auto parsed = parse_header_from(*e.message);
    ASSERT_TRUE(parsed.has_value()) << e.name;
    EXPECT_EQ(parsed->fields, 1u) << e.name;
    EXPECT_EQ(plain(parsed->addresses), e.from) << e.name;
  }
}

TEST(HeaderFromRfc5322, AppendixAOtherAddressFieldsReadTheSameWay) {
  // The same grammar on the To:/Cc: bodies, which exercise what the From: examples do not.
  EXPECT_EQ(list_of(" Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>"),
            (std::vector<std::string>{"mary@x.test", "jdoe@example.org", "one@y.test"}));
  EXPECT_EQ(list_of(" <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>"),
            (std::vector<std::string>{"boss@nil.test", "sysservices@example.net"}));
  EXPECT_EQ(list_of(" A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;"),
            (std::vector<std::string>{"c@a.test", "joe@where.test", "jdoe@one.test"}));
  EXPECT_EQ(list_of(" Undisclosed recipients:;"), std::vector<std::string>{});
  EXPECT_EQ(list_of("A Group(Some people)\r\n"
                    "     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
                    "         joe@example.org,\r\n"
                    "  John <jdoe@one.test> (my dear friend); (the end of the group)"),
            (std::vector<std::string>{"c@public.example", "joe@example.org", "jdoe@one.test"}));
  EXPECT_EQ(list_of("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;"), std::vector<std::string>{});
  EXPECT_EQ(list_of(" Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example"),
            (std::vector<std::string>{"mary@example.net", "jdoe@test.example"}));
  EXPECT_EQ(list_of(" Mary Smith\r\n  \r\n          <mary@example.net>"), std::vector<std::string>{"mary@example.net"});
}

// ---- the capture, ground ------------------------------------------------------------------------

// The header section of a message as the RFC defines it: up to and including the empty line.
std::string header_of(const std::string& message) { return message.substr(0, message.find("\r\n\r\n") + 4); }

TEST(HeaderCapture, EveryExampleSplitAtEveryByte) {
  for (const auto& e : examples()) {
    const std::string& m = *e.message;
    for (std::size_t cut = 0; cut <= m.size(); ++cut) {
      HeaderCapture capture;
      capture.feed(std::string_view(m).substr(0, cut));
      capture.feed(std::string_view(m).substr(cut));
      ASSERT_TRUE(capture.complete()) << e.name << " cut " << cut;
      ASSERT_EQ(capture.header(), header_of(m)) << e.name << " cut " << cut;
      EXPECT_EQ(from_addresses(capture.header()), e.from) << e.name << " cut " << cut;
    }
    HeaderCapture bytewise;
    for (char c : m) bytewise.feed(std::string_view(&c, 1));
    EXPECT_TRUE(bytewise.complete()) << e.name;
    EXPECT_EQ(bytewise.header(), header_of(m)) << e.name;
    EXPECT_FALSE(bytewise.truncated()) << e.name;
  }
}

TEST(HeaderCapture, EveryPrefixIsParsedOrRefusedNeverMisread) {
  // What the session parses when a message ends early: each prefix of A.5 either gives Pete's
  // address (once his field is whole) or nothing, or is an error; never another address.
  for (std::size_t n = 0; n <= kA5.size(); ++n) {
    auto parsed = parse_header_from(std::string_view(kA5).substr(0, n));
    if (!parsed) continue;
    for (const auto& a : plain(parsed->addresses)) EXPECT_EQ(a, "pete@silly.test") << n;
  }
}

TEST(HeaderCapture, MessageWithoutHeaderFields) {
  HeaderCapture capture;
  capture.feed("\r\nFrom: bob@evil.example\r\n");
  EXPECT_TRUE(capture.complete());
  EXPECT_EQ(capture.header(), "\r\n");
  auto parsed = parse_header_from(capture.header());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->fields, 0u);
}

TEST(HeaderCapture, StopsAtTheBound) {
  std::string header = "From: alice@example.org\r\nX-Long: " + std::string(100, 'x') + "\r\n\r\nbody\r\n";
  HeaderCapture small(64);
  small.feed(header);
  EXPECT_FALSE(small.complete());
  EXPECT_TRUE(small.truncated());
  EXPECT_EQ(small.header(), header.substr(0, 64));
  small.feed("more");
  EXPECT_EQ(small.header().size(), 64u);

  // A header section that ends exactly at the bound is complete, not truncated.
  std::string exact = "From: alice@example.org\r\n\r\n";
  HeaderCapture fits(exact.size());
  fits.feed(exact + "body");
  EXPECT_TRUE(fits.complete());
  EXPECT_FALSE(fits.truncated());
  EXPECT_EQ(fits.header(), exact);
}

TEST(HeaderCapture, NothingAfterTheEmptyLineIsKept) {
  HeaderCapture capture;
  capture.feed("Subject: x\r\n\r");
  EXPECT_FALSE(capture.complete());
  capture.feed("\nFrom: bob@evil.example\r\n");
  capture.feed("From: carol@evil.example\r\n");
  EXPECT_TRUE(capture.complete());
  EXPECT_EQ(capture.header(), "Subject: x\r\n\r\n");
}

TEST(HeaderCapture, MessageThatIsAllHeaderIsIncompleteButUsable) {
  HeaderCapture capture;
  capture.feed("Subject: x\r\nFrom: alice@example.org\r\n");
  EXPECT_FALSE(capture.complete());
  EXPECT_FALSE(capture.truncated());
  EXPECT_EQ(from_addresses(capture.header()), std::vector<std::string>{"alice@example.org"});
}

// ---- which fields count -------------------------------------------------------------------------

TEST(HeaderFromFields, SeveralFromFieldsAndMailboxes) {
  auto parsed = parse_header_from("From: a@example.org, B <b@example.org>\r\nSubject: s\r\nfrom: c@example.org\r\n\r\n");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->fields, 2u);
  EXPECT_EQ(plain(parsed->addresses), (std::vector<std::string>{"a@example.org", "b@example.org", "c@example.org"}));
}

TEST(HeaderFromFields, NoFromField) {
  auto parsed = parse_header_from("Subject: hi\r\nTo: bob@example.org\r\n\r\nFrom: x@y.example\r\n");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->fields, 0u);
  EXPECT_TRUE(parsed->addresses.empty());
}

TEST(HeaderFromFields, OtherFieldsEndingOrStartingWithFromAreNotFrom) {
  auto parsed = parse_header_from(
      "Resent-From: a@x.example\r\nX-From: b@x.example\r\nFrom-Address: c@x.example\r\nFromage: d@x.example\r\n"
      "Subject: From: e@x.example\r\n\r\n");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->fields, 0u);
}

TEST(HeaderFromFields, UnparseableOtherFieldsAreNotLookedAt) {
  EXPECT_EQ(from_addresses("To: ((((\r\nCc: \"\r\nFrom: alice@example.org\r\n\r\n"),
            std::vector<std::string>{"alice@example.org"});
}

TEST(HeaderFromFields, FieldNameIsReadAfterUnfolding) {
  // "From\r\n :" unfolds to "From :" (obs-from): it is a From: field for every reader after us.
  EXPECT_EQ(from_addresses("From\r\n : bob@evil.example\r\n\r\n"), std::vector<std::string>{"bob@evil.example"});
  EXPECT_EQ(from_addresses("FROM\t: bob@evil.example\r\n\r\n"), std::vector<std::string>{"bob@evil.example"});
  // A first line that starts with white space has nothing to fold into; it is still read.
  EXPECT_EQ(from_addresses(" From: bob@evil.example\r\n\r\n"), std::vector<std::string>{"bob@evil.example"});
}

TEST(HeaderFromFields, FoldedBodyAndEmptyLineEnd) {
  EXPECT_EQ(from_addresses("From: Alice\r\n\t<alice@example.org>,\r\n bob@example.org\r\n\r\n"),
            (std::vector<std::string>{"alice@example.org", "bob@example.org"}));
  // No line ending at all after the field: the end of the input ends it.
  EXPECT_EQ(from_addresses("From: alice@example.org"), std::vector<std::string>{"alice@example.org"});
}

// ---- mailboxes ----------------------------------------------------------------------------------

TEST(HeaderFromMailbox, QuotedLocalPartsInTheirUnquotedForm) {
  auto parsed = parse_address_list(" \"alice\"@example.org, \"a b\"@example.org, \"q\\\"x\"@example.org, \"a\".b@example.org");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(plain(*parsed),
            (std::vector<std::string>{"alice@example.org", "a b@example.org", "q\"x@example.org", "a.b@example.org"}));
  ASSERT_EQ(parsed->size(), 4u);
  EXPECT_TRUE((*parsed)[0].quoted);
  EXPECT_EQ((*parsed)[1].to_string(), "\"a b\"@example.org");
  // An "@" inside quotes belongs to the local part; the domain is after the last one.
  EXPECT_EQ(list_of("\"alice@example.org\"@evil.example"), std::vector<std::string>{"alice@example.org@evil.example"});
  auto tricky = parse_address_list("\"alice@example.org\"@evil.example");
  ASSERT_TRUE(tricky);
  EXPECT_EQ((*tricky)[0].domain, "evil.example");
}

TEST(HeaderFromMailbox, DomainIsLowerCasedLocalPartIsNot) {
  auto parsed = parse_address_list("Alice.Smith@Example.ORG, x@[IPv6:2001:DB8::1], y@[ 192.0.2.1 ]");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(plain(*parsed),
            (std::vector<std::string>{"Alice.Smith@example.org", "x@[ipv6:2001:db8::1]", "y@[192.0.2.1]"}));
}

TEST(HeaderFromMailbox, DisplayNamesOfEveryShape) {
  EXPECT_EQ(list_of(" \"Smith, John\" <john@example.org>"), std::vector<std::string>{"john@example.org"});
  EXPECT_EQ(list_of(" John Q. Public <john@example.org>"), std::vector<std::string>{"john@example.org"});
  EXPECT_EQ(list_of(" <john@example.org>"), std::vector<std::string>{"john@example.org"});
  EXPECT_EQ(list_of("john@example.org (John Smith)"), std::vector<std::string>{"john@example.org"});
  // RFC 2047 encoded words are atoms of the display name; nothing in them is an address.
  EXPECT_EQ(list_of(" =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.org>"),
            std::vector<std::string>{"joerg@example.org"});
  EXPECT_EQ(list_of(" \"=?utf-8?b?Ym9iQGV2aWwuZXhhbXBsZQ==?=\" <joerg@example.org>"),
            std::vector<std::string>{"joerg@example.org"});
  EXPECT_EQ(list_of(" \"bob@evil.example\" <alice@example.org>"), std::vector<std::string>{"alice@example.org"});
}

TEST(HeaderFromMailbox, GroupsInFrom) {
  // RFC 6854 §2.1's example.
  EXPECT_EQ(from_addresses("From: Managing Partners:ben@example.com,carol@example.com;\r\n\r\n"),
            (std::vector<std::string>{"ben@example.com", "carol@example.com"}));
  auto empty_group = parse_header_from("From: undisclosed:;\r\n\r\n");
  ASSERT_TRUE(empty_group);
  EXPECT_EQ(empty_group->fields, 1u);
  EXPECT_TRUE(empty_group->addresses.empty());
}

TEST(HeaderFromMailbox, Utf8Addresses) {
  // RFC 6532 §3.2: UTF-8 in atoms and quoted strings.
  auto parsed = parse_address_list(" Jörg <jörg@bücher.example>, \"ü x\"@example.org, plain@example.org");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(plain(*parsed), (std::vector<std::string>{"jörg@bücher.example", "ü x@example.org", "plain@example.org"}));
  EXPECT_TRUE((*parsed)[0].utf8);
  EXPECT_TRUE((*parsed)[1].utf8);
  EXPECT_FALSE((*parsed)[2].utf8);
  // Malformed UTF-8 in an address is no address.
  EXPECT_EQ(parse_address_list("j\xC3" "rg@example.org").error(), HeaderFromError::bad_character);
  EXPECT_EQ(parse_address_list("j\xC3@example.org").error(), HeaderFromError::bad_character);
  // In a display name it is left alone (it is never compared).
  EXPECT_EQ(list_of(" J\xC3 <j@example.org>"), std::vector<std::string>{"j@example.org"});
}

// ---- what cannot be read ------------------------------------------------------------------------

TEST(HeaderFromErrors, Unterminated) {
  EXPECT_EQ(error_of("From: \"alice@example.org\r\n\r\n"), HeaderFromError::unterminated);
  EXPECT_EQ(error_of("From: alice@example.org (comment\r\n\r\n"), HeaderFromError::unterminated);
  EXPECT_EQ(error_of("From: alice@[192.0.2.1\r\n\r\n"), HeaderFromError::unterminated);
  EXPECT_EQ(error_of("From: Alice <alice@example.org\r\n\r\n"), HeaderFromError::unterminated);
  EXPECT_EQ(error_of("From: partners: a@example.org, b@example.org\r\n\r\n"), HeaderFromError::unterminated);
  EXPECT_EQ(error_of("From: \"a\\"), HeaderFromError::unterminated);
  // The quote does not run on into the next field.
  EXPECT_EQ(error_of("From: \"alice\r\nSubject: \"@example.org\r\n\r\n"), HeaderFromError::unterminated);
}

TEST(HeaderFromErrors, EmptyAndAddresslessFields) {
  EXPECT_EQ(error_of("From:\r\n\r\n"), HeaderFromError::empty);
  EXPECT_EQ(error_of("From: (nobody) , ,\r\n\r\n"), HeaderFromError::empty);
  EXPECT_EQ(error_of("From: John Doe\r\n\r\n"), HeaderFromError::syntax);
  EXPECT_EQ(error_of("From: <>\r\n\r\n"), HeaderFromError::syntax);
  EXPECT_EQ(error_of("From: alice\r\n\r\n"), HeaderFromError::syntax);
}

TEST(HeaderFromErrors, AmbiguousShapesAreRefused) {
  for (std::string body : {"John Doe alice@example.org", "bob@evil.example <alice@example.org>",
                           "<alice@example.org> bob@evil.example", "alice@example.org bob@evil.example",
                           "a@b@example.org", ".alice@example.org", "alice.@example.org", "alice..x@example.org",
                           "alice@example.org.", "alice@.example.org", "alice@\"example.org\"", "a:b:c@x.example;;",
                           "g1: g2: a@x.example;;", "alice@example.org)", "alice]@example.org",
                           "alice\\@example.org", "<alice@example.org>>", "<<alice@example.org>"}) {
    EXPECT_FALSE(parse_address_list(body).has_value()) << body;
  }
}

TEST(HeaderFromErrors, ControlCharacters) {
  EXPECT_EQ(error_of("From: ali\x01" "ce@example.org\r\n\r\n"), HeaderFromError::bad_character);
  EXPECT_EQ(error_of("From: alice@example.org\rX\r\n\r\n"), HeaderFromError::bad_character);
  // Inside comments and quoted strings obs-ctext / obs-qtext allow them.
  EXPECT_EQ(from_addresses("From: (a\x01) \"b\x7f\" <b@example.org>\r\n\r\n"), std::vector<std::string>{"b@example.org"});
}

TEST(HeaderFromErrors, OneBadFromFieldSpoilsTheLot) {
  EXPECT_EQ(error_of("From: alice@example.org\r\nFrom: \"bob\r\n\r\n"), HeaderFromError::unterminated);
}

// ---- hostile sizes ------------------------------------------------------------------------------

TEST(HeaderFromHostile, MegabyteOfNestedComments) {
  const std::size_t depth = 512 * 1024;
  std::string nested = std::string(depth, '(') + std::string(depth, ')');
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(from_addresses("From: " + nested + " alice@example.org " + nested + "\r\n\r\n"),
            std::vector<std::string>{"alice@example.org"});
  EXPECT_EQ(error_of("From: alice@example.org " + std::string(2 * depth, '(') + "\r\n\r\n"),
            HeaderFromError::unterminated);
  // One closing short: the comment swallows the address and never ends.
  EXPECT_EQ(error_of("From: " + std::string(depth, '(') + std::string(depth - 1, ')') + " alice@example.org\r\n\r\n"),
            HeaderFromError::unterminated);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(HeaderFromHostile, ManyElementsAndEscapes) {
  std::string commas(256 * 1024, ',');
  EXPECT_EQ(from_addresses("From: " + commas + "alice@example.org" + commas + "\r\n\r\n"),
            std::vector<std::string>{"alice@example.org"});
  std::string escapes;
  for (int i = 0; i < 100000; ++i) escapes += "\\\"";
  EXPECT_EQ(error_of("From: \"" + escapes + "\r\n\r\n"), HeaderFromError::unterminated);
  std::string many;
  for (int i = 0; i < 10000; ++i) many += "a" + std::to_string(i) + "@example.org,";
  auto parsed = parse_header_from("From: " + many + "\r\n\r\n");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->addresses.size(), 10000u);
  EXPECT_EQ(parsed->addresses.back().local, "a9999");
}

}  // namespace
}  // namespace postern::smtp
