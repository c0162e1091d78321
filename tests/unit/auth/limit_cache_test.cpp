// LimitCache: the rate limiter's view of `postern user limits`, refreshed by generation.

#include "auth/limit_cache.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store_test_util.hpp"

namespace postern::auth {
namespace {

using namespace test;

policy::LimitOverride per_hour(std::uint64_t n) { return {policy::SendLimits{n, {}, {}, {}}, false}; }

class LimitCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(db(), test_options(random_, clock_));
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->add_account("Bob@example.test", "bob-password"));
    ASSERT_TRUE(store_->add_credential("bob@example.test", {.name = "phone"}));
    // Changes come from the CLI: another process, another store object.
    cli_ = open_store(db(), test_options(random_, clock_));
    ASSERT_NE(cli_, nullptr);
  }

  std::filesystem::path db() const { return dir_.path() / "postern.db"; }

  TempDir dir_;
  testing::CountingRandom random_;
  testing::FakeClock clock_;
  std::unique_ptr<AccountStore> store_;
  std::unique_ptr<AccountStore> cli_;
};

TEST_F(LimitCacheTest, KnowsNothingUntilTheFirstRefresh) {
  ASSERT_TRUE(cli_->set_limits("bob@example.test", "", per_hour(5)));
  LimitCache cache(*store_);
  EXPECT_EQ(cache.find("Bob@example.test", ""), std::nullopt);
  EXPECT_EQ(cache.generation(), std::nullopt);
  EXPECT_EQ(cache.refresh().value(), true);
  EXPECT_EQ(cache.find("Bob@example.test", ""), per_hour(5));
  EXPECT_EQ(cache.generation(), store_->generation().value());
}

TEST_F(LimitCacheTest, AnswersForTheAccountAndEachCredential) {
  ASSERT_TRUE(cli_->set_limits("bob@example.test", "", per_hour(5)));
  ASSERT_TRUE(cli_->set_limits("bob@example.test", "phone", {policy::SendLimits{}, true}));
  LimitCache cache(*store_);
  ASSERT_TRUE(cache.refresh());
  // The account compares like the store's addresses; credential names exactly.
  EXPECT_EQ(cache.find("bob@EXAMPLE.test", ""), per_hour(5));
  EXPECT_EQ(cache.find("BOB@example.test", "phone"), (policy::LimitOverride{policy::SendLimits{}, true}));
  EXPECT_EQ(cache.find("bob@example.test", "Phone"), std::nullopt);
  EXPECT_EQ(cache.find("bob@example.test", "password"), std::nullopt);
  EXPECT_EQ(cache.find("carol@example.test", ""), std::nullopt);
}

TEST_F(LimitCacheTest, RefreshReloadsOnlyWhenTheGenerationMoved) {
  LimitCache cache(*store_);
  EXPECT_EQ(cache.refresh().value(), true);
  EXPECT_EQ(cache.refresh().value(), false);

  ASSERT_TRUE(cli_->set_limits("bob@example.test", "phone", per_hour(7)));
  EXPECT_EQ(cache.find("bob@example.test", "phone"), std::nullopt) << "not before the refresh";
  EXPECT_EQ(cache.refresh().value(), true);
  EXPECT_EQ(cache.find("bob@example.test", "phone"), per_hour(7));
  EXPECT_EQ(cache.refresh().value(), false);

  ASSERT_TRUE(cli_->set_limits("bob@example.test", "phone", per_hour(9)));
  ASSERT_TRUE(cache.refresh());
  EXPECT_EQ(cache.find("bob@example.test", "phone"), per_hour(9));
  ASSERT_TRUE(cli_->clear_limits("bob@example.test", "phone"));
  EXPECT_EQ(cache.refresh().value(), true);
  EXPECT_EQ(cache.find("bob@example.test", "phone"), std::nullopt);
  // Deleting the account takes its overrides along.
  ASSERT_TRUE(cli_->set_limits("bob@example.test", "", per_hour(3)));
  ASSERT_TRUE(cache.refresh());
  ASSERT_TRUE(cli_->delete_account("bob@example.test"));
  ASSERT_TRUE(cache.refresh());
  EXPECT_EQ(cache.find("bob@example.test", ""), std::nullopt);
}

TEST_F(LimitCacheTest, AFailedRefreshKeepsThePreviousSnapshot) {
  ASSERT_TRUE(cli_->set_limits("bob@example.test", "", per_hour(5)));
  LimitCache cache(*store_);
  ASSERT_TRUE(cache.refresh());
  auto seen = cache.generation();
  // Behind the store's back: a new generation, and a table the reload cannot read.
  ASSERT_EQ(raw_exec(db(), "UPDATE generation SET value = value + 1; ALTER TABLE limit_overrides RENAME TO gone"), "");
  auto failed = cache.refresh();
  ASSERT_FALSE(failed);
  EXPECT_THAT(failed.error().message, ::testing::HasSubstr("limit_overrides"));
  EXPECT_EQ(cache.find("bob@example.test", ""), per_hour(5));
  EXPECT_EQ(cache.generation(), seen);
  // Repaired, the next refresh catches up.
  ASSERT_EQ(raw_exec(db(), "ALTER TABLE gone RENAME TO limit_overrides"), "");
  EXPECT_EQ(cache.refresh().value(), true);
  EXPECT_EQ(cache.generation(), store_->generation().value());
}

TEST_F(LimitCacheTest, FindIsSafeWhileAnotherThreadRefreshes) {
  LimitCache cache(*store_);
  ASSERT_TRUE(cache.refresh());
  std::atomic<bool> stop = false;
  std::atomic<int> wrong = 0;
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        auto found = cache.find("bob@example.test", "");
        // Whatever snapshot it sees, it is one the CLI wrote: none, or 1..20 per hour.
        if (found && (!found->limits.messages_per_hour || *found->limits.messages_per_hour == 0 ||
                      *found->limits.messages_per_hour > 20)) {
          ++wrong;
        }
      }
    });
  }
  for (std::uint64_t n = 1; n <= 20; ++n) {
    // EXPECT, not ASSERT: the readers must be joined whatever happens.
    EXPECT_TRUE(cli_->set_limits("bob@example.test", "", per_hour(n)));
    EXPECT_TRUE(cache.refresh());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(cache.find("bob@example.test", ""), per_hour(20));
}

}  // namespace
}  // namespace postern::auth
