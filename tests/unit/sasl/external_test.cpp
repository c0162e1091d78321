// EXTERNAL (RFC 4422 Appendix A): the authzid message, every step, malformed input.

#include "sasl/external.hpp"

#include <gtest/gtest.h>

#include <string>

#include "base/base64.hpp"
#include "sasl_test_util.hpp"

namespace postern::sasl {
namespace {

using namespace postern::sasl::test;
using namespace std::string_literals;

TEST(External, Rfc4422ExampleActsAsFred) {
  // RFC 4422 App. A.2: "C: AUTH EXTERNAL ZnJlZA==" — the client asks to act as "fred"; the
  // server answers "235 Authentication successful" (the identity came from TLS).
  auto m = make_external();
  EXPECT_EQ(m->name(), "EXTERNAL");
  auto message = base::base64_decode("ZnJlZA==");
  ASSERT_TRUE(message);
  Step step = m->start(*message);
  const auto* req = as_request<VerifyCertificate>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authzid, "fred");
  EXPECT_FALSE(req->certificate.has_value()) << "the certificate is the caller's to attach";
  step = m->resume(CertificateAnswer{Verdict::ok, "fred@example.org"});
  const auto* ok = as_success(step);
  ASSERT_NE(ok, nullptr) << show(step);
  EXPECT_EQ(ok->authcid, "fred@example.org");
  EXPECT_EQ(ok->authzid, "fred");
  EXPECT_FALSE(ok->server_final.has_value());
  EXPECT_TRUE(m->finished());
}

TEST(External, EmptyInitialResponseActsAsTheCertificatesIdentity) {
  // RFC 4954 §4: "AUTH EXTERNAL =" gives the mechanism an empty initial response.
  auto m = make_external();
  Step step = m->start(""s);
  const auto* req = as_request<VerifyCertificate>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authzid, "");
  step = m->resume(CertificateAnswer{Verdict::ok, "alice@example.org"});
  const auto* ok = as_success(step);
  ASSERT_NE(ok, nullptr) << show(step);
  EXPECT_EQ(ok->authcid, "alice@example.org");
  EXPECT_EQ(ok->authzid, "");
}

TEST(External, WithoutInitialResponseTheServerSendsAnEmptyChallenge) {
  // RFC 4422 §5: client-first; without an initial response the server sends an empty challenge.
  auto m = make_external();
  Step step = m->start(std::nullopt);
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  EXPECT_EQ(c->data, "");
  step = m->next("alice@example.org");
  const auto* req = as_request<VerifyCertificate>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authzid, "alice@example.org");
  step = m->resume(CertificateAnswer{Verdict::ok, "alice@example.org"});
  ASSERT_NE(as_success(step), nullptr) << show(step);
}

TEST(External, EmptyResponseAfterTheChallenge) {
  auto m = make_external();
  ASSERT_NE(as_challenge(m->start(std::nullopt)), nullptr);
  Step step = m->next("");  // kept: `req` points into it
  const auto* req = as_request<VerifyCertificate>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authzid, "");
}

TEST(External, MapsEachVerdict) {
  for (auto [verdict, reason] : {std::pair{Verdict::bad_credentials, FailureReason::bad_credentials},
                                 std::pair{Verdict::authzid_not_permitted, FailureReason::authzid_not_permitted},
                                 std::pair{Verdict::temporary_failure, FailureReason::temporary_failure}}) {
    auto m = make_external();
    ASSERT_NE(as_request<VerifyCertificate>(m->start("bob@example.org"s)), nullptr);
    Step step = m->resume(CertificateAnswer{verdict, "alice@example.org"});
    EXPECT_EQ(reason_of(step), reason) << show(step);
    EXPECT_TRUE(m->finished());
  }
}

TEST(External, OkWithoutAnIdentityNeverAuthenticates) {
  auto m = make_external();
  ASSERT_NE(as_request<VerifyCertificate>(m->start(""s)), nullptr);
  Step step = m->resume(CertificateAnswer{Verdict::ok, ""});
  EXPECT_EQ(reason_of(step), FailureReason::internal) << show(step);
}

TEST(External, MalformedMessagesAskNothing) {
  // RFC 4422 App. A.1: authz-id-string = 1*( UTF8-char-no-nul ).
  for (const std::string& bad : {"\0"s, "alice\0@example.org"s, "alice@example.org\0"s, "\xff"s, "caf\xc3"s,
                                 "\xc0\xaf"s, "\xed\xa0\x80"s, std::string(256, 'a')}) {
    for (bool initial : {true, false}) {
      auto m = make_external();
      Step step = initial ? m->start(bad) : m->start(std::nullopt);
      if (!initial) {
        ASSERT_NE(as_challenge(step), nullptr);
        step = m->next(bad);
      }
      EXPECT_EQ(reason_of(step), FailureReason::malformed) << show(step);
      EXPECT_TRUE(m->finished());
    }
  }
}

TEST(External, AcceptsTheLongestAndNonAsciiAuthzids) {
  for (const std::string& good : {std::string(255, 'a'), "j\xc3\xb6rg@example.org"s, "\xe2\x82\xac"s}) {
    auto m = make_external();
    Step step = m->start(good);
    const auto* req = as_request<VerifyCertificate>(step);
    ASSERT_NE(req, nullptr) << show(step);
    EXPECT_EQ(req->authzid, good);
  }
}

TEST(External, AnswerOfAnotherKindIsRefused) {
  auto m = make_external();
  ASSERT_NE(as_request<VerifyCertificate>(m->start(""s)), nullptr);
  EXPECT_EQ(reason_of(m->resume(TokenAnswer{Verdict::ok, "alice@example.org", {}})), FailureReason::internal);
  EXPECT_TRUE(m->finished());
}

TEST(External, CallsOutOfOrderFail) {
  {
    auto m = make_external();
    EXPECT_EQ(reason_of(m->next("x")), FailureReason::internal) << "next() before start()";
  }
  {
    auto m = make_external();
    ASSERT_NE(as_request<VerifyCertificate>(m->start(""s)), nullptr);
    EXPECT_EQ(reason_of(m->next("")), FailureReason::internal) << "next() while an answer is pending";
    EXPECT_EQ(reason_of(m->resume(CertificateAnswer{Verdict::ok, "a@b"})), FailureReason::internal);
  }
  {
    auto m = make_external();
    ASSERT_NE(as_challenge(m->start(std::nullopt)), nullptr);
    EXPECT_EQ(reason_of(m->resume(CertificateAnswer{Verdict::ok, "a@b"})), FailureReason::internal)
        << "resume() without a request";
  }
  {
    auto m = make_external();
    ASSERT_NE(as_request<VerifyCertificate>(m->start(""s)), nullptr);
    ASSERT_NE(as_success(m->resume(CertificateAnswer{Verdict::ok, "a@b"})), nullptr);
    EXPECT_EQ(reason_of(m->start(""s)), FailureReason::internal) << "after the end";
  }
}

TEST(External, CancelEndsTheExchange) {
  auto m = make_external();
  ASSERT_NE(as_challenge(m->start(std::nullopt)), nullptr);
  EXPECT_EQ(reason_of(m->cancel()), FailureReason::cancelled);
  EXPECT_TRUE(m->finished());
  EXPECT_EQ(reason_of(m->next("")), FailureReason::internal);
}

TEST(External, DescribeNamesTheCertificateButNoSecret) {
  ClientCertificate cert{"alice@example.org", "Alice", "ab12", true};
  EXPECT_EQ(describe(Step{Request{VerifyCertificate{"", cert}}}),
            "verify_certificate authzid= email=alice@example.org cn=Alice sha256=ab12 verified");
  cert.verified = false;
  EXPECT_EQ(describe(Step{Request{VerifyCertificate{"x\n", cert}}}),
            "verify_certificate authzid=x\\x0a email=alice@example.org cn=Alice sha256=ab12 unverified");
  EXPECT_EQ(describe(Step{Request{VerifyCertificate{"", std::nullopt}}}),
            "verify_certificate authzid= certificate=none");
}

}  // namespace
}  // namespace postern::sasl
