// The Received: header pieces: RFC 5322 date, address literals, WITH protocol, folding.

#include "session/received.hpp"

#include <gtest/gtest.h>

namespace postern::session {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

system_clock::time_point at(long long unix_seconds) { return system_clock::time_point{seconds{unix_seconds}}; }

TEST(Rfc5322Date, Formats) {
  EXPECT_EQ(rfc5322_date(at(0)), "Thu, 1 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(at(951868799)), "Tue, 29 Feb 2000 23:59:59 +0000");
  EXPECT_EQ(rfc5322_date(at(1800000000)), "Fri, 15 Jan 2027 08:00:00 +0000");
  // Sub-second parts are dropped, never rounded up.
  EXPECT_EQ(rfc5322_date(at(1800000000) + std::chrono::milliseconds(999)), "Fri, 15 Jan 2027 08:00:00 +0000");
}

TEST(AddressLiteral, TagsIpv6) {
  EXPECT_EQ(address_literal("192.0.2.1"), "[192.0.2.1]");
  EXPECT_EQ(address_literal("2001:db8::1"), "[IPv6:2001:db8::1]");
  EXPECT_EQ(address_literal("::1"), "[IPv6:::1]");
}

TEST(WithProtocol, Rfc3848Names) {
  EXPECT_EQ(with_protocol(true, false, false, false), "ESMTP");
  EXPECT_EQ(with_protocol(true, true, false, false), "ESMTPS");
  EXPECT_EQ(with_protocol(true, false, true, false), "ESMTPA");
  EXPECT_EQ(with_protocol(true, true, true, false), "ESMTPSA");
  EXPECT_EQ(with_protocol(true, true, true, true), "UTF8SMTPSA");
  EXPECT_EQ(with_protocol(true, false, false, true), "UTF8SMTP");
  EXPECT_EQ(with_protocol(false, true, true, false), "SMTP");
}

TEST(ReceivedHeader, AuthenticatedTls) {
  TlsInfo tls{"TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", ""};
  ReceivedFacts facts{.helo = "laptop",
                      .esmtp = true,
                      .client_address = "198.51.100.9",
                      .hostname = "smtp.example.org",
                      .tls = &tls,
                      .authenticated = true,
                      .recipient = "x@example.net",
                      .when = at(1800000000)};
  EXPECT_EQ(received_header(facts),
            "Received: from laptop ([198.51.100.9]) by smtp.example.org with ESMTPSA\r\n"
            "\t(using TLSv1.2 with cipher ECDHE-RSA-AES128-GCM-SHA256) for <x@example.net>;\r\n"
            "\tFri, 15 Jan 2027 08:00:00 +0000\r\n");
}

TEST(ReceivedHeader, LinesStayWithin78WhereTokensAllow) {
  std::string long_helo(100, 'h');
  std::string rcpt = std::string(50, 'r') + "@example.org";
  ReceivedFacts facts{.helo = long_helo,
                      .client_address = "2001:db8:1234:5678:9abc:def0:1234:5678",
                      .hostname = "mx.example.org",
                      .recipient = rcpt,
                      .when = at(0)};
  std::string header = received_header(facts);
  ASSERT_TRUE(header.ends_with("\r\n"));
  std::size_t start = 0;
  std::vector<std::string> lines;
  while (start < header.size()) {
    auto end = header.find("\r\n", start);
    lines.push_back(header.substr(start, end - start));
    start = end + 2;
  }
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "Received:");  // the 105-octet "from" token cannot share a line
  EXPECT_EQ(lines[1], "\tfrom " + long_helo);
  for (std::size_t i = 2; i < lines.size(); ++i) {
    EXPECT_LE(lines[i].size(), 78u) << lines[i];
    EXPECT_EQ(lines[i].front(), '\t');
  }
  // Unfolding gives back the single-line form (RFC 5322 §2.2.3).
  std::string unfolded;
  for (std::size_t i = 0; i < lines.size(); ++i) unfolded += (i ? " " : "") + lines[i].substr(i ? 1 : 0);
  EXPECT_EQ(unfolded, "Received: from " + long_helo +
                          " ([IPv6:2001:db8:1234:5678:9abc:def0:1234:5678]) by mx.example.org with ESMTP for <" + rcpt +
                          ">; Thu, 1 Jan 1970 00:00:00 +0000");
}

}  // namespace
}  // namespace postern::session
