#include "sasl/oauth.hpp"

#include <gtest/gtest.h>

#include <string>

#include "base/base64.hpp"
#include "sasl_test_util.hpp"

namespace postern::sasl {
namespace {

using namespace postern::sasl::test;
using namespace std::string_literals;

const std::string A = "\x01";  // RFC 7628 kvsep, written ^A in the RFC

std::string decode(std::string_view b64) { return base::base64_decode(b64).value_or("<bad base64>"); }

// RFC 7628 §4.1 (IMAP, port 143) and §4.4 (SMTP, port 587) initial client responses.
constexpr std::string_view rfc7628_imap_ir =
    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRj"
    "Mk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
constexpr std::string_view rfc7628_smtp_ir =
    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9NTg3AWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRj"
    "Mk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
constexpr std::string_view rfc7628_token = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";

TEST(OAuthBearer, Rfc7628SuccessfulExchange) {
  std::string ir = decode(rfc7628_imap_ir);
  // The RFC's decoded form: n,a=user@example.com,^Ahost=server.example.com^Aport=143^A
  //                         auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==^A^A
  EXPECT_EQ(ir, "n,a=user@example.com," + A + "host=server.example.com" + A + "port=143" + A + "auth=Bearer " +
                    std::string(rfc7628_token) + A + A);
  auto m = make_oauthbearer();
  EXPECT_EQ(m->name(), "OAUTHBEARER");
  Step step = m->start(ir);
  const auto* req = as_request<VerifyToken>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authzid, "user@example.com");
  EXPECT_EQ(req->token, rfc7628_token);
  EXPECT_EQ(req->host, "server.example.com");
  EXPECT_EQ(req->port, "143");
  step = m->resume(TokenAnswer{Verdict::ok, "user@example.com", {}});
  const auto* ok = as_success(step);
  ASSERT_NE(ok, nullptr) << show(step);
  EXPECT_EQ(ok->authcid, "user@example.com");
  EXPECT_EQ(ok->authzid, "user@example.com");
  EXPECT_FALSE(ok->server_final.has_value());
}

TEST(OAuthBearer, Rfc7628FailedExchangeImap) {
  // RFC 7628 §4.3: the server's error challenge, then the client's dummy AQ== (0x01).
  auto m = make_oauthbearer();
  ASSERT_NE(as_request<VerifyToken>(m->start(decode(rfc7628_imap_ir))), nullptr);
  TokenError error;
  error.status = "invalid_token";
  error.scope = "example_scope";
  error.openid_configuration = "https://example.com/.well-known/openid-configuration";
  Step step = m->resume(TokenAnswer{Verdict::bad_credentials, "", error});
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  EXPECT_EQ(base::base64_encode(c->data),
            "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwcz"
            "ovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=");
  EXPECT_FALSE(m->finished());
  step = m->next(decode("AQ=="));
  const auto* f = as_failure(step);
  ASSERT_NE(f, nullptr) << show(step);
  EXPECT_EQ(f->reason, FailureReason::bad_credentials);
  EXPECT_EQ(f->detail.find("acknowledge"), std::string::npos) << f->detail;
  EXPECT_TRUE(m->finished());
}

TEST(OAuthBearer, Rfc7628FailedExchangeSmtp) {
  // RFC 7628 §4.4: C: AUTH OAUTHBEARER <ir>  S: 334 <json>  C: AQ==  S: 535 5.7.8
  auto m = make_oauthbearer();
  Step step = m->start(decode(rfc7628_smtp_ir));
  const auto* req = as_request<VerifyToken>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->port, "587");
  TokenError error;
  error.status = "invalid_token";
  error.schemes = "bearer mac";
  error.scope = "https://mail.example.com/";
  step = m->resume(TokenAnswer{Verdict::bad_credentials, "", error});
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  EXPECT_EQ(base::base64_encode(c->data),
            "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciBtYWMiLCJzY29wZSI6Imh0dHBzOi8vbWFpbC5leGFtcGxlLm"
            "NvbS8ifQ==");
  EXPECT_EQ(reason_of(m->next(decode("AQ=="))), FailureReason::bad_credentials);
}

TEST(OAuthBearer, WrongDummyResponseStillFails) {
  for (const std::string& reply : {""s, "x"s, A + A}) {
    auto m = make_oauthbearer();
    m->start(decode(rfc7628_smtp_ir));
    m->resume(TokenAnswer{Verdict::bad_credentials, "", {}});
    Step step = m->next(reply);
    const auto* f = as_failure(step);
    ASSERT_NE(f, nullptr) << show(step);
    EXPECT_EQ(f->reason, FailureReason::bad_credentials);
    EXPECT_NE(f->detail.find("acknowledge"), std::string::npos) << f->detail;
  }
}

TEST(OAuthBearer, AuthzidRefusalSendsTheErrorToo) {
  auto m = make_oauthbearer();
  m->start(decode(rfc7628_smtp_ir));
  Step step = m->resume(TokenAnswer{Verdict::authzid_not_permitted, "bob@example.com", {}});
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  EXPECT_EQ(c->data, R"({"status":"invalid_token"})");
  EXPECT_EQ(reason_of(m->next(A)), FailureReason::authzid_not_permitted);
}

TEST(OAuthBearer, TemporaryFailureEndsAtOnce) {
  auto m = make_oauthbearer();
  m->start(decode(rfc7628_smtp_ir));
  EXPECT_EQ(reason_of(m->resume(TokenAnswer{Verdict::temporary_failure, "", {}})), FailureReason::temporary_failure);
  EXPECT_TRUE(m->finished());
}

TEST(OAuthBearer, ValidatorMustNameTheIdentity) {
  auto m = make_oauthbearer();
  m->start(decode(rfc7628_smtp_ir));
  EXPECT_EQ(reason_of(m->resume(TokenAnswer{Verdict::ok, "", {}})), FailureReason::internal);
}

TEST(OAuthBearer, WithoutInitialResponseOrAuthzid) {
  auto m = make_oauthbearer();
  Step step = m->start(std::nullopt);
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  EXPECT_EQ(c->data, "");
  step = m->next("n,," + A + "auth=bearer   abc.DEF-ghi_~+/==" + A + "custom=ignored" + A + A);
  const auto* req = as_request<VerifyToken>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authzid, "");
  EXPECT_EQ(req->token, "abc.DEF-ghi_~+/==");
  EXPECT_EQ(req->host, "");
  step = m->resume(TokenAnswer{Verdict::ok, "alice@example.com", {}});
  const auto* ok = as_success(step);
  ASSERT_NE(ok, nullptr) << show(step);
  EXPECT_EQ(ok->authcid, "alice@example.com");
  EXPECT_EQ(ok->authzid, "");
}

TEST(OAuthBearer, RefusesMalformedMessages) {
  for (const std::string& bad : {
           ""s,
           A,                                                          // the dummy response is not a first message
           "n,," + A + A,                                              // no auth
           "n,,auth=Bearer x" + A + A,                                 // no kvsep after the header
           "p=tls-unique,," + A + "auth=Bearer x" + A + A,             // channel binding
           "n,," + A + "auth=Bearer x" + A,                            // no final kvsep
           "n,," + A + "auth=Bearer x" + A + A + "junk",               // data after the end
           "n,," + A + "auth=Bearer x" + A + "auth=Bearer y" + A + A,  // auth twice
           "n,," + A + "auth=Basic dXNlcjpwdw==" + A + A,              // not a bearer token
           "n,," + A + "auth=Bearer" + A + A,                          // no token
           "n,," + A + "auth=Bearer " + A + A,                         //
           "n,," + A + "auth=Bearerx" + A + A,                         //
           "n,," + A + "auth=Bearer a=b" + A + A,                      // "=" only at the end of a b64token
           "n,," + A + "auth=Bearer a b" + A + A,                      // space inside
           "n,," + A + "auth=Bearer x" + A + "h0st=a" + A + A,         // key not ALPHA
           "n,," + A + "auth=Bearer x" + A + "=a" + A + A,             // empty key
           "n,," + A + "auth=Bearer x" + A + "host" + A + A,           // no "="
           "n,," + A + "auth=Bearer x" + A + "host=a\x02" + A + A,     // control character
           "n,a=," + A + "auth=Bearer x" + A + A,                      // empty authzid
           "x,," + A + "auth=Bearer x" + A + A,                        // bad flag
       }) {
    auto m = make_oauthbearer();
    Step step = m->start(bad);
    EXPECT_EQ(reason_of(step), FailureReason::malformed) << base::base64_encode(bad) << ": " << show(step);
  }
}

TEST(OAuthBearer, EveryTruncationIsMalformed) {
  std::string ir = decode(rfc7628_imap_ir);
  for (std::size_t k = 0; k < ir.size(); ++k) {
    auto m = make_oauthbearer();
    Step step = m->start(std::string_view(ir).substr(0, k));
    EXPECT_EQ(reason_of(step), FailureReason::malformed) << k << ": " << show(step);
  }
}

TEST(OAuthErrorJson, EscapesStrings) {
  TokenError e;
  e.status = "invalid_token";
  e.scope = "a \"quoted\" \\ scope\n";
  EXPECT_EQ(oauth_error_json(e), R"({"status":"invalid_token","scope":"a \"quoted\" \\ scope\u000a"})");
}

// ---- XOAUTH2 ----------------------------------------------------------------------------------

// Google's XOAUTH2 description: the example initial client response.
constexpr std::string_view google_ir =
    "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ"
    "==";

TEST(XOAuth2, GoogleExample) {
  std::string ir = decode(google_ir);
  EXPECT_EQ(ir, "user=someuser@example.com" + A + "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg" + A + A);
  auto m = make_xoauth2();
  EXPECT_EQ(m->name(), "XOAUTH2");
  Step step = m->start(ir);
  const auto* req = as_request<VerifyToken>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authzid, "someuser@example.com");
  EXPECT_EQ(req->token, "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
  step = m->resume(TokenAnswer{Verdict::ok, "someuser@example.com", {}});
  const auto* ok = as_success(step);
  ASSERT_NE(ok, nullptr) << show(step);
  EXPECT_EQ(ok->authcid, "someuser@example.com");
}

TEST(XOAuth2, GoogleErrorResponse) {
  // Google's example error challenge decodes to
  // {"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"} plus a newline.
  std::string google_error =
      decode("eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5jb20vIn0K");
  auto m = make_xoauth2();
  m->start(decode(google_ir));
  TokenError error;
  error.status = "invalid_token";  // RFC 6750 §3.1: HTTP 401
  error.schemes = "bearer mac";
  error.scope = "https://mail.google.com/";
  Step step = m->resume(TokenAnswer{Verdict::bad_credentials, "", error});
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  EXPECT_EQ(c->data + "\n", google_error);
  // The client answers the error with an empty response.
  step = m->next("");
  const auto* f = as_failure(step);
  ASSERT_NE(f, nullptr) << show(step);
  EXPECT_EQ(f->reason, FailureReason::bad_credentials);
  EXPECT_EQ(f->detail.find("acknowledge"), std::string::npos);
}

TEST(XOAuth2, MapsStatusesToHttpCodesAndDefaultsSchemes) {
  for (auto [status, http] : {std::pair{"invalid_token", "401"}, std::pair{"insufficient_scope", "403"},
                              std::pair{"invalid_request", "400"}, std::pair{"other", "other"}}) {
    auto m = make_xoauth2();
    m->start(decode(google_ir));
    TokenError error;
    error.status = status;
    Step step = m->resume(TokenAnswer{Verdict::bad_credentials, "", error});
    const auto* c = as_challenge(step);
    ASSERT_NE(c, nullptr) << show(step);
    EXPECT_EQ(c->data, R"({"status":")" + std::string(http) + R"(","schemes":"bearer"})");
  }
}

TEST(XOAuth2, RefusesMalformedMessages) {
  for (const std::string& bad : {
           ""s, A + A,
           "user=a@b" + A + A,                            // no auth
           "auth=Bearer x" + A + A,                       // no user
           "user=" + A + "auth=Bearer x" + A + A,         // empty user
           "user=a@b" + A + "auth=Bearer x" + A,          // no final kvsep
           "user=a@b" + A + "auth=Bearer x",              //
           "user=a@b" + A + "auth=Bearer x" + A + A + A,  // one kvsep too many
           "user=a@b" + A + "auth=Token x" + A + A,       // not Bearer
           "user=a\xff" + A + "auth=Bearer x" + A + A,    // user not printable
       }) {
    auto m = make_xoauth2();
    Step step = m->start(bad);
    EXPECT_EQ(reason_of(step), FailureReason::malformed) << base::base64_encode(bad) << ": " << show(step);
  }
}

TEST(XOAuth2, EveryTruncationIsMalformed) {
  std::string ir = decode(google_ir);
  for (std::size_t k = 0; k < ir.size(); ++k) {
    auto m = make_xoauth2();
    EXPECT_EQ(reason_of(m->start(std::string_view(ir).substr(0, k))), FailureReason::malformed) << k;
  }
}

}  // namespace
}  // namespace postern::sasl
