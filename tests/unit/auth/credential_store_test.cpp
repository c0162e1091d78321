// The administrative operations behind `postern user` and `postern credential`.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "auth/account_store.hpp"
#include "sasl/cram_md5.hpp"
#include "sasl/scram.hpp"
#include "store_test_util.hpp"

namespace postern::auth {
namespace {

using namespace test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using std::chrono::hours;

class CredentialStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(db(), test_options(random_, clock_, &errors_));
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->add_account("bob@example.test", "bob-password"));
  }

  std::filesystem::path db() const { return dir_.path() / "postern.db"; }

  LoginRecord bob() {
    auto record = store_->find_login("bob@example.test");
    EXPECT_TRUE(record && *record);
    return record && *record ? **record : LoginRecord{};
  }

  std::int64_t generation() { return store_->generation().value(); }

  TempDir dir_;
  testing::CountingRandom random_;
  testing::FakeClock clock_;
  std::vector<std::string> errors_;
  std::unique_ptr<AccountStore> store_;
};

// The stored verifier is what RFC 5802 §3 derives from the password, salt and count.
void expect_verifier_of(const std::optional<sasl::ScramVerifier>& v, sasl::ScramHash hash, const std::string& password,
                        std::uint32_t iterations) {
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->salt.size(), sasl::scram_salt_octets);
  EXPECT_EQ(v->iterations, iterations);
  auto expected = sasl::scram_verifier(hash, password, v->salt, v->iterations).value();
  EXPECT_EQ(v->stored_key, expected.stored_key);
  EXPECT_EQ(v->server_key, expected.server_key);
}

TEST_F(CredentialStoreTest, NewAccountHasArgon2idAndBothScramVerifiers) {
  LoginRecord record = bob();
  EXPECT_EQ(record.account, "bob@example.test");
  ASSERT_EQ(record.credentials.size(), 1u);
  const StoredCredential& c = record.credentials[0];
  EXPECT_EQ(c.name, "password");
  EXPECT_TRUE(c.argon2id_hash.starts_with("$argon2id$v=19$"));
  EXPECT_TRUE(c.legacy_hash.empty());
  expect_verifier_of(c.scram_sha1, sasl::ScramHash::sha1, "bob-password", 4096);
  expect_verifier_of(c.scram_sha256, sasl::ScramHash::sha256, "bob-password", 4096);
  EXPECT_NE(c.scram_sha1->salt, c.scram_sha256->salt);  // an independent salt per hash
  EXPECT_FALSE(c.cram_md5);  // CRAM-MD5 is off unless enabled
  EXPECT_FALSE(record.cram_md5);
}

TEST_F(CredentialStoreTest, ScramIterationsComeFromTheOptionsAndAreBounded) {
  TempDir other;
  auto options = test_options(random_, clock_);
  options.scram_iterations = 8192;
  auto store = open_store(other.path() / "postern.db", options);
  ASSERT_TRUE(store->add_account("amy@example.test", "amy-pw"));
  auto record = store->find_login("amy@example.test").value().value();
  expect_verifier_of(record.credentials[0].scram_sha256, sasl::ScramHash::sha256, "amy-pw", 8192);

  options.scram_iterations = 1000;  // below RFC 7677 §4's 4096
  auto refused = AccountStore::open(other.path() / "postern.db", options);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("SCRAM iteration count 1000"));
}

TEST_F(CredentialStoreTest, SetPasswordRegeneratesEverything) {
  LoginRecord before = bob();
  ASSERT_TRUE(store_->set_password("bob@example.test", "new-password"));
  LoginRecord after = bob();
  const auto& b = before.credentials[0];
  const auto& a = after.credentials[0];
  EXPECT_NE(a.argon2id_hash, b.argon2id_hash);
  EXPECT_NE(a.scram_sha256->salt, b.scram_sha256->salt);
  expect_verifier_of(a.scram_sha1, sasl::ScramHash::sha1, "new-password", 4096);
  expect_verifier_of(a.scram_sha256, sasl::ScramHash::sha256, "new-password", 4096);
  EXPECT_EQ(store_->verify_password("bob@example.test", "new-password"), Verify::ok);
  EXPECT_EQ(store_->verify_password("bob@example.test", "bob-password"), Verify::bad);
}

TEST_F(CredentialStoreTest, NonAsciiPasswordGetsNoScramVerifiersButStillWorksWithArgon2id) {
  // SASLprep needs NFKC for non-ASCII text, which this build does not have (saslprep.hpp).
  ASSERT_TRUE(store_->set_password("bob@example.test", "p\xc3\xa4ssw\xc3\xb6rd"));
  LoginRecord record = bob();
  const auto& c = record.credentials[0];
  EXPECT_FALSE(c.scram_sha1);
  EXPECT_FALSE(c.scram_sha256);
  EXPECT_EQ(store_->verify_password("bob@example.test", "p\xc3\xa4ssw\xc3\xb6rd"), Verify::ok);
}

TEST_F(CredentialStoreTest, CramMd5SecretOnlyWhileEnabled) {
  ASSERT_TRUE(store_->set_password("bob@example.test", "cram-pw", CramMd5Change::enable));
  LoginRecord on = bob();
  EXPECT_TRUE(on.cram_md5);
  ASSERT_TRUE(on.credentials[0].cram_md5);
  EXPECT_EQ(sasl::to_dovecot_hex(*on.credentials[0].cram_md5), sasl::to_dovecot_hex(sasl::cram_md5_secret("cram-pw")));

  // Kept enabled: a new password brings a new secret.
  ASSERT_TRUE(store_->set_password("bob@example.test", "cram-pw-2"));
  EXPECT_EQ(sasl::to_dovecot_hex(*bob().credentials[0].cram_md5),
            sasl::to_dovecot_hex(sasl::cram_md5_secret("cram-pw-2")));

  // Disabling drops every secret at once, without a password.
  ASSERT_TRUE(store_->set_cram_md5("bob@example.test", false));
  EXPECT_FALSE(bob().cram_md5);
  EXPECT_FALSE(bob().credentials[0].cram_md5);
  EXPECT_EQ(raw_value(db(), "SELECT count(*) FROM credentials WHERE cram_md5_secret IS NOT NULL"), "0");

  // Enabling without a password marks the account; the secret needs the next password.
  ASSERT_TRUE(store_->set_cram_md5("bob@example.test", true));
  EXPECT_TRUE(bob().cram_md5);
  EXPECT_FALSE(bob().credentials[0].cram_md5);
  ASSERT_TRUE(store_->set_password("bob@example.test", "cram-pw-3"));
  EXPECT_TRUE(bob().credentials[0].cram_md5);

  ASSERT_TRUE(store_->set_password("bob@example.test", "cram-pw-4", CramMd5Change::disable));
  EXPECT_FALSE(bob().cram_md5);
  EXPECT_FALSE(bob().credentials[0].cram_md5);

  ASSERT_TRUE(store_->add_account("carl@example.test", "carl-pw", true));
  auto carl = store_->find_login("carl@example.test").value().value();
  EXPECT_TRUE(carl.cram_md5);
  EXPECT_TRUE(carl.credentials[0].cram_md5);
}

TEST_F(CredentialStoreTest, DisableAndEnable) {
  ASSERT_TRUE(store_->set_disabled("BOB@example.test", true));
  EXPECT_TRUE(bob().disabled);
  EXPECT_TRUE(store_->list_accounts().value()[0].disabled);
  EXPECT_EQ(store_->verify_password("bob@example.test", "bob-password"), Verify::bad);
  ASSERT_TRUE(store_->set_disabled("bob@example.test", false));
  EXPECT_FALSE(bob().disabled);
  EXPECT_EQ(store_->verify_password("bob@example.test", "bob-password"), Verify::ok);
  auto missing = store_->set_disabled("nobody@example.test", true);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "no account nobody@example.test");
}

TEST_F(CredentialStoreTest, AddCredentialGeneratesAPasswordShownOnce) {
  CredentialSpec spec{.name = "phone",
                      .expires = clock_.now() + hours(24 * 30),
                      .allowed_senders = {"bob@Example.TEST", "info@example.test"},
                      .allowed_networks = {*policy::Cidr::parse("10.0.0.0/8"), *policy::Cidr::parse("2001:db8::/32")}};
  auto password = store_->add_credential("bob@example.test", spec);
  ASSERT_TRUE(password) << password.error().message;
  EXPECT_EQ(password->size(), app_password_length);
  EXPECT_TRUE(std::ranges::all_of(*password, [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }));

  auto list = store_->list_credentials("bob@example.test").value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].name, "phone");
  EXPECT_EQ(list[0].created, std::chrono::time_point_cast<std::chrono::seconds>(clock_.now()));
  EXPECT_EQ(list[0].expires, std::chrono::time_point_cast<std::chrono::seconds>(clock_.now() + hours(24 * 30)));
  EXPECT_FALSE(list[0].revoked);
  EXPECT_FALSE(list[0].last_used);
  EXPECT_THAT(list[0].allowed_senders, ElementsAre("bob@example.test", "info@example.test"));
  EXPECT_THAT(list[0].allowed_networks, ElementsAre("10.0.0.0/8", "2001:db8::/32"));

  // Stored like a password: argon2id and both verifiers of the generated password.
  LoginRecord record = bob();
  const StoredCredential* c = record.find("phone");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(check_password(c->argon2id_hash, *password).value(), HashCheck::match);
  expect_verifier_of(c->scram_sha256, sasl::ScramHash::sha256, *password, 4096);

  // Two credentials never share a password.
  auto second = store_->add_credential("bob@example.test", CredentialSpec{.name = "laptop"});
  ASSERT_TRUE(second);
  EXPECT_NE(*second, *password);
  EXPECT_THAT(store_->list_credentials("bob@example.test").value(),
              ::testing::Each(::testing::Field(&CredentialInfo::name, ::testing::AnyOf("laptop", "phone"))));
}

TEST_F(CredentialStoreTest, AddCredentialRefusals) {
  auto refused = [&](CredentialSpec spec, std::string_view address = "bob@example.test") {
    auto r = store_->add_credential(address, spec);
    EXPECT_FALSE(r);
    return r ? std::string() : r.error().message;
  };
  EXPECT_THAT(refused({.name = "password"}), HasSubstr("invalid credential name"));
  EXPECT_THAT(refused({.name = "OAuth"}), HasSubstr("invalid credential name"));
  EXPECT_THAT(refused({.name = ""}), HasSubstr("invalid credential name"));
  EXPECT_THAT(refused({.name = "has space"}), HasSubstr("invalid credential name"));
  EXPECT_THAT(refused({.name = "a/b"}), HasSubstr("invalid credential name"));
  EXPECT_THAT(refused({.name = std::string(65, 'x')}), HasSubstr("invalid credential name"));
  EXPECT_THAT(refused({.name = "late", .expires = clock_.now()}), HasSubstr("already passed"));
  EXPECT_THAT(refused({.name = "odd", .allowed_senders = {"not-an-address"}}),
              HasSubstr("invalid sender: not-an-address"));
  EXPECT_THAT(refused({.name = "x"}, "nobody@example.test"), HasSubstr("no account nobody@example.test"));
  ASSERT_TRUE(store_->add_credential("bob@example.test", {.name = std::string(64, 'x')}));
  ASSERT_TRUE(store_->add_credential("bob@example.test", {.name = "A-z_0.9"}));
  EXPECT_EQ(refused({.name = "A-z_0.9"}), "credential A-z_0.9 already exists for bob@example.test");
}

TEST_F(CredentialStoreTest, RevokeKeepsTheRowAndDropsWhatCouldLogIn) {
  ASSERT_TRUE(store_->set_cram_md5("bob@example.test", true));
  ASSERT_TRUE(store_->add_credential("bob@example.test", {.name = "phone"}));
  ASSERT_TRUE(bob().find("phone")->cram_md5);
  clock_.advance(hours(1));
  ASSERT_TRUE(store_->revoke_credential("bob@example.test", "phone"));
  auto list = store_->list_credentials("bob@example.test").value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].revoked, std::chrono::time_point_cast<std::chrono::seconds>(clock_.now()));
  LoginRecord record = bob();
  const StoredCredential* c = record.find("phone");
  EXPECT_TRUE(c->revoked);
  EXPECT_FALSE(c->scram_sha1);
  EXPECT_FALSE(c->scram_sha256);
  EXPECT_FALSE(c->cram_md5);

  auto again = store_->revoke_credential("bob@example.test", "phone");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "credential phone of bob@example.test is already revoked");
  auto unknown = store_->revoke_credential("bob@example.test", "tablet");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "no credential tablet for bob@example.test");
  // The account password is not an app password.
  EXPECT_FALSE(store_->revoke_credential("bob@example.test", "password"));
}

TEST_F(CredentialStoreTest, ListCredentialsOfUnknownAccountFailsAndEmptyIsEmpty) {
  EXPECT_TRUE(store_->list_credentials("bob@example.test").value().empty());
  auto unknown = store_->list_credentials("nobody@example.test");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "no account nobody@example.test");
}

TEST_F(CredentialStoreTest, EveryAdministrativeChangeIncrementsTheGeneration) {
  std::int64_t g = generation();
  auto expect_next = [&](const char* what) {
    EXPECT_EQ(generation(), g + 1) << what;
    g = generation();
  };
  ASSERT_TRUE(store_->add_account("amy@example.test", "pw"));
  expect_next("add_account");
  ASSERT_TRUE(store_->set_password("amy@example.test", "pw2"));
  expect_next("set_password");
  ASSERT_TRUE(store_->set_disabled("amy@example.test", true));
  expect_next("set_disabled");
  ASSERT_TRUE(store_->set_cram_md5("amy@example.test", true));
  expect_next("set_cram_md5");
  ASSERT_TRUE(store_->add_credential("amy@example.test", {.name = "phone"}));
  expect_next("add_credential");
  ASSERT_TRUE(store_->revoke_credential("amy@example.test", "phone"));
  expect_next("revoke_credential");
  ASSERT_TRUE(store_->add_alias("info@example.test", "amy@example.test"));
  expect_next("add_alias");
  ASSERT_TRUE(store_->delete_alias("info@example.test"));
  expect_next("delete_alias");
  ASSERT_TRUE(store_->import_account("imp@example.test", "{SSHA}64TVwmCRvCWBjJsWYT9vQBP11TtGUdZnlww7TQ==").value().imported);
  expect_next("import_account");
  ASSERT_TRUE(store_->delete_account("amy@example.test"));
  expect_next("delete_account");

  // A failed change is rolled back, generation included; a login's bookkeeping is no change.
  EXPECT_FALSE(store_->add_account("bob@example.test", "pw"));
  ASSERT_TRUE(store_->record_last_used("bob@example.test", "password", clock_.now()));
  EXPECT_EQ(generation(), g);
}

TEST_F(CredentialStoreTest, ASecondStoreObjectSeesTheChangesOfTheFirst) {
  auto cli = open_store(db(), test_options(random_, clock_));
  std::int64_t seen = generation();
  ASSERT_TRUE(cli->set_disabled("bob@example.test", true));
  EXPECT_GT(generation(), seen);
  EXPECT_TRUE(bob().disabled);
}

TEST_F(CredentialStoreTest, RecordLastUsed) {
  ASSERT_TRUE(store_->add_credential("bob@example.test", {.name = "phone"}));
  auto t = clock_.now() + hours(2);
  ASSERT_TRUE(store_->record_last_used("bob@example.test", "phone", t));
  EXPECT_EQ(store_->list_credentials("bob@example.test").value()[0].last_used,
            std::chrono::time_point_cast<std::chrono::seconds>(t));
  // Never moves backwards (batched writes may arrive out of order).
  ASSERT_TRUE(store_->record_last_used("bob@example.test", "phone", t - hours(1)));
  EXPECT_EQ(store_->list_credentials("bob@example.test").value()[0].last_used,
            std::chrono::time_point_cast<std::chrono::seconds>(t));
  ASSERT_TRUE(store_->record_last_used("bob@example.test", "password", t));
  EXPECT_EQ(raw_value(db(), "SELECT last_used FROM credentials WHERE name = 'password'"),
            std::to_string(seconds_of(t)));
}

TEST_F(CredentialStoreTest, AuditTrailOfCredentialChangesHasNoSecret) {
  auto password = store_->add_credential("bob@example.test", {.name = "phone", .allowed_networks = {*policy::Cidr::parse("10.0.0.0/8")}});
  ASSERT_TRUE(password);
  ASSERT_TRUE(store_->revoke_credential("bob@example.test", "phone"));
  ASSERT_TRUE(store_->set_disabled("bob@example.test", true));
  ASSERT_TRUE(store_->set_password("bob@example.test", "other", CramMd5Change::enable));
  EXPECT_THAT(raw_rows(db(), "SELECT actor, action, subject, detail FROM audit ORDER BY id"),
              ElementsAre("test|account.add|bob@example.test|", "test|credential.add|bob@example.test|phone networks=10.0.0.0/8",
                          "test|credential.revoke|bob@example.test|phone", "test|account.disable|bob@example.test|",
                          "test|password.set|bob@example.test|cram-md5 enabled"));
  for (const auto& row : raw_rows(db(), "SELECT detail FROM audit")) EXPECT_EQ(row.find(*password), std::string::npos);
}

TEST_F(CredentialStoreTest, NoClearPasswordAnywhereInTheDataDirectory) {
  const std::string account_pw = "Quokka-Lantern-9931";
  ASSERT_TRUE(store_->set_password("bob@example.test", account_pw, CramMd5Change::enable));
  auto app_pw = store_->add_credential("bob@example.test", {.name = "phone"});
  ASSERT_TRUE(app_pw);
  ASSERT_TRUE(store_->import_account("imp@example.test", "{PLAIN}Plain-Imported-4417").value().imported);
  store_.reset();  // checkpoints the WAL
  for (const std::string& secret : {account_pw, *app_pw, std::string("Plain-Imported-4417")}) {
    EXPECT_THAT(files_containing(dir_.path(), secret), ::testing::IsEmpty()) << secret;
  }
  EXPECT_THAT(files_containing(dir_.path(), "$argon2id$v=19$"), ::testing::Not(::testing::IsEmpty()));
}

}  // namespace
}  // namespace postern::auth
