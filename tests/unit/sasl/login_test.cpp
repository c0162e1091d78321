#include "sasl/login.hpp"

#include <gtest/gtest.h>

#include <string>

#include "base/base64.hpp"
#include "sasl/plain.hpp"
#include "sasl_test_util.hpp"

namespace postern::sasl {
namespace {

using namespace postern::sasl::test;
using namespace std::string_literals;

TEST(Login, AsksForUserNameThenPassword) {
  auto m = make_login();
  EXPECT_EQ(m->name(), "LOGIN");
  Step step = m->start(std::nullopt);
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  // [MS-XLOGIN] §2.2.2: auth_login_username_challenge = "334 VXNlcm5hbWU6"
  EXPECT_EQ(base::base64_encode(c->data), "VXNlcm5hbWU6");
  step = m->next("tim");
  c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  // auth_login_password_challenge = "334 UGFzc3dvcmQ6"
  EXPECT_EQ(base::base64_encode(c->data), "UGFzc3dvcmQ6");
  step = m->next("tanstaaftanstaaf");
  const auto* req = as_request<VerifyPassword>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authcid, "tim");
  EXPECT_EQ(req->authzid, "");
  EXPECT_EQ(req->password, "tanstaaftanstaaf");
  step = m->resume(PasswordAnswer{Verdict::ok});
  const auto* ok = as_success(step);
  ASSERT_NE(ok, nullptr) << show(step);
  EXPECT_EQ(ok->authcid, "tim");
}

TEST(Login, TakesTheInitialResponseAsUserName) {
  auto m = make_login();
  Step step = m->start("tim");
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  EXPECT_EQ(c->data, "Password:");
  step = m->next("secret");
  const auto* req = as_request<VerifyPassword>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authcid, "tim");
  EXPECT_EQ(reason_of(m->resume(PasswordAnswer{Verdict::bad_credentials})), FailureReason::bad_credentials);
}

TEST(Login, TemporaryFailureStaysTemporary) {
  auto m = make_login();
  m->start("tim");
  m->next("secret");
  EXPECT_EQ(reason_of(m->resume(PasswordAnswer{Verdict::temporary_failure})), FailureReason::temporary_failure);
}

TEST(Login, RefusesBadUserNames) {
  for (const std::string& bad : {""s, "t\0m"s, std::string(max_field_octets + 1, 'u')}) {
    auto m = make_login();
    EXPECT_EQ(reason_of(m->start(bad)), FailureReason::malformed) << bad.size();
    auto m2 = make_login();
    m2->start(std::nullopt);
    EXPECT_EQ(reason_of(m2->next(bad)), FailureReason::malformed) << bad.size();
  }
}

TEST(Login, RefusesBadPasswords) {
  for (const std::string& bad : {""s, "p\0w"s, std::string(max_field_octets + 1, 'p')}) {
    auto m = make_login();
    m->start("tim");
    EXPECT_EQ(reason_of(m->next(bad)), FailureReason::malformed) << bad.size();
  }
}

}  // namespace
}  // namespace postern::sasl
