// Upgrading an account database written by an earlier version (schema 1, schema 2) in place.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/account_store.hpp"
#include "auth/schema.hpp"
#include "auth/store_authenticator.hpp"
#include "store_test_util.hpp"

namespace postern::auth {
namespace {

using namespace test;
using ::testing::ElementsAre;

// The schema exactly as version 1 created it, and what `postern user add` wrote into it.
constexpr const char* v1_schema = R"sql(
CREATE TABLE accounts (
  id       INTEGER PRIMARY KEY,
  address  TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created  INTEGER NOT NULL
);
CREATE TABLE aliases (
  id         INTEGER PRIMARY KEY,
  address    TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created    INTEGER NOT NULL
);
CREATE INDEX aliases_by_account ON aliases(account_id);
CREATE TABLE credentials (
  id            INTEGER PRIMARY KEY,
  account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name          TEXT    NOT NULL,
  kind          TEXT    NOT NULL,
  argon2id_hash TEXT    NOT NULL,
  created       INTEGER NOT NULL,
  updated       INTEGER NOT NULL,
  expires       INTEGER,
  revoked       INTEGER,
  last_used     INTEGER,
  UNIQUE (account_id, name)
);
CREATE TABLE audit (
  id      INTEGER PRIMARY KEY,
  time    INTEGER NOT NULL,
  actor   TEXT    NOT NULL,
  action  TEXT    NOT NULL,
  subject TEXT    NOT NULL,
  detail  TEXT    NOT NULL DEFAULT ''
);
PRAGMA user_version = 1;
PRAGMA journal_mode = WAL;
)sql";

class SchemaMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(raw_exec(db(), v1_schema), "");
    testing::CountingRandom salt;
    bob_hash_ = hash_password("bob-v1-password", salt, fast_hash()).value();
    carol_hash_ = hash_password("carol-v1-password", salt, fast_hash()).value();
    ASSERT_EQ(raw_exec(db(), "INSERT INTO accounts (id, address, disabled, created) VALUES "
                             "(1, 'bob@example.test', 0, 1700000000), (2, 'carol@example.test', 1, 1700000001);"
                             "INSERT INTO aliases (address, account_id, created) VALUES "
                             "('info@example.test', 1, 1700000002);"
                             "INSERT INTO credentials (account_id, name, kind, argon2id_hash, created, updated, "
                             "expires, revoked, last_used) VALUES "
                             "(1, 'password', 'password', '" + bob_hash_ + "', 1700000000, 1700000000, NULL, NULL, "
                             "1700000500), "
                             "(2, 'password', 'password', '" + carol_hash_ + "', 1700000001, 1700000001, 1900000000, "
                             "1700000600, NULL);"
                             "INSERT INTO audit (time, actor, action, subject) VALUES "
                             "(1700000000, 'cli', 'account.add', 'bob@example.test');"),
              "");
  }

  std::filesystem::path db() const { return dir_.path() / "postern.db"; }

  TempDir dir_;
  testing::CountingRandom random_;
  testing::FakeClock clock_;
  std::string bob_hash_;
  std::string carol_hash_;
};

TEST_F(SchemaMigrationTest, VersionOneDatabaseUpgradesInPlace) {
  auto store = open_store(db(), test_options(random_, clock_));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(raw_value(db(), "PRAGMA user_version"), std::to_string(schema_version));
  EXPECT_EQ(schema_version, 3);

  // Accounts, aliases, hashes and bookkeeping are carried over; revoked became revoked_at.
  EXPECT_THAT(raw_rows(db(), "SELECT address, disabled, cram_md5_enabled FROM accounts ORDER BY id"),
              ElementsAre("bob@example.test|0|0", "carol@example.test|1|0"));
  EXPECT_THAT(raw_rows(db(), "SELECT account_id, name, kind, argon2id_hash = '" + bob_hash_ +
                                 "', legacy_hash, expires, revoked_at, last_used, allowed_senders, allowed_networks "
                                 "FROM credentials ORDER BY id"),
              ElementsAre("1|password|password|1|NULL|NULL|NULL|1700000500||",
                          "2|password|password|0|NULL|1900000000|1700000600|NULL||"));
  EXPECT_EQ(store->find_mailbox("info", "example.test"), policy::Lookup::found);
  EXPECT_EQ(store->verify_password("bob@example.test", "bob-v1-password"), Verify::ok);
  EXPECT_EQ(store->verify_password("bob@example.test", "carol-v1-password"), Verify::bad);
  EXPECT_EQ(raw_value(db(), "SELECT count(*) FROM audit"), "1");

  // New tables: no verifiers yet (they need the password), the generation starts at 1.
  EXPECT_EQ(raw_value(db(), "SELECT count(*) FROM scram_verifiers"), "0");
  EXPECT_EQ(store->generation().value(), 1);
  auto accounts = store->list_accounts().value();
  ASSERT_EQ(accounts.size(), 2u);
  EXPECT_FALSE(accounts[0].legacy_password);
  EXPECT_TRUE(accounts[1].disabled);
}

TEST_F(SchemaMigrationTest, FirstPlainLoginAfterUpgradeAddsScramVerifiers) {
  auto store = open_store(db(), test_options(random_, clock_));
  ASSERT_NE(store, nullptr);
  auto authenticator = make_authenticator(*store, nullptr, AuthenticatorOptions{.cache_ttl = std::chrono::seconds(0)});
  ClientFacts client{"192.0.2.1", true};

  auto before = authenticator->resolve(sasl::NeedScramVerifier{sasl::ScramHash::sha256, "bob@example.test", ""}, client);
  EXPECT_EQ(std::get<sasl::ScramVerifierAnswer>(before.answer).verdict, sasl::Verdict::bad_credentials);
  EXPECT_THAT(before.reason, ::testing::HasSubstr("no SCRAM verifier"));

  auto login = authenticator->resolve(sasl::VerifyPassword{"bob@example.test", "", "bob-v1-password"}, client);
  EXPECT_EQ(std::get<sasl::PasswordAnswer>(login.answer).verdict, sasl::Verdict::ok);
  EXPECT_EQ(login.reason, "password ok, verifiers added");

  auto after = authenticator->resolve(sasl::NeedScramVerifier{sasl::ScramHash::sha256, "bob@example.test", ""}, client);
  const auto& answer = std::get<sasl::ScramVerifierAnswer>(after.answer);
  EXPECT_EQ(answer.verdict, sasl::Verdict::ok);
  auto expected = sasl::scram_verifier(sasl::ScramHash::sha256, "bob-v1-password", answer.verifier.salt,
                                       answer.verifier.iterations);
  ASSERT_TRUE(expected);
  EXPECT_EQ(answer.verifier.stored_key, expected->stored_key);
  EXPECT_EQ(raw_value(db(), "SELECT count(*) FROM scram_verifiers"), "2");
}

TEST_F(SchemaMigrationTest, AFailedMigrationLeavesVersionOneUntouched) {
  // A row the new schema refuses (version 1 did not check `kind`): the whole upgrade rolls back.
  ASSERT_EQ(raw_exec(db(), "INSERT INTO credentials (account_id, name, kind, argon2id_hash, created, updated) "
                           "VALUES (1, 'odd', 'something-else', 'x', 1, 1)"),
            "");
  auto store = AccountStore::open(db(), test_options(random_, clock_));
  ASSERT_FALSE(store);
  EXPECT_THAT(store.error().message, ::testing::HasSubstr("migration to version 2"));
  EXPECT_EQ(raw_value(db(), "PRAGMA user_version"), "1");
  EXPECT_THAT(raw_rows(db(), "SELECT name, revoked FROM credentials ORDER BY id"),
              ElementsAre("password|NULL", "password|1700000600", "odd|NULL"));
  EXPECT_EQ(raw_value(db(), "SELECT count(*) FROM sqlite_master WHERE name IN ('scram_verifiers', 'generation')"),
            "0");
}

TEST_F(SchemaMigrationTest, AFreshDatabaseGetsEveryVersionAtOnce) {
  TempDir other;
  auto store = open_store(other.path() / "postern.db", test_options(random_, clock_));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(raw_value(other.path() / "postern.db", "PRAGMA user_version"), "3");
  EXPECT_EQ(store->generation().value(), 1);
}

// ---- version 2 -> 3 ---------------------------------------------------------------------------

// A version 2 database built by the migrations a version 2 postern ran (they are append-only,
// so this is the very text it ran), with what `postern user` and a first login wrote into it.
class SchemaV2MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      auto created = sqlite::Db::open(db(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1000);
      ASSERT_TRUE(created) << created.error().message;
      ASSERT_TRUE(created->query_text("PRAGMA journal_mode = WAL"));
      auto migrated = migrate(*created, 2);
      ASSERT_TRUE(migrated) << migrated.error().message;
    }
    ASSERT_EQ(raw_value(db(), "PRAGMA user_version"), "2");
    testing::CountingRandom salt;
    bob_hash_ = hash_password("bob-v2-password", salt, fast_hash()).value();
    ASSERT_EQ(raw_exec(db(), "INSERT INTO accounts (id, address, disabled, created, cram_md5_enabled) VALUES "
                             "(1, 'bob@example.test', 0, 1700000000, 0), (2, 'carol@example.test', 0, 1700000001, 0);"
                             "INSERT INTO aliases (address, account_id, created) VALUES "
                             "('info@example.test', 1, 1700000002);"
                             "INSERT INTO credentials (id, account_id, name, kind, argon2id_hash, created, updated, "
                             "allowed_senders) VALUES "
                             "(1, 1, 'password', 'password', '" + bob_hash_ + "', 1700000000, 1700000000, ''), "
                             "(2, 1, 'phone', 'app', '" + bob_hash_ + "', 1700000000, 1700000000, 'info@example.test');"
                             "INSERT INTO scram_verifiers VALUES (1, 'SCRAM-SHA-256', x'00', 4096, x'01', x'02');"
                             "INSERT INTO audit (time, actor, action, subject) VALUES "
                             "(1700000000, 'cli', 'account.add', 'bob@example.test');"
                             "UPDATE generation SET value = 17;"),
              "");
  }

  std::filesystem::path db() const { return dir_.path() / "postern.db"; }

  TempDir dir_;
  testing::CountingRandom random_;
  testing::FakeClock clock_;
  std::string bob_hash_;
};

TEST_F(SchemaV2MigrationTest, VersionTwoDatabaseUpgradesInPlace) {
  auto store = open_store(db(), test_options(random_, clock_));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(raw_value(db(), "PRAGMA user_version"), "3");

  // Everything version 2 held is there as it was, the generation included (a running server's
  // caches stay valid across the upgrade: nothing they hold changed).
  EXPECT_THAT(raw_rows(db(), "SELECT address FROM accounts ORDER BY id"),
              ElementsAre("bob@example.test", "carol@example.test"));
  EXPECT_THAT(raw_rows(db(), "SELECT id, name, kind, allowed_senders FROM credentials ORDER BY id"),
              ElementsAre("1|password|password|", "2|phone|app|info@example.test"));
  EXPECT_EQ(raw_value(db(), "SELECT count(*) FROM scram_verifiers"), "1");
  EXPECT_EQ(raw_value(db(), "SELECT count(*) FROM audit"), "1");
  EXPECT_EQ(store->generation().value(), 17);
  EXPECT_EQ(store->verify_password("bob@example.test", "bob-v2-password"), Verify::ok);

  // The new tables start empty: no override, no grant, nothing suspended.
  for (const char* table : {"limit_overrides", "sender_grants", "suspensions"}) {
    EXPECT_EQ(raw_value(db(), std::string("SELECT count(*) FROM ") + table), "0") << table;
  }
  auto bob = store->find_login("bob@example.test").value();
  ASSERT_TRUE(bob);
  EXPECT_THAT(bob->aliases, ElementsAre("info@example.test"));
  EXPECT_TRUE(bob->sender_grants.empty());
  EXPECT_TRUE(bob->suspended_credentials.empty());
  EXPECT_TRUE(store->list_limits().value().empty());
  auto phone = store->list_credentials("bob@example.test").value();
  ASSERT_EQ(phone.size(), 1u);
  EXPECT_EQ(phone[0].suspended, std::nullopt);
}

TEST_F(SchemaV2MigrationTest, UpgradedDatabaseTakesTheNewChanges) {
  auto store = open_store(db(), test_options(random_, clock_));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->set_limits("bob@example.test", "phone", {policy::SendLimits{5, {}, {}, {}}, false}));
  ASSERT_TRUE(store->add_sender_grant("bob@example.test", "@example.org"));
  ASSERT_TRUE(store->suspend_credential("bob@example.test", "phone", "test"));
  EXPECT_EQ(store->generation().value(), 20);
  auto bob = store->find_login("bob@example.test").value();
  ASSERT_TRUE(bob);
  EXPECT_THAT(bob->sender_grants, ElementsAre("@example.org"));
  EXPECT_TRUE(bob->suspended("phone"));
  // Deleting an account cascades into the new tables (foreign keys on the writer).
  ASSERT_TRUE(store->delete_account("bob@example.test"));
  EXPECT_EQ(raw_value(db(), "SELECT (SELECT count(*) FROM limit_overrides) + (SELECT count(*) FROM sender_grants) + "
                            "(SELECT count(*) FROM suspensions)"),
            "0");
}

TEST_F(SchemaV2MigrationTest, AFailedMigrationLeavesVersionTwoUntouched) {
  // A table in the way of the last CREATE: the whole upgrade rolls back, the tables created
  // before it included.
  ASSERT_EQ(raw_exec(db(), "CREATE TABLE suspensions (x INTEGER)"), "");
  auto store = AccountStore::open(db(), test_options(random_, clock_));
  ASSERT_FALSE(store);
  EXPECT_THAT(store.error().message, ::testing::HasSubstr("migration to version 3"));
  EXPECT_EQ(raw_value(db(), "PRAGMA user_version"), "2");
  EXPECT_EQ(raw_value(db(), "SELECT count(*) FROM sqlite_master WHERE name IN ('limit_overrides', 'sender_grants')"),
            "0");
  EXPECT_EQ(raw_value(db(), "SELECT value FROM generation"), "17");
}

TEST_F(SchemaV2MigrationTest, MigrateRefusesAVersionItDoesNotKnow) {
  auto opened = sqlite::Db::open(db(), SQLITE_OPEN_READWRITE, 1000);
  ASSERT_TRUE(opened);
  EXPECT_FALSE(migrate(*opened, schema_version + 1));
  ASSERT_EQ(raw_exec(db(), "PRAGMA user_version = " + std::to_string(schema_version + 1)), "");
  auto newer = migrate(*opened);
  ASSERT_FALSE(newer);
  EXPECT_THAT(newer.error().message, ::testing::HasSubstr("created by a newer postern"));
}

}  // namespace
}  // namespace postern::auth
