// STARTTLS (RFC 3207), listeners that require TLS or authentication.

#include <gtest/gtest.h>

#include "dialog.hpp"

namespace postern::session::test {
namespace {

namespace replies = smtp::replies;

Settings starttls_settings() {
  auto s = default_settings();
  s.starttls_available = true;
  return s;
}

Settings submission_settings() {
  auto s = starttls_settings();
  s.listener_name = "submission";
  s.kind = ListenerKind::submission;
  s.require_tls = true;
  s.require_auth = true;
  return s;
}

const std::string kEhloFirst = "250-mx.example.org Hello client.example [192.0.2.1]\r\n";

TEST(StartTls, GoAheadAndAction) {
  Dialog d(starttls_settings());
  Output out;
  std::string input = "EHLO client.example\r\nSTARTTLS\r\n";
  EXPECT_EQ(d.session().feed(input, out), input.size());
  EXPECT_EQ(out.replies, kEhloFirst + ehlo_keywords(26214400, true) + "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_EQ(out.action, Action::start_tls);
}

TEST(StartTls, InjectedCommandsAreNotConsumed) {
  Dialog d(starttls_settings());
  Output out;
  // CVE-2011-0411: the attacker's MAIL rides in the same packet as STARTTLS.
  std::string input = "EHLO client.example\r\nSTARTTLS\r\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<x@example.com>\r\n";
  std::size_t stop = input.find("MAIL");
  EXPECT_EQ(d.session().feed(input, out), stop);
  EXPECT_EQ(out.action, Action::start_tls);
  EXPECT_EQ(out.replies.find("250 2.1.0"), std::string::npos);
  // Until the handshake is done, nothing more is read.
  Output more;
  EXPECT_EQ(d.session().feed(input.substr(stop), more), 0u);
  EXPECT_EQ(more.replies, "");
  EXPECT_EQ(more.action, Action::none);
}

TEST(StartTls, DriverDiscardsInjectedBytesAndEhloIsForgotten) {
  Dialog d(starttls_settings());
  std::string replies = d.send("EHLO client.example\r\nSTARTTLS\r\nMAIL FROM:<evil@example.com>\r\n");
  EXPECT_TRUE(replies.ends_with(R(replies::tls_go_ahead)));
  EXPECT_EQ(d.discarded, "MAIL FROM:<evil@example.com>\r\n");
  EXPECT_EQ(d.actions, std::vector<Action>{Action::start_tls});
  // RFC 3207 §4.2: after the handshake the old EHLO counts for nothing.
  EXPECT_EQ(d.send("MAIL FROM:<a@example.com>\r\n"), R(replies::need_helo));
  // And STARTTLS is no longer offered.
  EXPECT_EQ(d.send("EHLO client.example\r\n"), kEhloFirst + ehlo_keywords(26214400, false));
  EXPECT_EQ(d.send("STARTTLS\r\n"), R(replies::tls_already_active));
}

TEST(StartTls, WithArguments) {
  Dialog d(starttls_settings());
  EXPECT_EQ(d.send("STARTTLS now\r\n"), "501 5.5.4 Syntax error in parameters or arguments\r\n");
  EXPECT_TRUE(d.actions.empty());
}

TEST(StartTls, NotAvailableWithoutCertificate) {
  Dialog d;
  EXPECT_EQ(d.send("EHLO client.example\r\nSTARTTLS\r\n"),
            kEhloFirst + ehlo_keywords(26214400, false) + R(replies::not_implemented));
  EXPECT_TRUE(d.actions.empty());
}

TEST(StartTls, RefusedDuringATransaction) {
  Dialog d(starttls_settings());
  d.send("EHLO client.example\r\nMAIL FROM:<a@example.com>\r\n");
  EXPECT_EQ(d.send("STARTTLS\r\n"), R(replies::starttls_in_transaction));
  EXPECT_EQ(d.send("RSET\r\nSTARTTLS\r\n"), R(replies::reset_ok) + R(replies::tls_go_ahead));
  EXPECT_EQ(d.actions, std::vector<Action>{Action::start_tls});
}

TEST(StartTls, ImplicitTlsNeverOffersIt) {
  auto settings = starttls_settings();
  settings.kind = ListenerKind::submissions;
  Dialog d(settings, ClientOptions{.tls_at_connect = test_tls()});
  EXPECT_EQ(d.send("EHLO client.example\r\n"), kEhloFirst + ehlo_keywords(26214400, false));
  EXPECT_EQ(d.send("STARTTLS\r\n"), R(replies::tls_already_active));
}

TEST(StartTls, CountersSurviveTheHandshake) {
  auto settings = starttls_settings();
  settings.limits.max_errors = 2;
  Dialog d(settings);
  EXPECT_EQ(d.send("FOO\r\nSTARTTLS\r\n"), R(replies::unrecognized) + R(replies::tls_go_ahead));
  EXPECT_EQ(d.send("BAR\r\n"), R(replies::unrecognized) + R(replies::too_many_errors));
  EXPECT_TRUE(d.closed);
}

TEST(RequireTls, OnlyTheHandshakeVerbsBeforeTls) {
  Dialog d(submission_settings());
  EXPECT_EQ(d.send("EHLO client.example\r\n"), kEhloFirst + ehlo_keywords(26214400, true));
  EXPECT_EQ(d.send("NOOP\r\nRSET\r\n"), R(replies::ok) + R(replies::reset_ok));
  EXPECT_EQ(d.send("HELO client.example\r\n"), "250 mx.example.org Hello client.example [192.0.2.1]\r\n");
  for (std::string_view cmd : {"MAIL FROM:<a@example.org>\r\n", "RCPT TO:<alice@example.org>\r\n", "DATA\r\n",
                               "VRFY alice\r\n", "EXPN list\r\n", "HELP\r\n", "AUTH PLAIN\r\n"}) {
    EXPECT_EQ(d.send(cmd), "530 5.7.0 Must issue a STARTTLS command first\r\n") << cmd;
  }
  EXPECT_EQ(d.send("QUIT\r\n"), R(replies::closing));
}

TEST(RequireTls, UnknownVerbStaysUnrecognized) {
  Dialog d(submission_settings());
  EXPECT_EQ(d.send("FOO\r\n"), R(replies::unrecognized));
}

TEST(RequireTls, BdatBeforeTlsIsRefusedButItsOctetsAreRead) {
  Dialog d(submission_settings());
  EXPECT_EQ(d.send("BDAT 6 LAST\r\nNOOP\r\nNOOP\r\n"), R(replies::must_starttls) + R(replies::ok));
  EXPECT_TRUE(d.actions.empty());
}

TEST(RequireAuth, MailNeedsAnIdentityAfterTls) {
  Dialog d(submission_settings());
  d.send("EHLO client.example\r\nSTARTTLS\r\n");
  EXPECT_EQ(d.send("EHLO client.example\r\n"), kEhloFirst + ehlo_keywords(26214400, false));
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org>\r\n"), "530 5.7.0 Authentication required\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN\r\n"), R(replies::not_implemented));
}

TEST(RequireAuth, TrustedNetworkMayRelay) {
  Dialog d(submission_settings(), ClientOptions{.trusted_network = true});
  d.send("EHLO client.example\r\nSTARTTLS\r\n");
  EXPECT_EQ(d.send("EHLO client.example\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<x@example.com>\r\n"),
            kEhloFirst + ehlo_keywords(26214400, false) + R(replies::sender_ok) + R(replies::recipient_ok));
}

TEST(RequireAuth, WithoutRequireTlsMailStillNeedsAuth) {
  auto settings = default_settings();
  settings.require_auth = true;
  Dialog d(settings);
  EXPECT_EQ(d.send("EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n"),
            kEhloFirst + ehlo_keywords(26214400, false) + R(replies::auth_required));
}

TEST(TlsSession, ReceivedSaysEsmtpsWithCipher) {
  Dialog d(starttls_settings());
  d.send("EHLO client.example\r\nSTARTTLS\r\n");
  d.send("EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nHi\r\n.\r\n");
  ASSERT_EQ(d.messages.size(), 1u);
  EXPECT_EQ(d.messages[0],
            "Received: from client.example ([192.0.2.1]) by mx.example.org with ESMTPS\r\n"
            "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384) for <alice@example.org>;\r\n"
            "\tFri, 15 Jan 2027 08:00:00 +0000\r\n"
            "Hi\r\n");
  ASSERT_EQ(d.envelopes.size(), 1u);
  ASSERT_TRUE(d.envelopes[0].tls.has_value());
  EXPECT_EQ(d.envelopes[0].tls->version, "TLSv1.3");
  EXPECT_EQ(d.envelopes[0].tls->cipher, "TLS_AES_256_GCM_SHA384");
}

}  // namespace
}  // namespace postern::session::test
