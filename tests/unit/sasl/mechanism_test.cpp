#include "sasl/mechanism.hpp"

#include <gtest/gtest.h>

#include <string>

#include "sasl/cram_md5.hpp"
#include "sasl/plain.hpp"
#include "sasl_test_util.hpp"

namespace postern::sasl {
namespace {

using namespace postern::sasl::test;
using namespace std::string_literals;

TEST(MechanismOrder, NextBeforeStartIsACallerBug) {
  auto m = make_plain();
  EXPECT_EQ(reason_of(m->next("\0tim\0pw"s)), FailureReason::internal);
  EXPECT_TRUE(m->finished());
  // Once ended, it stays ended: no later call can authenticate.
  EXPECT_EQ(reason_of(m->start("\0tim\0pw"s)), FailureReason::internal);
  EXPECT_EQ(reason_of(m->resume(PasswordAnswer{Verdict::ok})), FailureReason::internal);
}

TEST(MechanismOrder, StartTwiceIsACallerBug) {
  auto m = make_plain();
  ASSERT_NE(as_challenge(m->start(std::nullopt)), nullptr);
  EXPECT_EQ(reason_of(m->start("\0tim\0pw"s)), FailureReason::internal);
}

TEST(MechanismOrder, ResumeWithoutARequestIsACallerBug) {
  auto m = make_plain();
  m->start(std::nullopt);
  EXPECT_EQ(reason_of(m->resume(PasswordAnswer{Verdict::ok})), FailureReason::internal);
}

TEST(MechanismOrder, NextWhileARequestIsPendingIsACallerBug) {
  auto m = make_plain();
  ASSERT_NE(as_request<VerifyPassword>(m->start("\0tim\0pw"s)), nullptr);
  EXPECT_EQ(reason_of(m->next("\0tim\0pw"s)), FailureReason::internal);
}

TEST(MechanismOrder, AnswerOfAnotherKindIsACallerBug) {
  auto m = make_plain();
  ASSERT_NE(as_request<VerifyPassword>(m->start("\0tim\0pw"s)), nullptr);
  EXPECT_EQ(reason_of(m->resume(TokenAnswer{Verdict::ok, "tim", {}})), FailureReason::internal);
  EXPECT_TRUE(m->finished());

  auto cram = make_cram_md5("<1.2@h>");
  cram->start(std::nullopt);
  ASSERT_NE(as_request<NeedCramSecret>(cram->next("tim 00000000000000000000000000000000")), nullptr);
  EXPECT_EQ(reason_of(cram->resume(PasswordAnswer{Verdict::ok})), FailureReason::internal);
}

TEST(MechanismOrder, CallsAfterSuccessAreRefused) {
  auto m = make_plain();
  m->start("\0tim\0pw"s);
  ASSERT_NE(as_success(m->resume(PasswordAnswer{Verdict::ok})), nullptr);
  EXPECT_TRUE(m->finished());
  EXPECT_EQ(reason_of(m->resume(PasswordAnswer{Verdict::ok})), FailureReason::internal);
  EXPECT_EQ(reason_of(m->next("")), FailureReason::internal);
}

TEST(MechanismOrder, CancelEndsTheExchange) {
  auto m = make_plain();
  m->start(std::nullopt);
  EXPECT_FALSE(m->finished());
  EXPECT_EQ(reason_of(m->cancel()), FailureReason::cancelled);
  EXPECT_TRUE(m->finished());
  EXPECT_EQ(reason_of(m->next("\0tim\0pw"s)), FailureReason::internal);
}

TEST(Describe, NeverShowsSecrets) {
  std::string password = "s3cr3t-PASSWORD";
  std::string token = "eyJhbGciOiJIUzI1NiJ9.TOKEN";
  std::string challenge = "r=nonce,s=SALTSALT,i=4096";
  for (const Step& step : {
           Step{Request{VerifyPassword{"tim", "ursel", password}}},
           Step{Request{VerifyToken{"tim", token, "host", "587"}}},
           Step{Challenge{challenge}},
       }) {
    std::string text = describe(step);
    EXPECT_EQ(text.find(password), std::string::npos) << text;
    EXPECT_EQ(text.find(token), std::string::npos) << text;
    EXPECT_EQ(text.find("SALTSALT"), std::string::npos) << text;
  }
  EXPECT_EQ(describe(Step{Challenge{challenge}}), "challenge (" + std::to_string(challenge.size()) + " bytes)");
  EXPECT_EQ(describe(Step{Request{VerifyPassword{"tim", "ursel", password}}}),
            "verify_password authcid=tim authzid=ursel");
}

TEST(Describe, EscapesControlCharactersInIdentities) {
  std::string text = describe(Step{Request{NeedCramSecret{"tim\r\nFAKE LOG LINE"}}});
  EXPECT_EQ(text, "need_cram_secret authcid=tim\\x0d\\x0aFAKE LOG LINE");
  EXPECT_EQ(describe(Step{Failure{FailureReason::downgrade, "y flag"}}), "failure downgrade: y flag");
  EXPECT_EQ(describe(Step{Success{"a", "b", "v=x"}}), "success authcid=a authzid=b (with server-final data)");
}

TEST(Describe, NamesEveryFailureReason) {
  for (auto r : {FailureReason::malformed, FailureReason::bad_credentials, FailureReason::authzid_not_permitted,
                 FailureReason::temporary_failure, FailureReason::channel_binding_mismatch, FailureReason::downgrade,
                 FailureReason::unsupported, FailureReason::cancelled, FailureReason::internal}) {
    EXPECT_FALSE(to_string(r).empty());
  }
  EXPECT_EQ(to_string(FailureReason::channel_binding_mismatch), "channel_binding_mismatch");
}

}  // namespace
}  // namespace postern::sasl
