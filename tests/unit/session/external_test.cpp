// EXTERNAL (RFC 4422 App. A) in session dialogs: offered only with a verified TLS client
// certificate, the certificate facts travel with the request (never from the client), and
// what the identity then allows.

#include <gtest/gtest.h>

#include "base/base64.hpp"
#include "dialog.hpp"

namespace postern::session::test {
namespace {

namespace replies = smtp::replies;
using base::base64_encode;

const sasl::ClientCertificate kAliceCert{"alice@example.org", "Alice", std::string(64, 'a'), true};

Settings submission(std::vector<std::string> mechanisms = {"EXTERNAL", "SCRAM-SHA-256", "PLAIN"}) {
  Settings s = default_settings();
  s.listener_name = "submission";
  s.kind = ListenerKind::submission;
  s.starttls_available = true;
  s.require_tls = true;
  s.require_auth = true;
  s.auth.mechanisms = std::move(mechanisms);
  s.auth.fake_salt_secret = std::string(32, 's');
  return s;
}

TlsInfo tls_with(std::optional<sasl::ClientCertificate> cert) {
  TlsInfo t = test_tls();
  t.client_certificate = std::move(cert);
  return t;
}

std::string auth_line(const std::string& ehlo) {
  auto at = ehlo.find("AUTH");
  if (at == std::string::npos) return "";
  return ehlo.substr(at, ehlo.find("\r\n", at) - at);
}

/// A submission dialog after EHLO, STARTTLS (the client presented `cert`) and EHLO again.
class External : public ::testing::Test {
 protected:
  void start(std::optional<sasl::ClientCertificate> cert = kAliceCert, Settings settings = submission()) {
    d.emplace(std::move(settings));
    d->tls_after_starttls = tls_with(std::move(cert));
    d->authenticator.add_certificate("alice@example.org", "alice@example.org");
    d->authenticator.add("alice@example.org", {"alice@example.org", "password", "alice-pw", false});
    d->send("EHLO client.example\r\nSTARTTLS\r\n");
    ehlo = d->send("EHLO client.example\r\n");
  }
  std::optional<Dialog> d;
  std::string ehlo;
};

// ---- what EHLO offers ---------------------------------------------------------------------------

TEST_F(External, OfferedFirstWithAVerifiedCertificate) {
  start();
  EXPECT_EQ(auth_line(ehlo), "AUTH EXTERNAL SCRAM-SHA-256 PLAIN");
}

TEST_F(External, NotOfferedWithoutACertificateAndThen504) {
  start(std::nullopt);
  EXPECT_EQ(auth_line(ehlo), "AUTH SCRAM-SHA-256 PLAIN");
  EXPECT_EQ(d->send("AUTH EXTERNAL =\r\n"), R(replies::auth_unknown_mechanism));
  EXPECT_EQ(d->authenticator.calls, 0u);
  ASSERT_EQ(d->auth_events.size(), 1u);
  EXPECT_EQ(d->auth_events[0].mechanism, "EXTERNAL");
  EXPECT_EQ(d->auth_events[0].reply, "504 5.5.4");
  EXPECT_FALSE(d->session().identity());
}

TEST_F(External, NotOfferedWithAnUnverifiedCertificate) {
  auto cert = kAliceCert;
  cert.verified = false;
  start(cert);
  EXPECT_EQ(auth_line(ehlo), "AUTH SCRAM-SHA-256 PLAIN");
  EXPECT_EQ(d->send("AUTH EXTERNAL =\r\n"), R(replies::auth_unknown_mechanism));
  EXPECT_EQ(d->authenticator.calls, 0u);
}

TEST_F(External, ListenerThatLeavesItOutIs534EvenWithACertificate) {
  start(kAliceCert, submission({"PLAIN"}));
  EXPECT_EQ(auth_line(ehlo), "AUTH PLAIN");
  EXPECT_EQ(d->send("AUTH EXTERNAL =\r\n"), R(replies::auth_too_weak));
  EXPECT_EQ(d->authenticator.calls, 0u);
}

TEST(ExternalClearText, NeverBeforeTlsEvenOnAnOptInListener) {
  Settings s = submission();
  s.require_tls = false;
  s.auth.allow_without_tls = true;
  Dialog d(s);
  EXPECT_EQ(auth_line(d.send("EHLO client.example\r\n")), "AUTH SCRAM-SHA-256 PLAIN");
  EXPECT_EQ(d.send("AUTH EXTERNAL =\r\n"), R(replies::auth_needs_encryption));
  EXPECT_EQ(d.authenticator.calls, 0u);
}

TEST(ExternalImplicitTls, OfferedAtOnceWithTheCertificateFromTheHandshake) {
  Settings s = submission();
  s.kind = ListenerKind::submissions;
  s.starttls_available = false;
  Dialog d(s, ClientOptions{.tls_at_connect = tls_with(kAliceCert)});
  d.authenticator.add_certificate("alice@example.org", "alice@example.org");
  EXPECT_EQ(auth_line(d.send("EHLO client.example\r\n")), "AUTH EXTERNAL SCRAM-SHA-256 PLAIN");
  EXPECT_EQ(d.send("AUTH EXTERNAL =\r\n"), R(replies::auth_ok));
  EXPECT_EQ(d.session().identity(), (AuthInfo{"alice@example.org", "certificate", "EXTERNAL", {"alice@example.org"}}));
}

// ---- the exchange -------------------------------------------------------------------------------

TEST_F(External, EmptyInitialResponseLogsInAsTheCertificatesAccount) {
  start();
  EXPECT_EQ(d->send("AUTH EXTERNAL =\r\n"), "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(d->session().identity(), (AuthInfo{"alice@example.org", "certificate", "EXTERNAL", {"alice@example.org"}}));
  ASSERT_EQ(d->authenticator.certificate_requests.size(), 1u);
  const auto& request = d->authenticator.certificate_requests[0];
  EXPECT_EQ(request.authzid, "");
  EXPECT_EQ(request.certificate, kAliceCert) << "the session attaches what the TLS layer saw";
  EXPECT_EQ(d->actions, (std::vector<Action>{Action::start_tls, Action::authenticate}));
  ASSERT_FALSE(d->auth_events.empty());
  EXPECT_TRUE(d->auth_events.back().success);
  EXPECT_EQ(d->auth_events.back().mechanism, "EXTERNAL");
}

TEST_F(External, WithoutInitialResponseAnEmptyChallengeThenTheAuthzid) {
  start();
  // RFC 4422 §5 / RFC 4954 §4: the server sends an empty challenge, "334 ".
  EXPECT_EQ(d->send("AUTH EXTERNAL\r\n"), R(replies::auth_challenge, ""));
  EXPECT_EQ(d->authenticator.calls, 0u);
  EXPECT_EQ(d->send(base64_encode("alice@example.org") + "\r\n"), R(replies::auth_ok));
  ASSERT_EQ(d->authenticator.certificate_requests.size(), 1u);
  EXPECT_EQ(d->authenticator.certificate_requests[0].authzid, "alice@example.org");
}

TEST_F(External, EmptyLineAfterTheChallengeIsAnEmptyAuthzid) {
  start();
  d->send("AUTH EXTERNAL\r\n");
  EXPECT_EQ(d->send("\r\n"), R(replies::auth_ok));
  EXPECT_EQ(d->authenticator.certificate_requests.at(0).authzid, "");
}

TEST_F(External, EqualsSignAfterTheChallengeIsAnEmptyResponseToo) {
  // What curl sends without --sasl-ir: "AUTH EXTERNAL", then "=" after the empty 334.
  start();
  d->send("AUTH EXTERNAL\r\n");
  EXPECT_EQ(d->send("=\r\n"), R(replies::auth_ok));
  EXPECT_EQ(d->authenticator.certificate_requests.at(0).authzid, "");
}

TEST_F(External, AnotherAuthzidIs535) {
  start();
  EXPECT_EQ(d->send("AUTH EXTERNAL " + base64_encode("bob@example.org") + "\r\n"), R(replies::auth_invalid));
  EXPECT_FALSE(d->session().identity());
  ASSERT_EQ(d->authenticator.certificate_requests.size(), 1u);
  EXPECT_EQ(d->authenticator.certificate_requests[0].certificate, kAliceCert)
      << "naming someone else never changes which certificate is checked";
}

TEST_F(External, CertificateForAnUnknownAddressIs535) {
  auto cert = kAliceCert;
  cert.subject_email = "carol@example.org";
  start(cert);
  EXPECT_EQ(d->send("AUTH EXTERNAL =\r\n"), "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_FALSE(d->session().identity());
  // The client may try again (another mechanism) after a failure.
  EXPECT_EQ(d->send("AUTH PLAIN " + base64_encode(std::string("\0alice@example.org\0alice-pw", 27)) + "\r\n"),
            R(replies::auth_ok));
  EXPECT_EQ(d->session().identity(), (AuthInfo{"alice@example.org", "password", "PLAIN", {"alice@example.org"}}));
}

TEST_F(External, StoreDownIs454) {
  start();
  d->authenticator.set_down(true);
  EXPECT_EQ(d->send("AUTH EXTERNAL =\r\n"), R(replies::auth_temporary_failure));
  EXPECT_FALSE(d->session().identity());
}

TEST_F(External, MalformedAuthzidIs501AndAsksNothing) {
  start();
  EXPECT_EQ(d->send("AUTH EXTERNAL " + base64_encode(std::string("a\0b", 3)) + "\r\n"), R(replies::auth_malformed));
  EXPECT_EQ(d->send("AUTH EXTERNAL " + base64_encode("\xff") + "\r\n"), R(replies::auth_malformed));
  EXPECT_EQ(d->send("AUTH EXTERNAL " + base64_encode(std::string(256, 'a')) + "\r\n"), R(replies::auth_malformed));
  EXPECT_EQ(d->send("AUTH EXTERNAL not*base64\r\n"), R(replies::auth_bad_base64));
  EXPECT_EQ(d->authenticator.calls, 0u);
}

TEST_F(External, CancelAfterTheChallenge) {
  start();
  d->send("AUTH EXTERNAL\r\n");
  EXPECT_EQ(d->send("*\r\n"), R(replies::auth_cancelled));
  EXPECT_EQ(d->authenticator.calls, 0u);
  EXPECT_FALSE(d->session().identity());
}

TEST_F(External, SecondAuthAfterSuccessIs503) {
  start();
  d->send("AUTH EXTERNAL =\r\n");
  EXPECT_EQ(d->send("AUTH EXTERNAL =\r\n"), R(replies::auth_already));
  EXPECT_EQ(d->authenticator.calls, 1u);
}

TEST_F(External, ThePipelinedRestWaitsForTheAnswer) {
  start();
  // RFC 4954 §4 forbids pipelining after AUTH; a client that does it anyway gets its commands
  // read only after the exchange ended, with the identity in place.
  EXPECT_EQ(d->send("AUTH EXTERNAL =\r\nMAIL FROM:<alice@example.org>\r\n"),
            R(replies::auth_ok) + R(replies::sender_ok));
}

// ---- what the identity allows -------------------------------------------------------------------

TEST_F(External, RelaysAndTheEnvelopeCarriesTheCertificateIdentity) {
  start();
  EXPECT_EQ(d->send("MAIL FROM:<alice@example.org>\r\n"), R(replies::auth_required));
  d->send("AUTH EXTERNAL =\r\n");
  EXPECT_EQ(d->send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<friend@remote.example>\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok));
  d->send("DATA\r\nSubject: hi\r\n\r\nhello\r\n.\r\n");
  ASSERT_EQ(d->envelopes.size(), 1u);
  EXPECT_EQ(d->envelopes[0].auth, (AuthInfo{"alice@example.org", "certificate", "EXTERNAL", {"alice@example.org"}}));
  EXPECT_NE(d->messages[0].find(" with ESMTPSA"), std::string::npos) << d->messages[0];
}

TEST_F(External, NamingAnAccountWithoutACertificateGetsNothing) {
  // The facts come from the handshake only: whatever the client names, no certificate, no EXTERNAL.
  start(std::nullopt);
  EXPECT_EQ(d->send("AUTH EXTERNAL " + base64_encode("alice@example.org") + "\r\n"),
            R(replies::auth_unknown_mechanism));
  EXPECT_TRUE(d->authenticator.certificate_requests.empty());
}

// ---- grinding: how TCP cuts the stream must not matter ---------------------------------------

const std::string kScript =
    "EHLO client.example\r\n"
    "AUTH EXTERNAL " +
    base64_encode(std::string("a\0b", 3)) +
    "\r\n"
    "AUTH EXTERNAL\r\n"
    "*\r\n"
    "AUTH EXTERNAL " +
    base64_encode("bob@example.org") +
    "\r\n"
    "AUTH EXTERNAL\r\n"
    "=\r\n"
    "MAIL FROM:<alice@example.org>\r\n"
    "RCPT TO:<friend@remote.example>\r\n"
    "DATA\r\n"
    "Subject: ground\r\n\r\nbody\r\n.\r\n"
    "QUIT\r\n";

struct Transcript {
  std::string replies;
  std::vector<std::optional<AuthInfo>> auth;
  std::vector<std::string> authzids;
  bool closed = false;
  bool operator==(const Transcript&) const = default;
};

Transcript run(const std::vector<std::size_t>& cuts) {
  Settings s = submission();
  s.kind = ListenerKind::submissions;
  s.starttls_available = false;
  Dialog d(s, ClientOptions{.tls_at_connect = tls_with(kAliceCert)});
  d.authenticator.add_certificate("alice@example.org", "alice@example.org");
  Transcript t;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    t.replies += d.send(std::string_view(kScript).substr(at, cut - at));
    at = cut;
  }
  t.replies += d.send(std::string_view(kScript).substr(at));
  for (const auto& e : d.envelopes) t.auth.push_back(e.auth);
  for (const auto& r : d.authenticator.certificate_requests) {
    EXPECT_EQ(r.certificate, kAliceCert);
    t.authzids.push_back(r.authzid);
  }
  t.closed = d.closed;
  return t;
}

TEST(ExternalGrind, WholeDialogDoesWhatItShould) {
  auto t = run({});
  std::string after_ehlo = t.replies.substr(t.replies.find("250 AUTH EXTERNAL "));
  after_ehlo = after_ehlo.substr(after_ehlo.find("\r\n") + 2);
  EXPECT_EQ(after_ehlo, R(replies::auth_malformed) + R(replies::auth_challenge, "") + R(replies::auth_cancelled) +
                            R(replies::auth_invalid) + R(replies::auth_challenge, "") + R(replies::auth_ok) +
                            R(replies::sender_ok) + R(replies::recipient_ok) + R(replies::start_mail_input) +
                            "250 2.0.0 OK queued as Q1\r\n" + R(replies::closing));
  ASSERT_EQ(t.auth.size(), 1u);
  EXPECT_EQ(t.auth[0], (AuthInfo{"alice@example.org", "certificate", "EXTERNAL", {"alice@example.org"}}));
  EXPECT_EQ(t.authzids, (std::vector<std::string>{"bob@example.org", ""}));
  EXPECT_TRUE(t.closed);
}

TEST(ExternalGrind, EverySplitPointAndOneByteAtATimeGiveTheSameTranscript) {
  auto expected = run({});
  for (std::size_t cut = 1; cut < kScript.size(); ++cut) {
    ASSERT_EQ(run({cut}), expected) << "split at " << cut;
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < kScript.size(); ++i) every.push_back(i);
  EXPECT_EQ(run(every), expected);
}

}  // namespace
}  // namespace postern::session::test
