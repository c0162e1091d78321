// AccountStore::audit_log: the trail `postern audit` shows.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "auth/account_store.hpp"
#include "store_test_util.hpp"

namespace postern::auth {
namespace {

using ::testing::ElementsAre;
using postern::testing::CountingRandom;
using postern::testing::FakeClock;
using test::open_store;
using test::test_options;

constexpr const char* bob = "bob@example.test";
constexpr const char* alice = "alice@example.test";

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = open_store(dir_.path() / "postern.db", options("admin uid=0(root)")); }

  StoreOptions options(std::string actor) {
    auto o = test_options(random_, clock_);
    o.actor = std::move(actor);
    return o;
  }

  // Each change one second after the previous one, so that the times tell the order too.
  template <class R>
  void step(R result) {
    ASSERT_TRUE(result) << result.error().message;
    clock_.advance(std::chrono::seconds(1));
  }

  std::vector<AuditEntry> log(std::size_t limit, std::optional<std::string> subject = std::nullopt) {
    auto entries = store_->audit_log(limit, std::move(subject));
    EXPECT_TRUE(entries) << entries.error().message;
    return entries ? *entries : std::vector<AuditEntry>{};
  }

  static std::vector<std::string> summary(const std::vector<AuditEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e.action + " " + e.subject + " " + e.detail);
    return out;
  }

  test::TempDir dir_;
  FakeClock clock_;
  CountingRandom random_;
  std::unique_ptr<AccountStore> store_;
};

TEST_F(AuditLogTest, EmptyStoreHasNoEntries) { EXPECT_TRUE(log(100).empty()); }

TEST_F(AuditLogTest, EveryChangeAppearsNewestFirstWithActorAndTime) {
  auto start = clock_.now();
  step(store_->add_account(bob, "first secret"));
  step(store_->set_password(bob, "second secret"));
  step(store_->add_alias("robert@example.test", bob));
  auto app = store_->add_credential(bob, CredentialSpec{.name = "phone"});
  step(app);
  step(store_->revoke_credential(bob, "phone"));
  step(store_->set_disabled(bob, true));

  auto entries = log(100);
  EXPECT_THAT(summary(entries), ElementsAre("account.disable bob@example.test ",
                                            "credential.revoke bob@example.test phone",
                                            "credential.add bob@example.test phone",
                                            "alias.add robert@example.test account bob@example.test",
                                            "password.set bob@example.test ", "account.add bob@example.test "));
  ASSERT_EQ(entries.size(), 6u);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].actor, "admin uid=0(root)");
    // Newest first: the n-th from the end was made n seconds after the start.
    EXPECT_EQ(entries[i].time, start + std::chrono::seconds(entries.size() - 1 - i));
  }

  // Secrets never reach the trail: neither passwords nor the generated app password.
  for (const auto& e : entries) {
    for (const std::string& field : {e.actor, e.action, e.subject, e.detail}) {
      EXPECT_EQ(field.find("secret"), std::string::npos) << field;
      EXPECT_EQ(field.find(*app), std::string::npos) << field;
    }
  }
}

TEST_F(AuditLogTest, SameSecondChangesKeepTheirOrder) {
  ASSERT_TRUE(store_->add_account(bob, "pw"));
  ASSERT_TRUE(store_->set_disabled(bob, true));
  ASSERT_TRUE(store_->set_disabled(bob, false));
  EXPECT_THAT(summary(log(100)), ElementsAre("account.enable bob@example.test ", "account.disable bob@example.test ",
                                             "account.add bob@example.test "));
}

TEST_F(AuditLogTest, LimitKeepsTheNewest) {
  step(store_->add_account(bob, "pw"));
  step(store_->add_account(alice, "pw"));
  step(store_->set_disabled(bob, true));
  EXPECT_THAT(summary(log(2)), ElementsAre("account.disable bob@example.test ", "account.add alice@example.test "));
  EXPECT_THAT(summary(log(1)), ElementsAre("account.disable bob@example.test "));
  EXPECT_TRUE(log(0).empty());
  EXPECT_EQ(log(static_cast<std::size_t>(-1)).size(), 3u);
}

TEST_F(AuditLogTest, AccountFilterShowsItsChangesAndAliasesAddedToIt) {
  step(store_->add_account(bob, "pw"));
  step(store_->add_account(alice, "pw"));
  step(store_->add_alias("robert@example.test", bob));
  step(store_->add_alias("ally@example.test", alice));
  step(store_->set_disabled(alice, true));
  step(store_->delete_alias("robert@example.test"));

  EXPECT_THAT(summary(log(100, bob)), ElementsAre("alias.add robert@example.test account bob@example.test",
                                                  "account.add bob@example.test "));
  EXPECT_THAT(summary(log(100, "alice@EXAMPLE.test")),
              ElementsAre("account.disable alice@example.test ", "alias.add ally@example.test account alice@example.test",
                          "account.add alice@example.test "));
  // The local part compares case-insensitively, like every address the store keys.
  EXPECT_EQ(log(100, "BOB@example.test").size(), 2u);
  // An alias is a subject of its own.
  EXPECT_THAT(summary(log(100, "robert@example.test")),
              ElementsAre("alias.delete robert@example.test ", "alias.add robert@example.test account bob@example.test"));
  EXPECT_THAT(summary(log(1, bob)), ElementsAre("alias.add robert@example.test account bob@example.test"));
  EXPECT_TRUE(log(100, "nobody@example.test").empty());
}

TEST_F(AuditLogTest, FilterRefusesSomethingThatIsNoAddress) {
  auto entries = store_->audit_log(10, "no-at-sign");
  EXPECT_FALSE(entries);
}

TEST_F(AuditLogTest, RecordsTheActorOfEachProcess) {
  step(store_->add_account(bob, "pw"));
  store_.reset();
  auto other = open_store(dir_.path() / "postern.db", options("cli uid=1000(carol)"));
  ASSERT_TRUE(other);
  step(other->set_disabled(bob, true));
  auto entries = other->audit_log(10, std::nullopt);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].actor, "cli uid=1000(carol)");
  EXPECT_EQ((*entries)[1].actor, "admin uid=0(root)");
}

TEST_F(AuditLogTest, ReadsFromAnyThread) {
  step(store_->add_account(bob, "pw"));
  std::size_t seen = 0;
  std::thread([&] {
    auto entries = store_->audit_log(10, std::nullopt);
    if (entries) seen = entries->size();
  }).join();
  EXPECT_EQ(seen, 1u);
}

}  // namespace
}  // namespace postern::auth
