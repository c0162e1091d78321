// AUTH (RFC 4954) in session dialogs: what EHLO offers, every reply of the exchange, and what
// a proved identity changes (MAIL on submission, relay, the envelope, Received).

#include <gtest/gtest.h>

#include "../sasl/scram_client.hpp"
#include "base/base64.hpp"
#include "dialog.hpp"
#include "sasl/oauth.hpp"

namespace postern::session::test {
namespace {

namespace replies = smtp::replies;
using base::base64_encode;

const std::vector<std::string> kAll = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1",
                                       "OAUTHBEARER",        "XOAUTH2",       "CRAM-MD5",         "PLAIN",
                                       "LOGIN"};
const std::string kExporter(32, '\x5a');

Settings submission(std::vector<std::string> mechanisms = kAll) {
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

TlsInfo tls_with_binding() {
  TlsInfo t = test_tls();
  t.channel_bindings.push_back({sasl::ChannelBindingType::tls_exporter, kExporter});
  return t;
}

std::string R334(std::string_view data) { return "334 " + base64_encode(data) + "\r\n"; }

std::string plain(std::string_view authzid, std::string_view user, std::string_view password) {
  return base64_encode(std::string(authzid) + '\0' + std::string(user) + '\0' + std::string(password));
}

/// A submission dialog after EHLO, STARTTLS (with a tls-exporter binding) and EHLO again,
/// with alice (password, an app password "phone", CRAM-MD5) and a bearer token.
class Auth : public ::testing::Test {
 protected:
  explicit Auth(Settings settings = submission(), ClientOptions client = {}) : d(std::move(settings), client) {
    d.tls_after_starttls = tls_with_binding();
    d.authenticator.add("alice@example.org", {"alice@example.org", "password", "alice-pw", true});
    d.authenticator.add("alice@example.org/phone", {"alice@example.org", "phone", "phone-pw", false});
    d.authenticator.add_token("good-token", "alice@example.org");
  }
  void SetUp() override {
    d.send("EHLO client.example\r\nSTARTTLS\r\n");
    ehlo = d.send("EHLO client.example\r\n");
  }
  Dialog d;
  std::string ehlo;
};

std::string auth_line(const std::string& ehlo) {
  auto at = ehlo.find("AUTH");
  if (at == std::string::npos) return "";
  return ehlo.substr(at, ehlo.find("\r\n", at) - at);
}

// ---- EHLO -------------------------------------------------------------------------------------

TEST_F(Auth, EhloOffersEveryListedMechanismAfterTls) {
  EXPECT_EQ(auth_line(ehlo),
            "AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256 SCRAM-SHA-1-PLUS SCRAM-SHA-1 OAUTHBEARER XOAUTH2 CRAM-MD5 PLAIN "
            "LOGIN");
  EXPECT_NE(ehlo.find("\r\n250 AUTH "), std::string::npos) << "AUTH is the last keyword: " << ehlo;
}

TEST(AuthEhlo, NothingBeforeTlsWithoutTheOptIn) {
  Dialog d(submission());
  auto reply = d.send("EHLO client.example\r\n");
  EXPECT_EQ(reply.find("AUTH"), std::string::npos) << reply;
  // Not even on a listener that does not require TLS for other commands (port 25).
  Settings s = submission();
  s.require_tls = false;
  s.require_auth = false;
  Dialog d25(s);
  reply = d25.send("EHLO client.example\r\n");
  EXPECT_EQ(reply.find("AUTH"), std::string::npos) << reply;
  EXPECT_EQ(d25.send("AUTH PLAIN " + plain("", "alice@example.org", "alice-pw") + "\r\n"), R(replies::must_starttls));
}

TEST(AuthEhlo, NoPlusWithoutChannelBinding) {
  Dialog d(submission());
  d.send("EHLO client.example\r\nSTARTTLS\r\n");  // test_tls() has no binding
  EXPECT_EQ(auth_line(d.send("EHLO client.example\r\n")),
            "AUTH SCRAM-SHA-256 SCRAM-SHA-1 OAUTHBEARER XOAUTH2 CRAM-MD5 PLAIN LOGIN");
  EXPECT_EQ(d.send("AUTH SCRAM-SHA-256-PLUS\r\n"), R(replies::auth_unknown_mechanism));
}

TEST(AuthEhlo, OptInListenerOffersPasswordMechanismsInClearButNeverTokens) {
  Settings s = submission();
  s.require_tls = false;
  s.auth.allow_without_tls = true;
  Dialog d(s);
  EXPECT_EQ(auth_line(d.send("EHLO client.example\r\n")), "AUTH SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN");
  // RFC 7628 §5: a bearer token is never sent in clear text.
  EXPECT_EQ(d.send("AUTH OAUTHBEARER\r\n"), R(replies::auth_needs_encryption));
  EXPECT_EQ(d.send("AUTH SCRAM-SHA-256-PLUS\r\n"), R(replies::auth_needs_encryption));
}

TEST(AuthEhlo, ImplicitTlsOffersAtOnceAndTheListenersOrder) {
  Settings s = submission({"PLAIN", "SCRAM-SHA-256"});
  s.kind = ListenerKind::submissions;
  s.starttls_available = false;
  Dialog d(s, ClientOptions{.tls_at_connect = tls_with_binding()});
  EXPECT_EQ(auth_line(d.send("EHLO client.example\r\n")), "AUTH PLAIN SCRAM-SHA-256");
}

TEST(AuthEhlo, NoFakeSaltSecretNoScram) {
  Settings s = submission({"SCRAM-SHA-256", "PLAIN"});
  s.auth.fake_salt_secret.clear();
  Dialog d(s);
  d.send("EHLO client.example\r\nSTARTTLS\r\n");
  EXPECT_EQ(auth_line(d.send("EHLO client.example\r\n")), "AUTH PLAIN");
}

TEST(AuthEhlo, HeloGetsNoKeywordsButAuthStillWorks) {
  Dialog d(submission());
  d.send("EHLO client.example\r\nSTARTTLS\r\n");
  EXPECT_EQ(d.send("HELO client.example\r\n"), "250 mx.example.org Hello client.example [192.0.2.1]\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN " + plain("", "alice@example.org", "alice-pw") + "\r\n"), "535 5.7.8 Authentication credentials invalid\r\n");
}

// ---- PLAIN and LOGIN --------------------------------------------------------------------------

TEST_F(Auth, PlainWithInitialResponse) {
  EXPECT_EQ(d.send("AUTH PLAIN " + plain("", "alice@example.org", "alice-pw") + "\r\n"), R(replies::auth_ok));
  EXPECT_EQ(R(replies::auth_ok), "235 2.7.0 Authentication successful\r\n");
  ASSERT_TRUE(d.session().identity());
  EXPECT_EQ(*d.session().identity(), (AuthInfo{"alice@example.org", "password", "PLAIN", {"alice@example.org"}}));
  ASSERT_EQ(d.auth_events.size(), 1u);
  EXPECT_TRUE(d.auth_events[0].success);
  EXPECT_EQ(d.auth_events[0].reply, "235 2.7.0");
  EXPECT_EQ(d.auth_events[0].identity, d.session().identity());
  EXPECT_EQ(d.auth_events[0].detail.find("alice-pw"), std::string::npos) << d.auth_events[0].detail;
}

TEST_F(Auth, PlainWithoutInitialResponseGetsAnEmptyChallenge) {
  EXPECT_EQ(d.send("AUTH PLAIN\r\n"), "334 \r\n");
  EXPECT_EQ(d.send(plain("", "alice@example.org", "alice-pw") + "\r\n"), R(replies::auth_ok));
}

TEST_F(Auth, AppPasswordIsTheIdentitysCredential) {
  EXPECT_EQ(d.send("AUTH PLAIN " + plain("", "alice@example.org/phone", "phone-pw") + "\r\n"), R(replies::auth_ok));
  EXPECT_EQ(*d.session().identity(), (AuthInfo{"alice@example.org", "phone", "PLAIN", {"alice@example.org"}}));
}

TEST_F(Auth, LoginAsksForUserThenPassword) {
  EXPECT_EQ(d.send("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(d.send(base64_encode("alice@example.org") + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(d.send(base64_encode("alice-pw") + "\r\n"), R(replies::auth_ok));
  EXPECT_EQ(d.session().identity()->mechanism, "LOGIN");
}

TEST_F(Auth, LoginWithUserAsInitialResponse) {
  EXPECT_EQ(d.send("AUTH login " + base64_encode("alice@example.org") + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(d.send(base64_encode("alice-pw") + "\r\n"), R(replies::auth_ok));
}

TEST_F(Auth, WrongPasswordAndUnknownUserLookTheSame) {
  auto wrong = d.send("AUTH PLAIN " + plain("", "alice@example.org", "nope") + "\r\n");
  auto unknown = d.send("AUTH PLAIN " + plain("", "nobody@example.org", "nope") + "\r\n");
  EXPECT_EQ(wrong, "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_EQ(unknown, wrong);
  EXPECT_FALSE(d.session().identity());
  ASSERT_EQ(d.auth_events.size(), 2u);
  EXPECT_FALSE(d.auth_events[1].success);
  EXPECT_EQ(d.auth_events[1].reply, "535 5.7.8");
}

TEST_F(Auth, AuthzidOfSomeoneElseIsRefusedLikeABadPassword) {
  EXPECT_EQ(d.send("AUTH PLAIN " + plain("bob@example.org", "alice@example.org", "alice-pw") + "\r\n"),
            R(replies::auth_invalid));
  EXPECT_FALSE(d.session().identity());
}

TEST_F(Auth, StoreDownIsTemporary) {
  d.authenticator.set_down(true);
  EXPECT_EQ(d.send("AUTH PLAIN " + plain("", "alice@example.org", "alice-pw") + "\r\n"),
            "454 4.7.0 Temporary authentication failure\r\n");
  d.authenticator.set_down(false);
  EXPECT_EQ(d.send("AUTH PLAIN " + plain("", "alice@example.org", "alice-pw") + "\r\n"), R(replies::auth_ok));
}

// ---- the exchange's own replies ---------------------------------------------------------------

TEST_F(Auth, StarCancels) {
  EXPECT_EQ(d.send("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(d.send("*\r\n"), "501 5.7.0 Authentication cancelled\r\n");
  EXPECT_EQ(d.authenticator.calls, 0u);
  // Back at the command prompt: "*" is not a response any more.
  EXPECT_EQ(d.send("NOOP\r\n"), R(replies::ok));
}

TEST_F(Auth, BadBase64EndsTheExchange) {
  EXPECT_EQ(d.send("AUTH PLAIN\r\n"), "334 \r\n");
  EXPECT_EQ(d.send("not base64!\r\n"), "501 5.5.2 Cannot decode base64 response\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN not-base64\r\n"), R(replies::auth_bad_base64));
  EXPECT_EQ(d.send("AUTH PLAIN =\r\n"), R(replies::auth_malformed));  // "=": empty, which PLAIN cannot be
  EXPECT_EQ(d.authenticator.calls, 0u);
  EXPECT_EQ(d.send("NOOP\r\n"), R(replies::ok));
}

TEST_F(Auth, ResponseLineOverTheLimitEndsTheExchange) {
  EXPECT_EQ(d.send("AUTH PLAIN\r\n"), "334 \r\n");
  // RFC 4954 §4: 12288 octets including CRLF are allowed; one more is not.
  std::string line(12287, 'A');
  EXPECT_EQ(d.send(line + "\r\n"), "500 5.5.6 Authentication exchange line is too long\r\n");
  EXPECT_EQ(d.send("NOOP\r\n"), R(replies::ok));
  // Exactly at the limit is framed (and then fails as a mechanism response, not as too long).
  EXPECT_EQ(d.send("AUTH PLAIN\r\n"), "334 \r\n");
  EXPECT_EQ(d.send(std::string(12286, 'A') + "\r\n"), R(replies::auth_bad_base64));
}

TEST_F(Auth, LongAuthCommandLineIsFineOtherLongLinesAreNot) {
  // A JWT easily exceeds the 1000-octet command line; AUTH gets RFC 4954's 12288.
  std::string token(3000, 't');
  d.authenticator.add_token(token, "alice@example.org");
  std::string ir = base64_encode("n,,\x01" "auth=Bearer " + token + "\x01\x01");
  EXPECT_EQ(d.send("AUTH OAUTHBEARER " + ir + "\r\n"), R(replies::auth_ok));
  EXPECT_EQ(d.send("NOOP " + std::string(1000, 'x') + "\r\n"), R(replies::line_too_long));
  EXPECT_EQ(d.send("NOOP " + std::string(993, 'x') + "\r\n"), R(replies::ok));  // 1000 with CRLF
}

TEST_F(Auth, SecondAuthAfterSuccessIs503) {
  d.send("AUTH PLAIN " + plain("", "alice@example.org", "alice-pw") + "\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN " + plain("", "alice@example.org", "alice-pw") + "\r\n"),
            "503 5.5.1 Already authenticated\r\n");
  // ... even after RSET and EHLO: the identity stays for the connection.
  d.send("RSET\r\nEHLO client.example\r\n");
  EXPECT_EQ(d.send("AUTH LOGIN\r\n"), R(replies::auth_already));
}

TEST(AuthSequence, InsideATransactionIs503) {
  Dialog d(submission(), ClientOptions{.trusted_network = true});
  d.send("EHLO client.example\r\nSTARTTLS\r\n");
  d.send("EHLO client.example\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<x@example.com>\r\n"), R(replies::sender_ok));
  EXPECT_EQ(d.send("AUTH PLAIN\r\n"), "503 5.5.1 AUTH not permitted during a mail transaction\r\n");
}

TEST(AuthSequence, BeforeEhlo) {
  Settings s = submission();
  s.kind = ListenerKind::submissions;
  s.starttls_available = false;
  Dialog d(s, ClientOptions{.tls_at_connect = test_tls()});
  EXPECT_EQ(d.send("AUTH PLAIN\r\n"), R(replies::need_helo));
}

TEST(AuthSequence, BeforeTlsOnATlsListenerIs530) {
  Dialog d(submission());
  d.send("EHLO client.example\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN " + plain("", "alice@example.org", "alice-pw") + "\r\n"),
            "530 5.7.0 Must issue a STARTTLS command first\r\n");
  EXPECT_EQ(d.authenticator.calls, 0u);
}

TEST(AuthSequence, NotConfiguredIs502) {
  Settings s = submission({});
  Dialog d(s);
  d.send("EHLO client.example\r\nSTARTTLS\r\n");
  EXPECT_EQ(auth_line(d.send("EHLO client.example\r\n")), "");
  EXPECT_EQ(d.send("AUTH PLAIN\r\n"), R(replies::not_implemented));
}

TEST_F(Auth, UnknownMechanismIs504) {
  EXPECT_EQ(d.send("AUTH DIGEST-MD5\r\n"), "504 5.5.4 Unrecognized authentication type\r\n");
  EXPECT_EQ(d.send("AUTH GSSAPI =\r\n"), R(replies::auth_unknown_mechanism));
  EXPECT_EQ(d.auth_events.back().mechanism, "GSSAPI");
  EXPECT_EQ(d.auth_events.back().reply, "504 5.5.4");
}

TEST_F(Auth, SyntaxErrors) {
  EXPECT_EQ(d.send("AUTH\r\n"), "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN a b\r\n"), R(replies::auth_syntax));
  EXPECT_EQ(d.send("AUTH THIS-NAME-IS-LONGER-THAN-20\r\n"), R(replies::auth_syntax));
}

class AuthRestricted : public Auth {
 protected:
  AuthRestricted() : Auth(submission({"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"})) {}
};

TEST_F(AuthRestricted, MechanismTheListenerLeavesOutIs534) {
  EXPECT_EQ(auth_line(ehlo), "AUTH SCRAM-SHA-256-PLUS SCRAM-SHA-256");
  EXPECT_EQ(d.send("AUTH PLAIN " + plain("", "alice@example.org", "alice-pw") + "\r\n"),
            "534 5.7.9 Authentication mechanism is too weak\r\n");
  EXPECT_EQ(d.send("AUTH CRAM-MD5\r\n"), R(replies::auth_too_weak));
  EXPECT_EQ(d.authenticator.calls, 0u);
}

// ---- SCRAM ------------------------------------------------------------------------------------

struct ScramRun {
  std::string replies;
  std::string server_final_expected;
};

// Runs a SCRAM exchange the way gsasl does: client-first as the initial response, the proof
// after the server-first, the empty line after the server-final.
ScramRun run_scram(Dialog& d, std::string_view mechanism, sasl::ScramHash hash, std::string gs2, std::string user,
                   std::string password, std::string_view cb_data = "") {
  sasl::test::ScramClient client(hash, std::move(gs2), std::move(user), std::move(password), "clientnonce0123");
  ScramRun run;
  auto first = d.send("AUTH " + std::string(mechanism) + " " + base64_encode(client.first()) + "\r\n");
  run.replies += first;
  if (!first.starts_with("334 ")) return run;
  auto server_first = base::base64_decode(first.substr(4, first.size() - 6));
  if (!server_first) return run;
  run.replies += d.send(base64_encode(client.final_message(*server_first, cb_data)) + "\r\n");
  run.server_final_expected = client.expected_server_final();
  return run;
}

TEST_F(Auth, ScramSha256SendsServerFinalThenWaitsForTheEmptyLine) {
  auto run = run_scram(d, "SCRAM-SHA-256", sasl::ScramHash::sha256, "n,,", "alice@example.org", "alice-pw");
  ASSERT_FALSE(run.server_final_expected.empty()) << run.replies;
  EXPECT_TRUE(run.replies.ends_with(R334(run.server_final_expected))) << run.replies;
  EXPECT_FALSE(d.session().identity()) << "not before the client acknowledged the server-final";
  EXPECT_EQ(d.send("\r\n"), R(replies::auth_ok));
  EXPECT_EQ(*d.session().identity(), (AuthInfo{"alice@example.org", "password", "SCRAM-SHA-256", {"alice@example.org"}}));
}

TEST_F(Auth, ScramSha1WithAppPassword) {
  auto run = run_scram(d, "SCRAM-SHA-1", sasl::ScramHash::sha1, "n,,", "alice@example.org/phone", "phone-pw");
  EXPECT_TRUE(run.replies.ends_with(R334(run.server_final_expected))) << run.replies;
  EXPECT_EQ(d.send("\r\n"), R(replies::auth_ok));
  EXPECT_EQ(*d.session().identity(), (AuthInfo{"alice@example.org", "phone", "SCRAM-SHA-1", {"alice@example.org"}}));
}

TEST_F(Auth, ScramPlusBindsToTheTlsExporter) {
  auto run = run_scram(d, "SCRAM-SHA-256-PLUS", sasl::ScramHash::sha256, "p=tls-exporter,,", "alice@example.org",
                       "alice-pw", kExporter);
  EXPECT_TRUE(run.replies.ends_with(R334(run.server_final_expected))) << run.replies;
  EXPECT_EQ(d.send("\r\n"), R(replies::auth_ok));
  EXPECT_EQ(d.session().identity()->mechanism, "SCRAM-SHA-256-PLUS");
}

TEST_F(Auth, ScramPlusWithAnotherChannelIsRefused) {
  auto run = run_scram(d, "SCRAM-SHA-256-PLUS", sasl::ScramHash::sha256, "p=tls-exporter,,", "alice@example.org",
                       "alice-pw", std::string(32, '\x01'));
  EXPECT_TRUE(run.replies.ends_with(R(replies::auth_invalid))) << run.replies;
  EXPECT_FALSE(d.session().identity());
}

TEST_F(Auth, ScramDowngradeIsRefused) {
  // "y": the client could do -PLUS and thinks we cannot, but we offered it (RFC 5802 §6).
  auto run = run_scram(d, "SCRAM-SHA-256", sasl::ScramHash::sha256, "y,,", "alice@example.org", "alice-pw");
  EXPECT_TRUE(run.replies.ends_with(R(replies::auth_invalid))) << run.replies;
}

TEST_F(Auth, ScramWrongPasswordAndUnknownUserFailAtTheProof) {
  auto wrong = run_scram(d, "SCRAM-SHA-256", sasl::ScramHash::sha256, "n,,", "alice@example.org", "nope");
  EXPECT_TRUE(wrong.replies.starts_with("334 ")) << wrong.replies;
  EXPECT_TRUE(wrong.replies.ends_with(R(replies::auth_invalid))) << wrong.replies;
  auto unknown = run_scram(d, "SCRAM-SHA-256", sasl::ScramHash::sha256, "n,,", "nobody@example.org", "nope");
  EXPECT_TRUE(unknown.replies.starts_with("334 ")) << "unknown users get a fake salt: " << unknown.replies;
  EXPECT_TRUE(unknown.replies.ends_with(R(replies::auth_invalid))) << unknown.replies;
}

TEST_F(Auth, ScramCancelAfterServerFinal) {
  run_scram(d, "SCRAM-SHA-256", sasl::ScramHash::sha256, "n,,", "alice@example.org", "alice-pw");
  EXPECT_EQ(d.send("*\r\n"), R(replies::auth_cancelled));
  EXPECT_FALSE(d.session().identity());
}

TEST_F(Auth, ScramNonEmptyReplyToServerFinal) {
  run_scram(d, "SCRAM-SHA-256", sasl::ScramHash::sha256, "n,,", "alice@example.org", "alice-pw");
  EXPECT_EQ(d.send("Zm9v\r\n"), R(replies::auth_malformed));
  EXPECT_FALSE(d.session().identity());
}

// ---- CRAM-MD5 ---------------------------------------------------------------------------------

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) (out += digits[c >> 4]) += digits[c & 15];
  return out;
}

TEST_F(Auth, CramMd5) {
  auto challenge_line = d.send("AUTH CRAM-MD5\r\n");
  ASSERT_TRUE(challenge_line.starts_with("334 ")) << challenge_line;
  auto challenge = base::base64_decode(challenge_line.substr(4, challenge_line.size() - 6));
  ASSERT_TRUE(challenge);
  EXPECT_TRUE(challenge->starts_with("<") && challenge->ends_with("@mx.example.org>")) << *challenge;
  auto digest = sasl::cram_md5_digest(sasl::cram_md5_secret("alice-pw"), *challenge);
  EXPECT_EQ(d.send(base64_encode("alice@example.org " + hex(digest)) + "\r\n"), R(replies::auth_ok));
  EXPECT_EQ(d.session().identity()->mechanism, "CRAM-MD5");
}

TEST_F(Auth, CramMd5ForACredentialWithoutASecretIs535) {
  auto challenge_line = d.send("AUTH CRAM-MD5\r\n");
  auto challenge = base::base64_decode(challenge_line.substr(4, challenge_line.size() - 6));
  auto digest = sasl::cram_md5_digest(sasl::cram_md5_secret("phone-pw"), *challenge);
  EXPECT_EQ(d.send(base64_encode("alice@example.org/phone " + hex(digest)) + "\r\n"), R(replies::auth_invalid));
}

// ---- bearer tokens ----------------------------------------------------------------------------

TEST_F(Auth, OauthBearer) {
  std::string ir = base64_encode("n,a=alice@example.org,\x01host=mx\x01port=587\x01" "auth=Bearer good-token\x01\x01");
  EXPECT_EQ(d.send("AUTH OAUTHBEARER " + ir + "\r\n"), R(replies::auth_ok));
  EXPECT_EQ(*d.session().identity(), (AuthInfo{"alice@example.org", "token", "OAUTHBEARER", {"alice@example.org"}}));
}

TEST_F(Auth, OauthBearerRefusedGetsTheJsonThen535) {
  std::string ir = base64_encode("n,,\x01" "auth=Bearer expired\x01\x01");
  EXPECT_EQ(d.send("AUTH OAUTHBEARER " + ir + "\r\n"), R334(sasl::oauth_error_json(sasl::TokenError{})));
  EXPECT_EQ(d.send(base64_encode("\x01") + "\r\n"), R(replies::auth_invalid));
}

TEST_F(Auth, Xoauth2) {
  std::string ir = base64_encode("user=alice@example.org\x01" "auth=Bearer good-token\x01\x01");
  EXPECT_EQ(d.send("AUTH XOAUTH2 " + ir + "\r\n"), R(replies::auth_ok));
  EXPECT_EQ(d.session().identity()->mechanism, "XOAUTH2");
}

TEST_F(Auth, Xoauth2RefusedGetsTheJsonThen535) {
  std::string ir = base64_encode("user=alice@example.org\x01" "auth=Bearer bad\x01\x01");
  auto reply = d.send("AUTH XOAUTH2 " + ir + "\r\n");
  ASSERT_TRUE(reply.starts_with("334 ")) << reply;
  auto json = base::base64_decode(reply.substr(4, reply.size() - 6));
  ASSERT_TRUE(json);
  EXPECT_NE(json->find("\"status\":\"401\""), std::string::npos) << *json;
  EXPECT_EQ(d.send("\r\n"), R(replies::auth_invalid));
}

// ---- what an identity changes -----------------------------------------------------------------

TEST_F(Auth, MailNeedsAnIdentityOnSubmission) {
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org>\r\n"), "530 5.7.0 Authentication required\r\n");
  d.send("AUTH PLAIN " + plain("", "alice@example.org", "alice-pw") + "\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org>\r\n"), R(replies::sender_ok));
}

TEST_F(Auth, AuthenticatedClientRelaysAndTheEnvelopeCarriesTheIdentity) {
  d.send("AUTH PLAIN " + plain("", "alice@example.org/phone", "phone-pw") + "\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org> AUTH=<>\r\nRCPT TO:<friend@remote.example>\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok));
  d.send("DATA\r\nSubject: hi\r\n\r\nhello\r\n.\r\n");
  ASSERT_EQ(d.envelopes.size(), 1u);
  EXPECT_EQ(d.envelopes[0].auth, (AuthInfo{"alice@example.org", "phone", "PLAIN", {"alice@example.org"}}));
  ASSERT_TRUE(d.envelopes[0].tls);
  EXPECT_TRUE(d.envelopes[0].tls->channel_bindings.empty()) << "binding data must not reach the queue";
  // RFC 3848: ESMTPSA for authenticated mail over TLS.
  EXPECT_NE(d.messages[0].find(" with ESMTPSA"), std::string::npos) << d.messages[0];
}

TEST(AuthRelay, UnauthenticatedClientCannotRelay) {
  Settings s = submission();
  s.require_auth = false;
  Dialog d(s);
  d.send("EHLO client.example\r\nSTARTTLS\r\n");
  d.send("EHLO client.example\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<x@example.com>\r\nRCPT TO:<friend@remote.example>\r\n"),
            R(replies::sender_ok) + R(replies::relay_denied));
}

TEST(AuthRelay, TrustedNetworkStillRelaysWithoutAuthAndTheEnvelopeHasNoIdentity) {
  Dialog d(submission(), ClientOptions{.trusted_network = true});
  d.send("EHLO client.example\r\nSTARTTLS\r\n");
  d.send("EHLO client.example\r\n");
  // RFC 4954 §5: AUTH= is the client's claim, and claims are not identities.
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org> AUTH=alice@example.org\r\nRCPT TO:<friend@remote.example>\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok));
  d.send("DATA\r\nSubject: hi\r\n\r\nhello\r\n.\r\n");
  ASSERT_EQ(d.envelopes.size(), 1u);
  EXPECT_FALSE(d.envelopes[0].auth);
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org> AUTH\r\n"), R(replies::syntax_params));
}

TEST(AuthTls, StartTlsForgetsAnIdentityProvedInClear) {
  Settings s = submission({"PLAIN"});
  s.require_tls = false;
  s.auth.allow_without_tls = true;
  Dialog d(s);
  d.authenticator.add("alice@example.org", {"alice@example.org", "password", "alice-pw", false});
  d.send("EHLO client.example\r\n");
  EXPECT_EQ(d.send("AUTH PLAIN " + plain("", "alice@example.org", "alice-pw") + "\r\n"), R(replies::auth_ok));
  d.send("STARTTLS\r\n");
  d.send("EHLO client.example\r\n");
  EXPECT_FALSE(d.session().identity());
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org>\r\n"), R(replies::auth_required));
}

TEST(AuthTls, StartTlsDuringAnExchangeIsAResponseNotACommand) {
  Settings s = submission({"LOGIN"});
  s.require_tls = false;
  s.auth.allow_without_tls = true;
  Dialog d(s);
  d.send("EHLO client.example\r\n");
  EXPECT_EQ(d.send("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
  // "STARTTLS" happens to be base64: it is the user name, and nothing is started.
  EXPECT_EQ(d.send("STARTTLS\r\n"), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_TRUE(std::ranges::find(d.actions, Action::start_tls) == d.actions.end());
}

TEST_F(Auth, FailuresCountTowardsTheErrorLimit) {
  std::string out;
  // Two credential failures (a third would end the connection on its own, see
  // auth_strikes_test.cpp), then undecodable responses up to the limit.
  for (int i = 0; i < 2; ++i) out = d.send("AUTH PLAIN " + plain("", "alice@example.org", "guess") + "\r\n");
  for (int i = 0; i < 8; ++i) out = d.send("AUTH PLAIN !!!\r\n");
  EXPECT_TRUE(out.ends_with(R(replies::too_many_errors))) << out;
  EXPECT_TRUE(d.closed);
}

TEST_F(Auth, StaleResolutionIsIgnored) {
  Output out;
  d.session().on_auth_resolved(AuthResolution{sasl::PasswordAnswer{sasl::Verdict::ok},
                                              AuthInfo{"mallory@example.org", "password", ""}},
                               out);
  EXPECT_EQ(out.replies, "");
  EXPECT_FALSE(d.session().identity());
}

}  // namespace
}  // namespace postern::session::test
