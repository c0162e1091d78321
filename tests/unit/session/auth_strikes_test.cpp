// The per-connection limit on failed AUTH exchanges (RFC 4954 §9): the third credential failure
// is followed by 421 4.7.0 and the connection closes; syntax errors do not count.

#include <gtest/gtest.h>

#include "base/base64.hpp"
#include "dialog.hpp"

namespace postern::session::test {
namespace {

namespace replies = smtp::replies;
using base::base64_encode;

const std::string kInvalid = "535 5.7.8 Authentication credentials invalid\r\n";
const std::string kTooMany = "421 4.7.0 Too many authentication failures, closing connection\r\n";

Settings submission(bool allow_without_tls = false) {
  Settings s = default_settings();
  s.listener_name = "submission";
  s.kind = ListenerKind::submission;
  s.starttls_available = true;
  s.require_tls = !allow_without_tls;
  s.require_auth = true;
  s.auth.mechanisms = {"PLAIN", "LOGIN"};
  s.auth.allow_without_tls = allow_without_tls;
  return s;
}

std::string plain_auth(std::string_view user, std::string_view password) {
  return "AUTH PLAIN " + base64_encode(std::string(1, '\0') + std::string(user) + '\0' + std::string(password)) +
         "\r\n";
}

const std::string kWrong = plain_auth("alice@example.org", "nope");
const std::string kRight = plain_auth("alice@example.org", "alice-pw");

/// A submission dialog after EHLO, STARTTLS and EHLO again, with alice's password.
class AuthStrikes : public ::testing::Test {
 protected:
  explicit AuthStrikes(Settings settings = submission()) : d(std::move(settings), {}) {
    d.authenticator.add("alice@example.org", {"alice@example.org", "password", "alice-pw", true});
  }
  void SetUp() override {
    d.send("EHLO client.example\r\nSTARTTLS\r\n");
    ASSERT_NE(d.send("EHLO client.example\r\n").find("AUTH PLAIN LOGIN"), std::string::npos);
  }
  Dialog d;
};

TEST_F(AuthStrikes, ReplyNameSaysWhatTheClientSees) {
  EXPECT_EQ(R(replies::auth_too_many_failures), kTooMany);
}

TEST_F(AuthStrikes, ThirdWrongPasswordClosesAfterIts535) {
  EXPECT_EQ(d.send(kWrong), kInvalid);
  EXPECT_FALSE(d.closed);
  EXPECT_EQ(d.send(kWrong), kInvalid);
  EXPECT_FALSE(d.closed) << "never before the third failure";
  EXPECT_EQ(d.send(kWrong), kInvalid + kTooMany);
  EXPECT_TRUE(d.closed);
  EXPECT_TRUE(d.session().wants_close());
  ASSERT_FALSE(d.actions.empty());
  EXPECT_EQ(d.actions.back(), Action::close);
  EXPECT_EQ(d.auth_events.size(), 3u);
}

TEST_F(AuthStrikes, UnknownUsersCountLikeWrongPasswords) {
  d.send(plain_auth("nobody@example.org", "x"));
  d.send(kWrong);
  EXPECT_EQ(d.send(plain_auth("ghost@example.org", "y")), kInvalid + kTooMany);
  EXPECT_TRUE(d.closed);
}

TEST_F(AuthStrikes, TwoFailuresThenTheRightPasswordLogsIn) {
  d.send(kWrong);
  d.send(kWrong);
  EXPECT_EQ(d.send(kRight), R(replies::auth_ok));
  EXPECT_FALSE(d.closed);
  ASSERT_TRUE(d.session().identity());
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org>\r\n"), R(replies::sender_ok));
}

TEST_F(AuthStrikes, PipelinedCommandsAfterTheCloseAreNotRead) {
  auto replies = d.send(kWrong + kWrong + kWrong + kRight + "NOOP\r\n");
  EXPECT_EQ(replies, kInvalid + kInvalid + kInvalid + kTooMany);
  EXPECT_FALSE(d.session().identity());
  EXPECT_EQ(d.auth_events.size(), 3u);
}

TEST_F(AuthStrikes, TemporaryFailuresCount) {
  d.authenticator.set_down(true);
  const std::string temporary = "454 4.7.0 Temporary authentication failure\r\n";
  EXPECT_EQ(d.send(kRight), temporary);
  EXPECT_EQ(d.send(kRight), temporary);
  EXPECT_EQ(d.send(kWrong), temporary + kTooMany);
  EXPECT_TRUE(d.closed);
}

TEST_F(AuthStrikes, FailuresInsideAMultiStepExchangeCount) {
  d.send(kWrong);
  d.send(kWrong);
  EXPECT_EQ(d.send("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(d.send(base64_encode("alice@example.org") + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(d.send(base64_encode("guess") + "\r\n"), kInvalid + kTooMany);
  EXPECT_TRUE(d.closed);
}

TEST_F(AuthStrikes, SyntaxErrorsCancelsAndUnknownMechanismsDoNotCount) {
  d.send(kWrong);
  d.send(kWrong);
  EXPECT_EQ(d.send("AUTH PLAIN a b\r\n"), R(replies::auth_syntax));
  EXPECT_EQ(d.send("AUTH DIGEST-MD5\r\n"), R(replies::auth_unknown_mechanism));
  EXPECT_EQ(d.send("AUTH PLAIN !!!\r\n"), R(replies::auth_bad_base64));
  EXPECT_EQ(d.send("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(d.send("*\r\n"), R(replies::auth_cancelled));
  EXPECT_FALSE(d.closed);
  EXPECT_EQ(d.send(kRight), R(replies::auth_ok));
  EXPECT_FALSE(d.closed);
}

TEST_F(AuthStrikes, RsetDoesNotResetTheCount) {
  d.send(kWrong);
  d.send(kWrong);
  EXPECT_EQ(d.send("RSET\r\n"), R(replies::reset_ok));
  EXPECT_EQ(d.send(kWrong), kInvalid + kTooMany);
  EXPECT_TRUE(d.closed);
}

TEST_F(AuthStrikes, EhloDoesNotResetTheCount) {
  d.send(kWrong);
  d.send(kWrong);
  d.send("EHLO again.example\r\n");
  EXPECT_EQ(d.send(kWrong), kInvalid + kTooMany);
}

// A listener that lets AUTH run in clear text: failures before STARTTLS still count after it.
class AuthStrikesAcrossTls : public ::testing::Test {
 protected:
  AuthStrikesAcrossTls() : d(submission(true), {}) {
    d.authenticator.add("alice@example.org", {"alice@example.org", "password", "alice-pw", true});
  }
  Dialog d;
};

TEST_F(AuthStrikesAcrossTls, StarttlsDoesNotResetTheCount) {
  d.send("EHLO client.example\r\n");
  EXPECT_EQ(d.send(kWrong), kInvalid);
  EXPECT_EQ(d.send(kWrong), kInvalid);
  d.send("STARTTLS\r\n");
  EXPECT_NE(d.send("EHLO client.example\r\n").find("AUTH PLAIN LOGIN"), std::string::npos);
  EXPECT_EQ(d.send(kWrong), kInvalid + kTooMany);
  EXPECT_TRUE(d.closed);
}

}  // namespace
}  // namespace postern::session::test
