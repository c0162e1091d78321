// StateStore: the server's persisted counters, usage history, known clients, lockout listing and
// the operator's clear requests, in data_dir/state.db.

#include "auth/state_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "store_test_util.hpp"

namespace postern::auth {
namespace {

using namespace test;
using policy::Lockout;
using policy::ThrottleScope;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using KnownClient = policy::AuthThrottle::KnownClient;
using Delta = StateStore::UsageDelta;
using Total = StateStore::UsageTotal;

TimePoint at(std::int64_t s) { return TimePoint(seconds(s)); }

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { state_ = open(); }

  std::unique_ptr<StateStore> open() {
    auto s = StateStore::open(file(), &clock_);
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }
  std::filesystem::path file() const { return dir_.path() / state_file_name; }

  TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<StateStore> state_;
};

// ---- the file -----------------------------------------------------------------------------------

TEST_F(StateStoreTest, FileIsPrivateInWalModeWithItsOwnSchemaVersion) {
  ASSERT_NE(state_, nullptr);
  struct stat st {};
  ASSERT_EQ(::stat(file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(raw_value(file(), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw_value(file(), "PRAGMA user_version"), std::to_string(state_schema_version));
  EXPECT_EQ(file().filename(), "state.db");
  // Opening again finds it as it is.
  ASSERT_TRUE(state_->save_counters("f", {{"k", 60, 1}}));
  state_.reset();
  state_ = open();
  ASSERT_NE(state_, nullptr);
  EXPECT_EQ(state_->load_counters("f").value().size(), 1u);
}

TEST_F(StateStoreTest, RefusesANewerSchemaAndAFileThatIsNoDatabase) {
  state_.reset();
  ASSERT_EQ(raw_exec(file(), "PRAGMA user_version = " + std::to_string(state_schema_version + 1)), "");
  auto newer = StateStore::open(file());
  ASSERT_FALSE(newer);
  EXPECT_THAT(newer.error().message, HasSubstr("created by a newer postern"));

  auto junk = dir_.path() / "junk.db";
  {
    std::ofstream out(junk);
    out << std::string(4096, 'x');
  }
  EXPECT_FALSE(StateStore::open(junk));
  EXPECT_FALSE(StateStore::open(dir_.path() / "missing-dir" / "state.db"));
}

// ---- counters -----------------------------------------------------------------------------------

TEST_F(StateStoreTest, CountersAreReplacedWholesalePerFamily) {
  std::vector<policy::CounterRow> hour{{"a:bob@example.test", 1800000000, 3},
                                       {"a:alice@example.test", 1800000060, 1},
                                       {"a:alice@example.test", 1800000000, 2}};
  ASSERT_TRUE(state_->save_counters("messages_hour", hour));
  ASSERT_TRUE(state_->save_counters("messages_day", {{"a:bob@example.test", 1799999000, 40}}));
  // By key, then bucket.
  EXPECT_THAT(state_->load_counters("messages_hour").value(),
              ElementsAre(policy::CounterRow{"a:alice@example.test", 1800000000, 2},
                          policy::CounterRow{"a:alice@example.test", 1800000060, 1},
                          policy::CounterRow{"a:bob@example.test", 1800000000, 3}));
  ASSERT_TRUE(state_->save_counters("messages_hour", {{"i:192.0.2.7", 1800000120, 9}}));
  EXPECT_THAT(state_->load_counters("messages_hour").value(),
              ElementsAre(policy::CounterRow{"i:192.0.2.7", 1800000120, 9}));
  EXPECT_THAT(state_->load_counters("messages_day").value(),
              ElementsAre(policy::CounterRow{"a:bob@example.test", 1799999000, 40}));
  EXPECT_THAT(state_->load_counters("never_saved").value(), IsEmpty());
  ASSERT_TRUE(state_->save_counters("messages_day", {}));
  EXPECT_THAT(state_->load_counters("messages_day").value(), IsEmpty());
  // The same bucket twice in one save adds up rather than failing the whole save.
  ASSERT_TRUE(state_->save_counters("dup", {{"k", 60, 2}, {"k", 60, 5}}));
  EXPECT_THAT(state_->load_counters("dup").value(), ElementsAre(policy::CounterRow{"k", 60, 7}));
}

// ---- usage --------------------------------------------------------------------------------------

TEST_F(StateStoreTest, HourOfIsWholeHoursSinceTheEpoch) {
  EXPECT_EQ(hour_of(at(0)), 0);
  EXPECT_EQ(hour_of(at(3599)), 0);
  EXPECT_EQ(hour_of(at(3600)), 1);
  EXPECT_EQ(hour_of(at(1800000000)), 500000);
  EXPECT_EQ(hour_of(at(1800000000) - std::chrono::nanoseconds(1)), 499999);
}

TEST_F(StateStoreTest, UsageAddsUpPerSubjectAndHour) {
  ASSERT_TRUE(state_->add_usage({{"a:bob@example.test", 100, 1, 3}, {"c:bob@example.test/phone", 100, 1, 3}}));
  ASSERT_TRUE(state_->add_usage({{"a:bob@example.test", 100, 2, 2}, {"a:bob@example.test", 101, 1, 10}}));
  ASSERT_TRUE(state_->add_usage({{"a:alice@example.test", 90, 5, 5}, {"i:192.0.2.7", 101, 4, 4}}));
  EXPECT_THAT(state_->usage_since("a:", 0).value(),
              ElementsAre(Total{"a:alice@example.test", 5, 5}, Total{"a:bob@example.test", 4, 15}));
  // Hours before `since` do not count; the hour itself does.
  EXPECT_THAT(state_->usage_since("a:", 100).value(), ElementsAre(Total{"a:bob@example.test", 4, 15}));
  EXPECT_THAT(state_->usage_since("a:", 101).value(), ElementsAre(Total{"a:bob@example.test", 1, 10}));
  EXPECT_THAT(state_->usage_since("a:", 102).value(), IsEmpty());
  EXPECT_THAT(state_->usage_since("c:bob@example.test/", 0).value(),
              ElementsAre(Total{"c:bob@example.test/phone", 1, 3}));
  EXPECT_THAT(state_->usage_since("", 101).value(),
              ElementsAre(Total{"a:bob@example.test", 1, 10}, Total{"i:192.0.2.7", 4, 4}));
}

TEST_F(StateStoreTest, UsagePrefixIsLiteralOctets) {
  // LIKE or GLOB would read these as patterns; a UTF-8 prefix is compared octet by octet.
  ASSERT_TRUE(state_->add_usage({{"a:x_y@example.test", 1, 1, 1},
                                 {"a:xzy@example.test", 1, 2, 2},
                                 {"a:j%rg@example.test", 1, 3, 3},
                                 {"a:jörg@bücher.example", 1, 4, 4},
                                 {"a:jö", 1, 5, 5},
                                 {"a:j*@example.test", 1, 6, 6}}));
  EXPECT_THAT(state_->usage_since("a:x_", 0).value(), ElementsAre(Total{"a:x_y@example.test", 1, 1}));
  EXPECT_THAT(state_->usage_since("a:j%", 0).value(), ElementsAre(Total{"a:j%rg@example.test", 3, 3}));
  EXPECT_THAT(state_->usage_since("a:j*", 0).value(), ElementsAre(Total{"a:j*@example.test", 6, 6}));
  EXPECT_THAT(state_->usage_since("a:jörg@", 0).value(), ElementsAre(Total{"a:jörg@bücher.example", 4, 4}));
  EXPECT_THAT(state_->usage_since("a:jö", 0).value(),
              ElementsAre(Total{"a:jö", 5, 5}, Total{"a:jörg@bücher.example", 4, 4}));
}

TEST_F(StateStoreTest, PruneDropsTheHoursBefore) {
  ASSERT_TRUE(state_->add_usage(
      {{"a:bob@example.test", 10, 1, 1}, {"a:bob@example.test", 11, 2, 2}, {"a:carol@example.test", 9, 7, 7}}));
  ASSERT_TRUE(state_->prune_usage(11));
  EXPECT_THAT(state_->usage_since("", 0).value(), ElementsAre(Total{"a:bob@example.test", 2, 2}));
  EXPECT_EQ(raw_value(file(), "SELECT count(*) FROM usage"), "1");
}

// ---- known clients ------------------------------------------------------------------------------

TEST_F(StateStoreTest, KnownClientsRoundTripAndAreReplaced) {
  std::vector<KnownClient> known{{"bob@example.test", "2001:db8:1:2::/64", at(1800000000)},
                                 {"alice@example.test", "192.0.2.7", at(1799990000)}};
  ASSERT_TRUE(state_->save_known_clients(known));
  EXPECT_THAT(state_->load_known_clients().value(), ElementsAre(known[1], known[0]));
  // Whole seconds, rounded down.
  ASSERT_TRUE(state_->save_known_clients(
      {{"carol@example.test", "192.0.2.8", at(1800000000) + std::chrono::milliseconds(999)}}));
  EXPECT_THAT(state_->load_known_clients().value(),
              ElementsAre(KnownClient{"carol@example.test", "192.0.2.8", at(1800000000)}));
}

// ---- lockouts -----------------------------------------------------------------------------------

std::vector<Lockout> sample_lockouts() {
  return {
      Lockout{ThrottleScope::account, "alice@example.test", 60, at(1800003600), false},
      Lockout{ThrottleScope::address, "192.0.2.7", 12, at(1800000600), false},
      Lockout{ThrottleScope::network, "192.0.2.0/24", 40, at(1800000500), false},
      Lockout{ThrottleScope::address, "2001:db8:1:2::/64", 11, at(1800000400), false},
      Lockout{ThrottleScope::network, "2001:db8:1::/48", 31, at(1800000300), false},
      Lockout{ThrottleScope::account, "bob@example.test", 15, at(1800000200), true},
      Lockout{ThrottleScope::address, "198.51.100.9", 10, at(1800000100), false},
  };
}

TEST_F(StateStoreTest, LockoutListingRoundTripsInItsOrder) {
  EXPECT_EQ(state_->lockouts_written().value(), std::nullopt);
  EXPECT_THAT(state_->load_lockouts().value(), IsEmpty());
  ASSERT_TRUE(state_->save_lockouts(sample_lockouts(), at(1800000000)));
  EXPECT_EQ(state_->load_lockouts().value(), sample_lockouts());
  EXPECT_EQ(state_->lockouts_written().value(), at(1800000000));
  // Replaced wholesale, and an empty listing is a listing too.
  ASSERT_TRUE(state_->save_lockouts({}, at(1800000030)));
  EXPECT_THAT(state_->load_lockouts().value(), IsEmpty());
  EXPECT_EQ(state_->lockouts_written().value(), at(1800000030));
}

TEST_F(StateStoreTest, LockoutEndIsRoundedUpToTheSecond) {
  auto until = at(1800000600) + std::chrono::milliseconds(1);
  ASSERT_TRUE(state_->save_lockouts({Lockout{ThrottleScope::address, "192.0.2.7", 12, until, false}},
                                    at(1800000000) + std::chrono::milliseconds(900)));
  EXPECT_EQ(state_->load_lockouts().value().at(0).until, at(1800000601));
  EXPECT_EQ(state_->lockouts_written().value(), at(1800000000));
}

TEST_F(StateStoreTest, ClearTargetsAreNormalised) {
  EXPECT_EQ(normalize_clear_target("192.0.2.7").value(), "192.0.2.7");
  EXPECT_EQ(normalize_clear_target("2001:DB8:0::1").value(), "2001:db8::1");
  EXPECT_EQ(normalize_clear_target("192.0.2.0/24").value(), "192.0.2.0/24");
  EXPECT_EQ(normalize_clear_target("2001:db8::/48").value(), "2001:db8::/48");
  EXPECT_EQ(normalize_clear_target("Alice@EXAMPLE.test").value(), "Alice@example.test");
  for (const char* bad :
       {"", "garbage", "192.0.2.1/24", "192.0.2.0/33", "300.1.2.3", "@example.test", "alice@", "a\nb@example.test"}) {
    EXPECT_FALSE(normalize_clear_target(bad)) << bad;
  }
}

TEST_F(StateStoreTest, ClearMatchesFollowsTheThrottlesRules) {
  auto matched = [](std::string_view target) {
    std::vector<std::string> keys;
    for (const auto& l : sample_lockouts()) {
      if (clear_matches(l, target)) keys.push_back(l.key);
    }
    return keys;
  };
  // An address: its own entry and the networks that hold it.
  EXPECT_THAT(matched("192.0.2.7"), ElementsAre("192.0.2.7", "192.0.2.0/24"));
  EXPECT_THAT(matched("192.0.2.8"), ElementsAre("192.0.2.0/24"));
  // IPv6 addresses are counted per /64.
  EXPECT_THAT(matched("2001:db8:1:2::99"), ElementsAre("2001:db8:1:2::/64", "2001:db8:1::/48"));
  EXPECT_THAT(matched("2001:db8:2::1"), IsEmpty());
  // A network: that network only.
  EXPECT_THAT(matched("192.0.2.0/24"), ElementsAre("192.0.2.0/24"));
  EXPECT_THAT(matched("2001:db8:1::/48"), ElementsAre("2001:db8:1::/48"));
  EXPECT_THAT(matched("2001:db8::/48"), IsEmpty());
  EXPECT_THAT(matched("192.0.0.0/16"), IsEmpty());
  EXPECT_THAT(matched("198.51.100.9/32"), ElementsAre("198.51.100.9"));
  // An account: the local part without case.
  EXPECT_THAT(matched("ALICE@example.TEST"), ElementsAre("alice@example.test"));
  EXPECT_THAT(matched("nobody@example.test"), IsEmpty());
  EXPECT_THAT(matched("garbage"), IsEmpty());
}

TEST_F(StateStoreTest, RemoveLockoutsTakesTheMatchesOutOfTheListingAtOnce) {
  ASSERT_TRUE(state_->save_lockouts(sample_lockouts(), at(1800000000)));
  auto removed = state_->remove_lockouts("192.0.2.7").value();
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_EQ(removed[0].key, "192.0.2.7");
  EXPECT_EQ(removed[1].key, "192.0.2.0/24");
  auto left = state_->load_lockouts().value();
  ASSERT_EQ(left.size(), 5u);
  EXPECT_EQ(left[0].key, "alice@example.test");
  EXPECT_EQ(left[1].key, "2001:db8:1:2::/64");
  EXPECT_THAT(state_->remove_lockouts("192.0.2.7").value(), IsEmpty());
  EXPECT_EQ(state_->remove_lockouts("alice@example.test").value().size(), 1u);
  EXPECT_EQ(state_->load_lockouts().value().size(), 4u);
  // The time of the server's save is left as it was.
  EXPECT_EQ(state_->lockouts_written().value(), at(1800000000));
}

// ---- clear requests -----------------------------------------------------------------------------

TEST_F(StateStoreTest, ClearRequestsGoFromTheCliToTheServerOnce) {
  auto cli = open();
  ASSERT_NE(cli, nullptr);
  ASSERT_TRUE(cli->request_clear("192.0.2.7", "cli uid=0(root)"));
  clock_.advance(seconds(1));
  ASSERT_TRUE(cli->request_clear("Alice@EXAMPLE.test", "cli uid=1000(ops)"));
  ASSERT_TRUE(cli->request_clear("2001:DB8::/48", "cli uid=1000(ops)"));
  EXPECT_THAT(
      raw_rows(file(), "SELECT actor, requested FROM clear_requests ORDER BY id"),
      ElementsAre("cli uid=0(root)|1800000000", "cli uid=1000(ops)|1800000001", "cli uid=1000(ops)|1800000001"));
  EXPECT_THAT(state_->take_clear_requests().value(), ElementsAre("192.0.2.7", "Alice@example.test", "2001:db8::/48"));
  EXPECT_THAT(state_->take_clear_requests().value(), IsEmpty());

  auto bad = cli->request_clear("not a target", "cli");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("not an IP address, a network in CIDR notation or an account address"));
  EXPECT_THAT(state_->take_clear_requests().value(), IsEmpty());
}

TEST_F(StateStoreTest, AReaderSeesWholeSavesWhileAWriterSaves) {
  auto cli = open();
  ASSERT_NE(cli, nullptr);
  std::atomic<bool> stop = false;
  std::atomic<int> torn = 0;
  std::thread reader([&] {
    while (!stop) {
      auto listing = cli->load_lockouts();
      if (!listing || (!listing->empty() && listing->size() != sample_lockouts().size())) ++torn;
    }
  });
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(state_->save_lockouts(i % 2 == 0 ? sample_lockouts() : std::vector<Lockout>{}, at(1800000000 + i)));
  }
  stop = true;
  reader.join();
  EXPECT_EQ(torn, 0);
}

}  // namespace
}  // namespace postern::auth
