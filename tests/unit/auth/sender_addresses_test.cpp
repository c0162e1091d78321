// DESIGN §3.6: every identity the Authenticator resolves names the envelope senders it may use:
// the account's address, aliases and sender grants, narrowed by a credential's allowed senders.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/store_authenticator.hpp"
#include "auth_test_util.hpp"
#include "store_test_util.hpp"

namespace postern::auth {
namespace {

using namespace test;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using sasl::Verdict;

class SenderAddressesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(db(), test_options(random_, clock_, &errors_));
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->add_account("Bob@Example.TEST", "bob-password", true));
    ASSERT_TRUE(store_->add_alias("sales@EXAMPLE.test", "bob@example.test"));
    ASSERT_TRUE(store_->add_alias("info@example.test", "bob@example.test"));
    ASSERT_TRUE(store_->add_account("carol@example.test", "carol-password"));
    ASSERT_TRUE(store_->add_alias("help@example.test", "carol@example.test"));
    auto phone = store_->add_credential("bob@example.test", {.name = "phone", .allowed_senders = {"INFO@Example.test"}});
    ASSERT_TRUE(phone);
    phone_ = *phone;
    // Limited to one own address and one that is not the account's: the latter grants nothing.
    auto script = store_->add_credential(
        "bob@example.test", {.name = "script", .allowed_senders = {"sales@example.test", "help@example.test"}});
    ASSERT_TRUE(script);
    script_ = *script;
    auto stranger = store_->add_credential("bob@example.test", {.name = "stranger", .allowed_senders = {"help@example.test"}});
    ASSERT_TRUE(stranger);
    stranger_ = *stranger;
    auto laptop = store_->add_credential("bob@example.test", {.name = "laptop"});
    ASSERT_TRUE(laptop);
    laptop_ = *laptop;
    authenticator_ = make_authenticator(*store_, &tokens_, AuthenticatorOptions{.random = &random_});
  }

  std::filesystem::path db() const { return dir_.path() / "postern.db"; }

  Resolution password(std::string user, std::string pw) {
    return authenticator_->resolve(sasl::VerifyPassword{std::move(user), "", std::move(pw)}, client_);
  }
  std::vector<std::string> senders_of(const Resolution& r) {
    EXPECT_EQ(verdict(r), Verdict::ok) << r.reason;
    EXPECT_TRUE(r.identity);
    return r.identity ? r.identity->sender_addresses : std::vector<std::string>{"<no identity>"};
  }

  TempDir dir_;
  testing::CountingRandom random_;
  testing::FakeClock clock_;
  std::vector<std::string> errors_;
  FakeTokenValidator tokens_;
  std::unique_ptr<AccountStore> store_;
  std::unique_ptr<Authenticator> authenticator_;
  ClientFacts client_{"192.0.2.7", true};
  std::string phone_;
  std::string script_;
  std::string stranger_;
  std::string laptop_;
};

TEST_F(SenderAddressesTest, StoreReadsTheAliasesWithTheLogin) {
  auto record = store_->find_login("bob@example.test");
  ASSERT_TRUE(record);
  ASSERT_TRUE(*record);
  EXPECT_THAT((*record)->aliases, ElementsAre("info@example.test", "sales@example.test"));
  auto carol = store_->find_login("carol@example.test");
  ASSERT_TRUE(carol && *carol);
  EXPECT_THAT((*carol)->aliases, ElementsAre("help@example.test"));
  ASSERT_TRUE(store_->add_account("dave@example.test", "dave-password"));
  auto dave = store_->find_login("dave@example.test");
  ASSERT_TRUE(dave && *dave);
  EXPECT_THAT((*dave)->aliases, IsEmpty());
}

TEST_F(SenderAddressesTest, AccountPasswordMaySendAsTheAccountAndItsAliases) {
  // The account's address first, as stored (local part as added, domain lower-case).
  EXPECT_THAT(senders_of(password("bob@example.test", "bob-password")),
              ElementsAre("Bob@example.test", "info@example.test", "sales@example.test"));
  EXPECT_THAT(senders_of(password("carol@example.test", "carol-password")),
              ElementsAre("carol@example.test", "help@example.test"));
}

TEST_F(SenderAddressesTest, UnlimitedAppPasswordHasTheAccountsAddresses) {
  EXPECT_THAT(senders_of(password("bob@example.test", laptop_)),
              ElementsAre("Bob@example.test", "info@example.test", "sales@example.test"));
  EXPECT_THAT(senders_of(password("bob@example.test/laptop", laptop_)),
              ElementsAre("Bob@example.test", "info@example.test", "sales@example.test"));
}

TEST_F(SenderAddressesTest, AllowedSendersNarrowAndNeverWiden) {
  auto phone = password("bob@example.test/phone", phone_);
  EXPECT_THAT(senders_of(phone), ElementsAre("info@example.test"));
  // The credential's list as stored (domain lower-cased); the senders spell the alias as the
  // store does.
  EXPECT_THAT(phone.identity->allowed_senders, ElementsAre("INFO@example.test"));
  // help@ is carol's: naming it in bob's credential gives bob nothing.
  EXPECT_THAT(senders_of(password("bob@example.test/script", script_)), ElementsAre("sales@example.test"));
  EXPECT_THAT(senders_of(password("bob@example.test", stranger_)), IsEmpty());
}

TEST_F(SenderAddressesTest, ScramAndCramIdentitiesCarryTheSenders) {
  auto scram = run_scram(*authenticator_, sasl::ScramHash::sha256, "bob@example.test/phone", phone_, client_);
  EXPECT_TRUE(scram.success) << scram.detail;
  ASSERT_TRUE(scram.identity);
  EXPECT_THAT(scram.identity->sender_addresses, ElementsAre("info@example.test"));
  auto account = run_scram(*authenticator_, sasl::ScramHash::sha1, "bob@example.test", "bob-password", client_);
  EXPECT_TRUE(account.success) << account.detail;
  ASSERT_TRUE(account.identity);
  EXPECT_THAT(account.identity->sender_addresses, ElementsAre("Bob@example.test", "info@example.test", "sales@example.test"));
  auto cram = run_cram(*authenticator_, "bob@example.test/phone", phone_, client_);
  EXPECT_TRUE(cram.success) << cram.detail;
  ASSERT_TRUE(cram.identity);
  EXPECT_THAT(cram.identity->sender_addresses, ElementsAre("info@example.test"));
}

TEST_F(SenderAddressesTest, TokenAndCertificateIdentitiesSendAsTheAccount) {
  tokens_.result = TokenResult{TokenResult::Kind::ok, "bob@example.test", "", ""};
  auto token = authenticator_->resolve(sasl::VerifyToken{"", "t", "", ""}, client_);
  EXPECT_THAT(senders_of(token), ElementsAre("Bob@example.test", "info@example.test", "sales@example.test"));
  // A certificate naming an alias logs in as the account, with all of the account's addresses.
  auto cert = authenticator_->resolve(
      sasl::VerifyCertificate{"", sasl::ClientCertificate{"help@example.test", "Carol", std::string(64, 'f'), true}},
      client_);
  EXPECT_THAT(senders_of(cert), ElementsAre("carol@example.test", "help@example.test"));
}

TEST_F(SenderAddressesTest, CacheHitCarriesTheSameSenders) {
  auto first = password("bob@example.test/phone", phone_);
  ASSERT_EQ(first.reason, "password ok");
  auto again = password("bob@example.test/phone", phone_);
  ASSERT_EQ(again.reason, "password ok (cached)");
  EXPECT_EQ(senders_of(again), senders_of(first));
  auto account = password("bob@example.test", "bob-password");
  auto cached = password("bob@example.test", "bob-password");
  ASSERT_EQ(cached.reason, "password ok (cached)");
  EXPECT_THAT(senders_of(cached), ElementsAre("Bob@example.test", "info@example.test", "sales@example.test"));
}

TEST_F(SenderAddressesTest, AliasChangesReachTheNextLoginThroughTheCache) {
  EXPECT_EQ(password("bob@example.test", "bob-password").reason, "password ok");
  // The CLI is another process with its own store object.
  auto cli = open_store(db(), test_options(random_, clock_));
  ASSERT_TRUE(cli->add_alias("new@example.test", "bob@example.test"));
  ASSERT_TRUE(cli->delete_alias("sales@example.test"));
  auto after = password("bob@example.test", "bob-password");
  EXPECT_EQ(after.reason, "password ok");
  EXPECT_THAT(senders_of(after), ElementsAre("Bob@example.test", "info@example.test", "new@example.test"));
}

// ---- sender grants ----------------------------------------------------------------------------

class SenderGrantsTest : public SenderAddressesTest {
 protected:
  // An app password limited to `allowed`, logged in; its sender addresses.
  std::vector<std::string> limited_to(const std::string& name, std::vector<std::string> allowed) {
    auto pw = store_->add_credential("bob@example.test", {.name = name, .allowed_senders = std::move(allowed)});
    EXPECT_TRUE(pw) << (pw ? "" : pw.error().message);
    return pw ? senders_of(password("bob@example.test/" + name, *pw)) : std::vector<std::string>{};
  }
};

TEST_F(SenderGrantsTest, GrantsFollowTheAccountsOwnAddresses) {
  auto cli = open_store(db(), test_options(random_, clock_));
  ASSERT_TRUE(cli->add_sender_grant("bob@example.test", "Shop@Partner.example"));
  ASSERT_TRUE(cli->add_sender_grant("bob@example.test", "@example.org"));
  ASSERT_TRUE(cli->add_sender_grant("bob@example.test", "<>"));
  // A grant that repeats an own address adds nothing twice.
  ASSERT_TRUE(cli->add_sender_grant("bob@example.test", "INFO@example.test"));
  EXPECT_THAT(senders_of(password("bob@example.test", "bob-password")),
              ElementsAre("Bob@example.test", "info@example.test", "sales@example.test", "<>", "@example.org",
                          "Shop@partner.example"));
  EXPECT_THAT(senders_of(password("bob@example.test", laptop_)),
              ElementsAre("Bob@example.test", "info@example.test", "sales@example.test", "<>", "@example.org",
                          "Shop@partner.example"));
  tokens_.result = TokenResult{TokenResult::Kind::ok, "bob@example.test", "", ""};
  EXPECT_THAT(senders_of(authenticator_->resolve(sasl::VerifyToken{"", "t", "", ""}, client_)),
              ElementsAre("Bob@example.test", "info@example.test", "sales@example.test", "<>", "@example.org",
                          "Shop@partner.example"));
  // Carol has none of them.
  EXPECT_THAT(senders_of(password("carol@example.test", "carol-password")),
              ElementsAre("carol@example.test", "help@example.test"));
}

TEST_F(SenderGrantsTest, ALimitedCredentialKeepsWhatBothAllow) {
  ASSERT_TRUE(store_->add_sender_grant("bob@example.test", "@example.org"));
  ASSERT_TRUE(store_->add_sender_grant("bob@example.test", "shop@partner.example"));
  // An allowed address inside a granted domain is kept as the credential names it.
  EXPECT_THAT(limited_to("news", {"News@Example.org", "info@example.test"}),
              ElementsAre("info@example.test", "News@example.org"));
  // A domain both name stays a domain.
  EXPECT_THAT(limited_to("domain", {"@example.org"}), ElementsAre("@example.org"));
  // An allowed domain covers the own and granted addresses in it, and grants nothing more.
  EXPECT_THAT(limited_to("own-domain", {"@example.test"}),
              ElementsAre("Bob@example.test", "info@example.test", "sales@example.test"));
  EXPECT_THAT(limited_to("partner", {"@partner.example", "@elsewhere.example"}), ElementsAre("shop@partner.example"));
  // Allowed but neither owned nor granted: nothing.
  EXPECT_THAT(limited_to("outsider", {"x@elsewhere.example", "<>"}), IsEmpty());
}

TEST_F(SenderGrantsTest, TheNullSenderNeedsBothTheGrantAndTheCredential) {
  EXPECT_THAT(limited_to("bounces", {"<>"}), IsEmpty());
  auto cli = open_store(db(), test_options(random_, clock_));
  ASSERT_TRUE(cli->add_sender_grant("bob@example.test", "<>"));
  EXPECT_THAT(limited_to("bounces2", {"<>", "info@example.test"}), ElementsAre("info@example.test", "<>"));
  // A credential limited to addresses does not get the account's <>.
  EXPECT_THAT(limited_to("plain", {"info@example.test"}), ElementsAre("info@example.test"));
  // Removing the grant takes it from the next login (the cache sees the new generation).
  ASSERT_TRUE(cli->remove_sender_grant("bob@example.test", "<>"));
  EXPECT_THAT(senders_of(password("bob@example.test", "bob-password")),
              ElementsAre("Bob@example.test", "info@example.test", "sales@example.test"));
}

TEST_F(SenderGrantsTest, ScramAndCramCarryTheGrants) {
  ASSERT_TRUE(store_->add_sender_grant("bob@example.test", "@example.org"));
  auto scram = run_scram(*authenticator_, sasl::ScramHash::sha256, "bob@example.test", "bob-password", client_);
  ASSERT_TRUE(scram.identity);
  EXPECT_THAT(scram.identity->sender_addresses,
              ElementsAre("Bob@example.test", "info@example.test", "sales@example.test", "@example.org"));
  auto cram = run_cram(*authenticator_, "bob@example.test", "bob-password", client_);
  EXPECT_TRUE(cram.success) << cram.detail;
  ASSERT_TRUE(cram.identity);
  EXPECT_THAT(cram.identity->sender_addresses,
              ElementsAre("Bob@example.test", "info@example.test", "sales@example.test", "@example.org"));
}

}  // namespace
}  // namespace postern::auth
