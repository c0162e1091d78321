#include "auth/account_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include "auth/schema.hpp"
#include "fakes.hpp"

namespace postern::auth {
namespace {

using policy::Lookup;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "postern-auth-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs SQL on the database through a connection of its own, as another process would.
void raw_exec(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  std::string message = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

template <class F>
auto on_new_thread(F f) {
  decltype(f()) result{};
  std::thread([&] { result = f(); }).join();
  return result;
}

class AccountStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = open_store(); }

  std::unique_ptr<AccountStore> open_store(StoreOptions options = {}) {
    options.random = &random_;
    options.clock = &clock_;
    options.hash = HashParams{.memory_kib = 256, .passes = 1, .lanes = 1};  // fast; costs are tested elsewhere
    options.actor = "test";
    options.on_error = [this](const std::string& message) { errors_.push_back(message); };
    auto store = AccountStore::open(db_file(), std::move(options));
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  std::filesystem::path db_file() const { return dir_.path() / "postern.db"; }

  std::vector<std::string> addresses() {
    std::vector<std::string> out;
    auto accounts = store_->list_accounts();
    EXPECT_TRUE(accounts) << accounts.error().message;
    for (const auto& account : accounts.value()) out.push_back(account.address);
    return out;
  }

  TempDir dir_;
  testing::CountingRandom random_;
  testing::FakeClock clock_;
  std::vector<std::string> errors_;
  std::unique_ptr<AccountStore> store_;
};

TEST_F(AccountStoreTest, AddListDelete) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "pw-bob"));
  ASSERT_TRUE(store_->add_account("Alice@Example.TEST", "pw-alice"));
  EXPECT_THAT(addresses(), ::testing::ElementsAre("Alice@example.test", "bob@example.test"));

  auto accounts = store_->list_accounts().value();
  EXPECT_EQ(accounts[0].created, std::chrono::time_point_cast<std::chrono::seconds>(clock_.now()));
  EXPECT_FALSE(accounts[0].disabled);

  ASSERT_TRUE(store_->delete_account("ALICE@example.test"));
  EXPECT_THAT(addresses(), ::testing::ElementsAre("bob@example.test"));
  auto again = store_->delete_account("alice@example.test");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "no account alice@example.test");
}

TEST_F(AccountStoreTest, DuplicateIgnoringCaseIsRefused) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "pw"));
  auto dup = store_->add_account("BOB@EXAMPLE.TEST", "other");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message, "account BOB@example.test already exists");
  EXPECT_EQ(store_->verify_password("bob@example.test", "pw"), Verify::ok);
  EXPECT_EQ(store_->verify_password("bob@example.test", "other"), Verify::bad);
}

TEST_F(AccountStoreTest, RefusesMalformedAddressesAndEmptyPasswords) {
  EXPECT_FALSE(store_->add_account("no-at-sign", "pw"));
  EXPECT_FALSE(store_->add_account("@example.test", "pw"));
  EXPECT_FALSE(store_->add_account("bob@", "pw"));
  EXPECT_FALSE(store_->add_account("bob\n@example.test", "pw"));
  EXPECT_FALSE(store_->add_account("bob@example.test", ""));
  EXPECT_TRUE(addresses().empty());
}

TEST_F(AccountStoreTest, MailboxLookupIgnoresAsciiCaseOfLocalPart) {
  ASSERT_TRUE(store_->add_account("Bob.Smith@example.test", "pw"));
  EXPECT_EQ(store_->find_mailbox("Bob.Smith", "example.test"), Lookup::found);
  EXPECT_EQ(store_->find_mailbox("bob.smith", "example.test"), Lookup::found);
  EXPECT_EQ(store_->find_mailbox("BOB.SMITH", "example.test"), Lookup::found);
  EXPECT_EQ(store_->find_mailbox("bob.smith", "EXAMPLE.test"), Lookup::found);
  EXPECT_EQ(store_->find_mailbox("bob.smit", "example.test"), Lookup::not_found);
  EXPECT_EQ(store_->find_mailbox("bob.smith", "example.org"), Lookup::not_found);
  EXPECT_EQ(store_->find_mailbox("bob.smith@example.test", "example.test"), Lookup::not_found);
  EXPECT_TRUE(errors_.empty());
}

TEST_F(AccountStoreTest, NonAsciiLocalPartsFoldOnlyAscii) {
  ASSERT_TRUE(store_->add_account("J\xc3\xb6rg@example.test", "pw"));  // Jörg
  EXPECT_EQ(store_->find_mailbox("j\xc3\xb6rg", "example.test"), Lookup::found);
  EXPECT_EQ(store_->find_mailbox("J\xc3\x96RG", "example.test"), Lookup::not_found);  // JÖRG: Ö is not ASCII
}

TEST_F(AccountStoreTest, AliasesAreMailboxes) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "pw"));
  ASSERT_TRUE(store_->add_alias("Postmaster@Example.test", "BOB@example.test"));
  EXPECT_EQ(store_->find_mailbox("postmaster", "example.test"), Lookup::found);
  EXPECT_EQ(store_->find_mailbox("POSTMASTER", "example.test"), Lookup::found);
  auto accounts = store_->list_accounts().value();
  ASSERT_EQ(accounts.size(), 1u);
  EXPECT_THAT(accounts[0].aliases, ::testing::ElementsAre("Postmaster@example.test"));

  // An alias is not a login name.
  EXPECT_EQ(store_->verify_password("postmaster@example.test", "pw"), Verify::bad);

  ASSERT_TRUE(store_->delete_alias("postmaster@example.test"));
  EXPECT_EQ(store_->find_mailbox("postmaster", "example.test"), Lookup::not_found);
  auto again = store_->delete_alias("postmaster@example.test");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "no alias postmaster@example.test");
}

TEST_F(AccountStoreTest, AnAddressIsAnAccountOrAnAliasNeverBoth) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "pw"));
  ASSERT_TRUE(store_->add_account("carol@example.test", "pw"));
  ASSERT_TRUE(store_->add_alias("info@example.test", "bob@example.test"));

  auto alias_on_account = store_->add_alias("CAROL@example.test", "bob@example.test");
  ASSERT_FALSE(alias_on_account);
  EXPECT_EQ(alias_on_account.error().message, "CAROL@example.test is already an account");
  auto account_on_alias = store_->add_account("Info@example.test", "pw");
  ASSERT_FALSE(account_on_alias);
  EXPECT_EQ(account_on_alias.error().message, "Info@example.test is already an alias");
  auto twice = store_->add_alias("INFO@example.test", "carol@example.test");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message, "alias INFO@example.test already exists");
  auto dangling = store_->add_alias("sales@example.test", "nobody@example.test");
  ASSERT_FALSE(dangling);
  EXPECT_EQ(dangling.error().message, "no account nobody@example.test");
}

TEST_F(AccountStoreTest, DeletingAnAccountDeletesItsAliasesAndPassword) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "pw"));
  ASSERT_TRUE(store_->add_alias("info@example.test", "bob@example.test"));
  ASSERT_TRUE(store_->delete_account("bob@example.test"));
  EXPECT_EQ(store_->find_mailbox("info", "example.test"), Lookup::not_found);
  EXPECT_EQ(store_->find_mailbox("bob", "example.test"), Lookup::not_found);
  // Re-adding the address does not resurrect the old password or alias.
  ASSERT_TRUE(store_->add_account("bob@example.test", "new"));
  EXPECT_EQ(store_->verify_password("bob@example.test", "pw"), Verify::bad);
  EXPECT_EQ(store_->verify_password("bob@example.test", "new"), Verify::ok);
  EXPECT_EQ(store_->find_mailbox("info", "example.test"), Lookup::not_found);
}

TEST_F(AccountStoreTest, VerifyPassword) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "correct horse"));
  EXPECT_EQ(store_->verify_password("bob@example.test", "correct horse"), Verify::ok);
  EXPECT_EQ(store_->verify_password("BOB@Example.Test", "correct horse"), Verify::ok);
  EXPECT_EQ(store_->verify_password("bob@example.test", "Correct horse"), Verify::bad);
  EXPECT_EQ(store_->verify_password("bob@example.test", ""), Verify::bad);
  EXPECT_EQ(store_->verify_password("alice@example.test", "correct horse"), Verify::bad);
  EXPECT_EQ(store_->verify_password("not an address", "correct horse"), Verify::bad);

  ASSERT_TRUE(store_->set_password("Bob@example.test", "battery staple"));
  EXPECT_EQ(store_->verify_password("bob@example.test", "correct horse"), Verify::bad);
  EXPECT_EQ(store_->verify_password("bob@example.test", "battery staple"), Verify::ok);
  auto missing = store_->set_password("alice@example.test", "x");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "no account alice@example.test");
  EXPECT_TRUE(errors_.empty());
}

TEST_F(AccountStoreTest, DisabledAccountFailsWithTheRightPassword) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "pw"));
  raw_exec(db_file(), "UPDATE accounts SET disabled = 1");
  EXPECT_EQ(store_->verify_password("bob@example.test", "pw"), Verify::bad);
  EXPECT_TRUE(store_->list_accounts().value()[0].disabled);
}

TEST_F(AccountStoreTest, ExpiredOrRevokedPasswordFails) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "pw"));
  auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  raw_exec(db_file(), ("UPDATE credentials SET expires = " + std::to_string(now + 60)).c_str());
  EXPECT_EQ(store_->verify_password("bob@example.test", "pw"), Verify::ok);
  clock_.advance(std::chrono::seconds(60));
  EXPECT_EQ(store_->verify_password("bob@example.test", "pw"), Verify::bad);
  ASSERT_TRUE(store_->set_password("bob@example.test", "pw"));  // a new password clears the expiry
  EXPECT_EQ(store_->verify_password("bob@example.test", "pw"), Verify::ok);
  raw_exec(db_file(), ("UPDATE credentials SET revoked_at = " + std::to_string(now)).c_str());
  EXPECT_EQ(store_->verify_password("bob@example.test", "pw"), Verify::bad);
}

TEST_F(AccountStoreTest, UnreadableHashIsATemporaryFailure) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "pw"));
  raw_exec(db_file(), "UPDATE credentials SET argon2id_hash = '{PLAIN}pw'");
  EXPECT_EQ(store_->verify_password("bob@example.test", "pw"), Verify::temporary_failure);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_THAT(errors_[0], ::testing::HasSubstr("not argon2id"));
}

TEST_F(AccountStoreTest, NoClearTextPasswordInAnyFile) {
  const std::string first = "Zebra-Quartz-7781-first";
  const std::string second = "Walrus-Nickel-4412-second";
  ASSERT_TRUE(store_->add_account("bob@example.test", first));
  ASSERT_TRUE(store_->set_password("bob@example.test", second));
  ASSERT_TRUE(store_->add_alias("info@example.test", "bob@example.test"));
  EXPECT_EQ(store_->verify_password("bob@example.test", second), Verify::ok);
  store_.reset();  // checkpoints the WAL into the main file
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    std::string bytes = read_all(entry.path());
    EXPECT_EQ(bytes.find(first), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find(second), std::string::npos) << entry.path();
    if (entry.path() == db_file()) {
      EXPECT_NE(bytes.find("$argon2id$v=19$"), std::string::npos);
    }
    ++files;
  }
  EXPECT_GE(files, 1u);
}

TEST_F(AccountStoreTest, DatabaseFileIsPrivate) {
  struct stat st {};
  ASSERT_EQ(::stat(db_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AccountStoreTest, SchemaIsVersionedAndSurvivesReopen) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "pw"));
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_file().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt, 0), schema_version);
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);

  store_ = open_store();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->verify_password("bob@example.test", "pw"), Verify::ok);
}

TEST_F(AccountStoreTest, RefusesANewerSchema) {
  store_.reset();
  raw_exec(db_file(), "PRAGMA user_version = 99");
  auto store = AccountStore::open(db_file());
  ASSERT_FALSE(store);
  EXPECT_THAT(store.error().message, ::testing::HasSubstr("schema version 99"));
}

TEST_F(AccountStoreTest, RecordsAnAuditTrailWithoutSecrets) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "secret-1"));
  ASSERT_TRUE(store_->set_password("bob@example.test", "secret-2"));
  ASSERT_TRUE(store_->add_alias("info@example.test", "bob@example.test"));
  ASSERT_TRUE(store_->delete_alias("info@example.test"));
  ASSERT_TRUE(store_->delete_account("bob@example.test"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_file().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT actor, action, subject, detail FROM audit ORDER BY id", -1, &stmt, nullptr),
            SQLITE_OK);
  std::vector<std::string> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < 4; ++i) row += std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i))) + "|";
    rows.push_back(row);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_THAT(
      rows, ::testing::ElementsAre("test|account.add|bob@example.test||", "test|password.set|bob@example.test||",
                                   "test|alias.add|info@example.test|account bob@example.test|",
                                   "test|alias.delete|info@example.test||", "test|account.delete|bob@example.test||"));
}

TEST_F(AccountStoreTest, ConcurrentLookupsFromManyThreadsWhileWriting) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store_->add_account("user" + std::to_string(i) + "@example.test", "pw"));
  }
  std::atomic<int> wrong{0};
  std::atomic<bool> stop{false};
  // A writer keeps changing other addresses while the readers look up stable ones.
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      std::string address = "churn" + std::to_string(i % 5) + "@example.test";
      (void)store_->add_account(address, "pw");
      (void)store_->delete_account(address);
    }
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        int n = (i * 7 + t) % 40;  // 0..19 exist, 20..39 do not
        std::string local = (i % 2 ? "USER" : "user") + std::to_string(n);
        Lookup expected = n < 20 ? Lookup::found : Lookup::not_found;
        if (store_->find_mailbox(local, "example.test") != expected) ++wrong;
      }
    });
  }
  for (auto& t : readers) t.join();
  stop = true;
  writer.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_TRUE(errors_.empty()) << errors_.front();
}

TEST_F(AccountStoreTest, CorruptDatabaseIsATemporaryFailureNeverNotFound) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "pw"));
  store_.reset();  // checkpoints: every page is in the main file
  store_ = open_store();
  ASSERT_NE(store_, nullptr);
  {
    std::ofstream out(db_file(), std::ios::binary | std::ios::trunc);
    out << std::string(8192, 'x');
  }
  EXPECT_EQ(on_new_thread([&] { return store_->find_mailbox("bob", "example.test"); }), Lookup::temporary_failure);
  EXPECT_EQ(on_new_thread([&] { return store_->find_mailbox("nobody", "example.test"); }), Lookup::temporary_failure);
  EXPECT_EQ(on_new_thread([&] { return store_->verify_password("bob@example.test", "pw"); }),
            Verify::temporary_failure);
  EXPECT_FALSE(errors_.empty());
}

TEST_F(AccountStoreTest, MissingDatabaseIsATemporaryFailure) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "pw"));
  std::filesystem::remove(db_file());
  EXPECT_EQ(on_new_thread([&] { return store_->find_mailbox("bob", "example.test"); }), Lookup::temporary_failure);
  // And the lookup did not create an empty database in its place.
  EXPECT_FALSE(std::filesystem::exists(db_file()));
}

TEST_F(AccountStoreTest, LockedDatabaseIsATemporaryFailureThenRecovers) {
  ASSERT_TRUE(store_->add_account("bob@example.test", "pw"));
  // A store that has only been opened holds no connection (like a server's, which never writes).
  store_.reset();
  store_ = open_store(StoreOptions{.read_busy_timeout = std::chrono::milliseconds(50)});

  // Another process takes the database exclusively (locking_mode EXCLUSIVE holds the file lock
  // beyond the transaction, which WAL readers cannot get past).
  sqlite3* locker = nullptr;
  ASSERT_EQ(sqlite3_open(db_file().c_str(), &locker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(locker,
                         "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; "
                         "UPDATE accounts SET disabled = disabled;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(on_new_thread([&] { return store_->find_mailbox("bob", "example.test"); }), Lookup::temporary_failure);
  EXPECT_EQ(store_->find_mailbox("bob", "example.test"), Lookup::temporary_failure);
  EXPECT_EQ(store_->verify_password("bob@example.test", "pw"), Verify::temporary_failure);
  ASSERT_EQ(sqlite3_exec(locker, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(locker);

  EXPECT_EQ(store_->find_mailbox("bob", "example.test"), Lookup::found);
  EXPECT_EQ(on_new_thread([&] { return store_->find_mailbox("bob", "example.test"); }), Lookup::found);
}

}  // namespace
}  // namespace postern::auth
