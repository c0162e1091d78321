// A suspended credential is refused like a revoked one, with every mechanism, and comes back
// unchanged when resumed; tokens and certificates are credentials of their own.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/store_authenticator.hpp"
#include "auth_test_util.hpp"
#include "store_test_util.hpp"

namespace postern::auth {
namespace {

using namespace test;
using sasl::Verdict;

class SuspensionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(db(), test_options(random_, clock_, &errors_));
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->add_account("bob@example.test", "bob-password", true));
    auto phone = store_->add_credential("bob@example.test", {.name = "phone"});
    ASSERT_TRUE(phone);
    phone_ = *phone;
    authenticator_ = make_authenticator(*store_, &tokens_, AuthenticatorOptions{.random = &random_});
    // The CLI is another process with a store object of its own.
    cli_ = open_store(db(), test_options(random_, clock_));
  }

  std::filesystem::path db() const { return dir_.path() / "postern.db"; }

  Resolution password(std::string user, std::string pw) {
    return authenticator_->resolve(sasl::VerifyPassword{std::move(user), "", std::move(pw)}, client_);
  }
  Resolution token() {
    tokens_.result = TokenResult{TokenResult::Kind::ok, "bob@example.test", "", ""};
    return authenticator_->resolve(sasl::VerifyToken{"", "t", "", ""}, client_);
  }
  Resolution certificate() {
    return authenticator_->resolve(
        sasl::VerifyCertificate{"", sasl::ClientCertificate{"bob@example.test", "Bob", std::string(64, 'f'), true}},
        client_);
  }

  TempDir dir_;
  testing::CountingRandom random_;
  testing::FakeClock clock_;
  std::vector<std::string> errors_;
  FakeTokenValidator tokens_;
  std::unique_ptr<AccountStore> store_;
  std::unique_ptr<AccountStore> cli_;
  std::unique_ptr<Authenticator> authenticator_;
  ClientFacts client_{"192.0.2.7", true};
  std::string phone_;
};

TEST_F(SuspensionTest, SuspendedAppPasswordIsRefusedWithEveryMechanism) {
  ASSERT_TRUE(cli_->suspend_credential("bob@example.test", "phone", "spam run"));
  auto named = password("bob@example.test/phone", phone_);
  EXPECT_EQ(verdict(named), Verdict::bad_credentials);
  EXPECT_EQ(named.reason, "suspended");
  EXPECT_FALSE(named.identity);
  // By the bare address, a right app password still names why it is refused.
  EXPECT_EQ(password("bob@example.test", phone_).reason, "suspended");
  // A wrong password stays a wrong password: suspension reveals nothing to a guesser.
  std::string wrong = phone_;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  EXPECT_EQ(password("bob@example.test/phone", wrong).reason, "wrong password");

  auto scram =
      authenticator_->resolve(sasl::NeedScramVerifier{sasl::ScramHash::sha256, "bob@example.test/phone", ""}, client_);
  EXPECT_EQ(verdict(scram), Verdict::bad_credentials);
  EXPECT_EQ(scram.reason, "suspended");
  EXPECT_FALSE(run_scram(*authenticator_, sasl::ScramHash::sha1, "bob@example.test/phone", phone_, client_).success);
  auto cram = authenticator_->resolve(sasl::NeedCramSecret{"bob@example.test/phone"}, client_);
  EXPECT_EQ(verdict(cram), Verdict::bad_credentials);
  EXPECT_EQ(cram.reason, "suspended");

  // The other credentials are untouched.
  EXPECT_EQ(verdict(password("bob@example.test", "bob-password")), Verdict::ok);
  EXPECT_TRUE(run_scram(*authenticator_, sasl::ScramHash::sha256, "bob@example.test", "bob-password", client_).success);
}

TEST_F(SuspensionTest, SuspendedAccountPasswordIsRefusedWithEveryMechanism) {
  ASSERT_TRUE(cli_->suspend_credential("bob@example.test", "password", ""));
  EXPECT_EQ(password("bob@example.test", "bob-password").reason, "suspended");
  EXPECT_EQ(password("bob@example.test/password", "bob-password").reason, "suspended");
  EXPECT_EQ(
      authenticator_->resolve(sasl::NeedScramVerifier{sasl::ScramHash::sha1, "bob@example.test", ""}, client_).reason,
      "suspended");
  EXPECT_FALSE(run_cram(*authenticator_, "bob@example.test", "bob-password", client_).success);
  EXPECT_EQ(authenticator_->resolve(sasl::NeedCramSecret{"bob@example.test"}, client_).reason, "suspended");
  // App passwords are credentials of their own.
  EXPECT_EQ(verdict(password("bob@example.test/phone", phone_)), Verdict::ok);
  EXPECT_EQ(verdict(password("bob@example.test", phone_)), Verdict::ok);
}

TEST_F(SuspensionTest, TokensAndCertificatesAreSuspendedByTheirOwnNames) {
  // The account password's suspension leaves them alone (documented in store_authenticator.hpp).
  ASSERT_TRUE(cli_->suspend_credential("bob@example.test", "password", ""));
  EXPECT_EQ(verdict(token()), Verdict::ok);
  EXPECT_EQ(verdict(certificate()), Verdict::ok);

  ASSERT_TRUE(cli_->suspend_credential("bob@example.test", "oauth", ""));
  auto t = token();
  EXPECT_EQ(verdict(t), Verdict::bad_credentials);
  EXPECT_EQ(t.reason, "suspended");
  EXPECT_FALSE(t.identity);
  EXPECT_EQ(verdict(certificate()), Verdict::ok);

  ASSERT_TRUE(cli_->suspend_credential("bob@example.test", "certificate", ""));
  auto c = certificate();
  EXPECT_EQ(verdict(c), Verdict::bad_credentials);
  EXPECT_EQ(c.reason, "suspended");

  ASSERT_TRUE(cli_->resume_credential("bob@example.test", "oauth"));
  EXPECT_EQ(verdict(token()), Verdict::ok);
}

TEST_F(SuspensionTest, SuspendingEndsACachedLoginAndResumingRestoresIt) {
  EXPECT_EQ(password("bob@example.test/phone", phone_).reason, "password ok");
  EXPECT_EQ(password("bob@example.test/phone", phone_).reason, "password ok (cached)");
  ASSERT_TRUE(cli_->suspend_credential("bob@example.test", "phone", ""));
  EXPECT_EQ(password("bob@example.test/phone", phone_).reason, "suspended");
  ASSERT_TRUE(cli_->resume_credential("bob@example.test", "phone"));
  auto back = password("bob@example.test/phone", phone_);
  EXPECT_EQ(verdict(back), Verdict::ok);
  EXPECT_EQ(back.reason, "password ok");
  // Its secrets were kept: SCRAM works at once, no PLAIN login needed first.
  EXPECT_TRUE(run_scram(*authenticator_, sasl::ScramHash::sha256, "bob@example.test/phone", phone_, client_).success);
}

}  // namespace
}  // namespace postern::auth
