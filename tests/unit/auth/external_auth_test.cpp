// EXTERNAL through the store authenticator: a verified client certificate's address maps to an
// account (or an alias to its account); everything else is refused with a reason for the log.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "auth/store_authenticator.hpp"
#include "auth_test_util.hpp"
#include "store_test_util.hpp"

namespace postern::auth {
namespace {

using namespace test;
using sasl::Verdict;
using ::testing::HasSubstr;

sasl::ClientCertificate cert_for(std::string email, bool verified = true) {
  return sasl::ClientCertificate{std::move(email), "Some One", std::string(64, 'f'), verified};
}

class ExternalAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(db(), test_options(random_, clock_, &errors_));
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->add_account("Bob@example.test", "bob-password"));
    ASSERT_TRUE(store_->add_alias("info@example.test", "Bob@example.test"));
    ASSERT_TRUE(store_->add_account("carol@example.test", "carol-password"));
    authenticator_ = make_authenticator(*store_, nullptr, AuthenticatorOptions{.random = &random_});
  }

  std::filesystem::path db() const { return dir_.path() / "postern.db"; }

  Resolution external(std::optional<sasl::ClientCertificate> cert, std::string authzid = "") {
    return authenticator_->resolve(sasl::VerifyCertificate{std::move(authzid), std::move(cert)}, client_);
  }

  static const sasl::CertificateAnswer& answer(const Resolution& r) {
    return std::get<sasl::CertificateAnswer>(r.answer);
  }

  TempDir dir_;
  testing::CountingRandom random_;
  testing::FakeClock clock_;
  std::vector<std::string> errors_;
  std::unique_ptr<AccountStore> store_;
  std::unique_ptr<Authenticator> authenticator_;
  ClientFacts client_{"192.0.2.7", true};
};

TEST_F(ExternalAuthTest, VerifiedCertificateLogsInAsItsAccount) {
  auto r = external(cert_for("Bob@example.test"));
  EXPECT_EQ(verdict(r), Verdict::ok);
  EXPECT_EQ(r.reason, "certificate ok");
  ASSERT_TRUE(r.identity);
  EXPECT_EQ(r.identity->account, "Bob@example.test");
  EXPECT_EQ(r.identity->credential, "certificate");
  EXPECT_EQ(r.identity->credential, certificate_credential);
  EXPECT_TRUE(r.identity->allowed_senders.empty()) << "the account's own addresses";
  EXPECT_EQ(answer(r).identity, "Bob@example.test");
}

TEST_F(ExternalAuthTest, DomainAndLocalPartCompareWithoutCase) {
  // Certificates carry addresses as their CA wrote them; the store keys domains lower-case.
  for (const char* email : {"bob@EXAMPLE.TEST", "BOB@Example.Test", "bob@example.test"}) {
    auto r = external(cert_for(email));
    EXPECT_EQ(verdict(r), Verdict::ok) << email << ": " << r.reason;
    ASSERT_TRUE(r.identity) << email;
    EXPECT_EQ(r.identity->account, "Bob@example.test");
  }
}

TEST_F(ExternalAuthTest, AliasMapsToItsAccount) {
  auto r = external(cert_for("Info@Example.test"));
  EXPECT_EQ(verdict(r), Verdict::ok) << r.reason;
  ASSERT_TRUE(r.identity);
  EXPECT_EQ(r.identity->account, "Bob@example.test");
  EXPECT_EQ(answer(r).identity, "Bob@example.test");
}

TEST_F(ExternalAuthTest, UnknownAddressIsBadCredentials) {
  auto r = external(cert_for("nobody@example.test"));
  EXPECT_EQ(verdict(r), Verdict::bad_credentials);
  EXPECT_EQ(r.reason, "certificate address is no account");
  EXPECT_FALSE(r.identity);
  EXPECT_EQ(answer(r).identity, "");
  EXPECT_EQ(verdict(external(cert_for("bob@other.example"))), Verdict::bad_credentials);
  EXPECT_EQ(verdict(external(cert_for("not-an-address"))), Verdict::bad_credentials);
  EXPECT_EQ(verdict(external(cert_for("@example.test"))), Verdict::bad_credentials);
  EXPECT_EQ(verdict(external(cert_for(std::string("bob@example.test\0x", 18)))), Verdict::bad_credentials);
}

TEST_F(ExternalAuthTest, UnverifiedCertificateIsBadCredentialsWithAReason) {
  auto r = external(cert_for("Bob@example.test", false));
  EXPECT_EQ(verdict(r), Verdict::bad_credentials);
  EXPECT_EQ(r.reason, "client certificate not verified");
  EXPECT_FALSE(r.identity);
}

TEST_F(ExternalAuthTest, NoCertificateOrNoAddressIsBadCredentials) {
  auto none = external(std::nullopt);
  EXPECT_EQ(verdict(none), Verdict::bad_credentials);
  EXPECT_EQ(none.reason, "no client certificate");
  auto empty = external(cert_for(""));
  EXPECT_EQ(verdict(empty), Verdict::bad_credentials);
  EXPECT_EQ(empty.reason, "certificate names no address");
}

TEST_F(ExternalAuthTest, DisabledAccountIsBadCredentials) {
  ASSERT_TRUE(store_->set_disabled("Bob@example.test", true));
  auto r = external(cert_for("Bob@example.test"));
  EXPECT_EQ(verdict(r), Verdict::bad_credentials);
  EXPECT_EQ(r.reason, "account disabled");
  EXPECT_FALSE(r.identity);
  auto via_alias = external(cert_for("info@example.test"));
  EXPECT_EQ(via_alias.reason, "account disabled");
}

TEST_F(ExternalAuthTest, AuthzidEmptyOrTheSameIdentity) {
  EXPECT_EQ(verdict(external(cert_for("Bob@example.test"), "")), Verdict::ok);
  EXPECT_EQ(verdict(external(cert_for("Bob@example.test"), "Bob@example.test")), Verdict::ok);
  EXPECT_EQ(verdict(external(cert_for("Bob@example.test"), "bob@EXAMPLE.test")), Verdict::ok);
  // The address the certificate names, when it is an alias, is the same identity too.
  EXPECT_EQ(verdict(external(cert_for("info@example.test"), "info@example.test")), Verdict::ok);
}

TEST_F(ExternalAuthTest, AnyOtherAuthzidIsNotPermitted) {
  auto r = external(cert_for("Bob@example.test"), "carol@example.test");
  EXPECT_EQ(verdict(r), Verdict::authzid_not_permitted);
  EXPECT_EQ(r.reason, "authzid not permitted");
  ASSERT_TRUE(r.identity) << "the identity the refusal speaks for, for the log";
  EXPECT_EQ(r.identity->account, "Bob@example.test");
  EXPECT_EQ(verdict(external(cert_for("Bob@example.test"), "Bob@example.test/phone")), Verdict::authzid_not_permitted);
  EXPECT_EQ(verdict(external(cert_for("Bob@example.test"), "fred")), Verdict::authzid_not_permitted);
}

TEST_F(ExternalAuthTest, StoreFailureIsATemporaryFailure) {
  std::filesystem::remove(db());
  Resolution r;
  // A fresh thread: the store's per-thread reader has to open the (missing) file.
  std::thread([&] { r = external(cert_for("Bob@example.test")); }).join();
  EXPECT_EQ(verdict(r), Verdict::temporary_failure);
  EXPECT_THAT(r.reason, HasSubstr("store unavailable"));
  EXPECT_FALSE(r.identity);
}

TEST_F(ExternalAuthTest, RecordSuccessStampsNothing) {
  std::int64_t generation = store_->generation().value();
  auto before = raw_rows(db(), "SELECT name, last_used FROM credentials ORDER BY id");
  authenticator_->record_success(Identity{"Bob@example.test", "certificate", {}}, clock_.now());
  EXPECT_EQ(raw_rows(db(), "SELECT name, last_used FROM credentials ORDER BY id"), before);
  EXPECT_EQ(store_->generation().value(), generation);
  EXPECT_TRUE(errors_.empty());
}

TEST_F(ExternalAuthTest, CertificateIsAReservedCredentialName) {
  EXPECT_FALSE(valid_credential_name("certificate"));
  EXPECT_FALSE(valid_credential_name("Certificate"));
  EXPECT_FALSE(store_->add_credential("Bob@example.test", {.name = "certificate"}));
  EXPECT_TRUE(valid_credential_name("certificates"));
}

TEST(AccountStoreAlias, FindAliasAccount) {
  TempDir dir;
  testing::CountingRandom random;
  testing::FakeClock clock;
  auto store = open_store(dir.path() / "postern.db", test_options(random, clock));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->add_account("Bob@example.test", "pw"));
  ASSERT_TRUE(store->add_alias("info@example.test", "Bob@example.test"));
  EXPECT_EQ(store->find_alias_account("INFO@example.TEST").value(), std::optional<std::string>("Bob@example.test"));
  EXPECT_EQ(store->find_alias_account("Bob@example.test").value(), std::nullopt) << "an account is no alias";
  EXPECT_EQ(store->find_alias_account("nobody@example.test").value(), std::nullopt);
  EXPECT_EQ(store->find_alias_account("garbage").value(), std::nullopt);
}

}  // namespace
}  // namespace postern::auth
