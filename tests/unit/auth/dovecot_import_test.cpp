// Importing a Dovecot passwd-file: parsing, every supported scheme, the upgrade at the first
// PLAIN/LOGIN, and no clear password left anywhere.

#include "auth/dovecot_import.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/store_authenticator.hpp"
#include "auth_test_util.hpp"
#include "sasl/cram_md5.hpp"
#include "store_test_util.hpp"

namespace postern::auth {
namespace {

using namespace test;
using ::testing::HasSubstr;
using sasl::Verdict;

TEST(PasswdLine, UserAndPasswordFieldsOnly) {
  auto full = parse_passwd_line("bob@example.test:{SHA512-CRYPT}$6$abc$def:1000:1000::/home/bob::userdb_quota=1G");
  ASSERT_TRUE(full && *full);
  EXPECT_EQ((*full)->user, "bob@example.test");
  EXPECT_EQ((*full)->password, "{SHA512-CRYPT}$6$abc$def");
  auto two = parse_passwd_line("amy@example.test:{PLAIN}secret\r");
  ASSERT_TRUE(two && *two);
  EXPECT_EQ((*two)->password, "{PLAIN}secret");
  EXPECT_EQ(parse_passwd_line("").value(), std::nullopt);
  EXPECT_EQ(parse_passwd_line("# a comment:x").value(), std::nullopt);
  EXPECT_EQ(parse_passwd_line("\r").value(), std::nullopt);
  EXPECT_THAT(parse_passwd_line("no-colon").error().message, HasSubstr("no password field"));
  EXPECT_THAT(parse_passwd_line(":{PLAIN}x").error().message, HasSubstr("empty user"));
  EXPECT_THAT(parse_passwd_line("bob@example.test:").error().message, HasSubstr("empty password"));
  EXPECT_THAT(parse_passwd_line("bob@example.test::1000").error().message, HasSubstr("empty password"));
}

struct Entry {
  const char* user;
  const char* field;
  const char* password;
};

// Made with other implementations (see legacy_hash_test.cpp for how).
const Entry entries[] = {
    {"sha512@example.test",
     "{SHA512-CRYPT}$6$HmVsLAf1/qdCiM3c$KWiFpnTtDTsVMxQiQ8nU5z1JyfFEsg2EHrOKE/8HC5evOjClYgyEEz3IypuF0gstv09.eKQygLO0WEpS6s1sY0",
     "Imp-Sha512-Crypt-41"},
    {"sha256@example.test", "{SHA256-CRYPT}$5$XO14VXR..XTK7ZAk$EO5ELTEJOO2O.j8cwIGuG9HkIYiTTDJTDo5xhVzyzV.",
     "Imp-Sha256-Crypt-42"},
    {"md5@example.test", "{MD5-CRYPT}$1$StwXdYRm$d233sLOfOpEY8Gp1ZxhO.0", "Imp-Md5-Crypt-43"},
    {"blf@example.test", "{BLF-CRYPT}$2b$05$/.SQgFy4PjDy1YTwYWlY9uWoojGd3itWL6L.5gQUNVuceD6hWPr1i", "Imp-Blf-Crypt-44"},
    {"blf2y@example.test", "{BLF-CRYPT}$2y$04$VicE9bWAAmdiEjNeqcEeeuxRSfsk7ad8A/r81SprwkV0IWYAKk98G",
     "Imp-Blf2y-Crypt-50"},
    {"argon2id@example.test",
     "{ARGON2ID}$argon2id$v=19$m=4096,t=2,p=1$RjB3djh6NVlwODViOUFJQw$LFQSY3G8lnkWCG3EAPnQw1RoI2PxyZ+1idpZSJODbtw",
     "Imp-Argon2id-45"},
    {"argon2i@example.test",
     "{ARGON2I}$argon2i$v=19$m=4096,t=2,p=1$cm1XeVRqUVI5MDlTNW5pOA$atFhKgIdbJTnTmBZoDnNwxMi97ou1nPabXraR5pmyoc",
     "Imp-Argon2i-46"},
    {"ssha@example.test", "{SSHA}64TVwmCRvCWBjJsWYT9vQBP11TtGUdZnlww7TQ==", "Imp-Ssha-47"},
    {"ssha256@example.test", "{SSHA256}YiiyARAcyQgH4AazTS+1LZ5lxXdI7LHt7GvuSxvvkiZOGmxIfsjrwg==", "Imp-Ssha256-48"},
    {"ssha512@example.test",
     "{SSHA512}uAwyxERTcTq3++Qy6Db4BiPIAGFw7FE7CH6km7kpST9BZDz3PzEvVTl0oLZIEQLi5e4IW3E0rihGsZn65vPM+NcHUU4m7RoK",
     "Imp-Ssha512-49"},
    {"bare@example.test", "$1$StwXdYRm$d233sLOfOpEY8Gp1ZxhO.0", "Imp-Md5-Crypt-43"},
};

class DovecotImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(db(), test_options(random_, clock_, &errors_));
    ASSERT_NE(store_, nullptr);
    authenticator_ = make_authenticator(*store_, nullptr, AuthenticatorOptions{.cache_ttl = std::chrono::seconds(0)});
  }

  std::filesystem::path db() const { return dir_.path() / "postern.db"; }

  Resolution login(const std::string& user, const std::string& password) {
    return authenticator_->resolve(sasl::VerifyPassword{user, "", password}, ClientFacts{"192.0.2.1", true});
  }

  StoredCredential password_of(const std::string& user) {
    auto record = store_->find_login(user).value().value();
    return record.credentials.at(0);
  }

  TempDir dir_;
  testing::CountingRandom random_;
  testing::FakeClock clock_;
  std::vector<std::string> errors_;
  std::unique_ptr<AccountStore> store_;
  std::unique_ptr<Authenticator> authenticator_;
};

TEST_F(DovecotImportTest, EverySchemeImportsAndUpgradesAtTheFirstLogin) {
  for (const Entry& e : entries) {
    SCOPED_TRACE(e.user);
    auto outcome = store_->import_account(e.user, e.field);
    ASSERT_TRUE(outcome) << outcome.error().message;
    ASSERT_TRUE(outcome->imported) << outcome->skipped_because;
    StoredCredential imported = password_of(e.user);
    EXPECT_TRUE(imported.argon2id_hash.empty());
    EXPECT_TRUE(imported.legacy_hash.starts_with("{"));
    EXPECT_FALSE(imported.scram_sha256);

    // No SCRAM before the first PLAIN/LOGIN (nothing to derive a verifier from).
    auto scram = authenticator_->resolve(sasl::NeedScramVerifier{sasl::ScramHash::sha256, e.user, ""},
                                         ClientFacts{"192.0.2.1", true});
    EXPECT_EQ(verdict(scram), Verdict::bad_credentials);
    EXPECT_EQ(run_scram(*authenticator_, sasl::ScramHash::sha256, e.user, e.password, {"192.0.2.1", true}).failure,
              sasl::FailureReason::bad_credentials);

    EXPECT_EQ(login(e.user, std::string(e.password) + "!").reason, "wrong password");
    EXPECT_TRUE(password_of(e.user).argon2id_hash.empty());  // a failed login upgrades nothing

    auto first = login(e.user, e.password);
    EXPECT_EQ(verdict(first), Verdict::ok);
    EXPECT_EQ(first.reason, "password ok, legacy hash upgraded");
    StoredCredential upgraded = password_of(e.user);
    EXPECT_TRUE(upgraded.legacy_hash.empty());
    EXPECT_EQ(check_password(upgraded.argon2id_hash, e.password).value(), HashCheck::match);
    ASSERT_TRUE(upgraded.scram_sha1);
    ASSERT_TRUE(upgraded.scram_sha256);

    auto second = login(e.user, e.password);
    EXPECT_EQ(second.reason, "password ok");
    EXPECT_TRUE(run_scram(*authenticator_, sasl::ScramHash::sha256, e.user, e.password, {"192.0.2.1", true}).success);
    EXPECT_TRUE(run_scram(*authenticator_, sasl::ScramHash::sha1, e.user, e.password, {"192.0.2.1", true}).success);
  }
  EXPECT_TRUE(errors_.empty());
  auto audit = raw_rows(db(), "SELECT action, detail FROM audit WHERE subject = 'sha512@example.test' ORDER BY id");
  EXPECT_THAT(audit, ::testing::ElementsAre("account.import|{SHA512-CRYPT}", "credential.upgrade|password: legacy hash replaced"));
}

TEST_F(DovecotImportTest, PlainIsHashedAtOnce) {
  ASSERT_TRUE(store_->import_account("plain@example.test", "{PLAIN}Imp-Plain-51").value().imported);
  ASSERT_TRUE(store_->import_account("clear@example.test", "{CLEARTEXT}Imp-Clear-52").value().imported);
  StoredCredential c = password_of("plain@example.test");
  EXPECT_TRUE(c.legacy_hash.empty());
  EXPECT_FALSE(c.argon2id_hash.empty());
  EXPECT_TRUE(c.scram_sha256);
  EXPECT_TRUE(run_scram(*authenticator_, sasl::ScramHash::sha256, "plain@example.test", "Imp-Plain-51",
                        {"192.0.2.1", true})
                  .success);
  EXPECT_EQ(login("clear@example.test", "Imp-Clear-52").reason, "password ok");
  EXPECT_FALSE(store_->import_account("empty@example.test", "{PLAIN}").value().imported);
  EXPECT_EQ(raw_value(db(), "SELECT action || ' ' || detail FROM audit WHERE subject = 'plain@example.test'"),
            "account.import {PLAIN}");
}

TEST_F(DovecotImportTest, CramMd5IsUsableAtOnceAndKeptOnUpgrade) {
  std::string hex = sasl::to_dovecot_hex(sasl::cram_md5_secret("Imp-Cram-53"));
  ASSERT_TRUE(store_->import_account("cram@example.test", "{CRAM-MD5}" + hex).value().imported);
  auto accounts = store_->list_accounts().value();
  ASSERT_EQ(accounts.size(), 1u);
  EXPECT_TRUE(accounts[0].cram_md5);
  EXPECT_TRUE(accounts[0].legacy_password);
  EXPECT_TRUE(run_cram(*authenticator_, "cram@example.test", "Imp-Cram-53", {"192.0.2.1", true}).success);
  EXPECT_FALSE(run_cram(*authenticator_, "cram@example.test", "Imp-Cram-54", {"192.0.2.1", true}).success);

  EXPECT_EQ(login("cram@example.test", "Imp-Cram-53").reason, "password ok, legacy hash upgraded");
  StoredCredential c = password_of("cram@example.test");
  EXPECT_TRUE(c.legacy_hash.empty());
  ASSERT_TRUE(c.cram_md5);
  EXPECT_EQ(sasl::to_dovecot_hex(*c.cram_md5), hex);
  EXPECT_TRUE(run_cram(*authenticator_, "cram@example.test", "Imp-Cram-53", {"192.0.2.1", true}).success);
  EXPECT_FALSE(store_->list_accounts().value()[0].legacy_password);
}

TEST_F(DovecotImportTest, SkippedEntriesSayWhy) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "pw"));
  ASSERT_TRUE(store_->add_alias("info@example.test", "bob@example.test"));
  auto why = [&](std::string_view user, std::string_view field) {
    auto outcome = store_->import_account(user, field);
    EXPECT_TRUE(outcome);
    EXPECT_FALSE(outcome->imported);
    return outcome->skipped_because;
  };
  EXPECT_EQ(why("BOB@example.test", "{PLAIN}x"), "BOB@example.test already exists (as an account or an alias)");
  EXPECT_THAT(why("info@example.test", "{PLAIN}x"), HasSubstr("already exists"));
  EXPECT_EQ(why("new@example.test", "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M="), "unsupported scheme {SHA}");
  EXPECT_THAT(why("new@example.test",
                  "{ARGON2ID}$argon2id$v=19$m=1048576,t=2,p=1$RjB3djh6NVlwODViOUFJQw$LFQSY3G8lnkWCG3EAPnQw1RoI2PxyZ"),
              HasSubstr("above the limit"));
  EXPECT_THAT(why("no-domain", "{PLAIN}x"), HasSubstr("not an address"));
  EXPECT_EQ(store_->find_mailbox("new", "example.test"), policy::Lookup::not_found);
}

TEST_F(DovecotImportTest, ImportingAndLoggingInLeavesNoClearPasswordInTheDataDirectory) {
  for (const Entry& e : entries) ASSERT_TRUE(store_->import_account(e.user, e.field).value().imported);
  ASSERT_TRUE(store_->import_account("plain@example.test", "{PLAIN}Imp-Plain-51").value().imported);
  for (const Entry& e : entries) ASSERT_EQ(verdict(login(e.user, e.password)), Verdict::ok);
  ASSERT_EQ(verdict(login("plain@example.test", "Imp-Plain-51")), Verdict::ok);
  authenticator_.reset();
  store_.reset();  // checkpoints the WAL into the main file
  for (const Entry& e : entries) EXPECT_THAT(files_containing(dir_.path(), e.password), ::testing::IsEmpty());
  EXPECT_THAT(files_containing(dir_.path(), "Imp-Plain-51"), ::testing::IsEmpty());
}

}  // namespace
}  // namespace postern::auth
