#include "policy/rate_limit.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace postern::policy {
namespace {

using namespace std::chrono_literals;
using std::chrono::hours;
using std::chrono::nanoseconds;
using std::chrono::seconds;

const Time t0{seconds{1'800'000'000}};  // 2027-01-15T08:00:00Z, a whole day of 24-minute buckets

IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

class FakeOverrides final : public LimitOverrides {
 public:
  std::optional<LimitOverride> find(std::string_view account, std::string_view credential) const override {
    auto it = map.find({std::string(account), std::string(credential)});
    if (it == map.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::pair<std::string, std::string>, LimitOverride> map;
};

class RateLimits : public ::testing::Test {
 protected:
  void make() {
    limiter = std::make_unique<RateLimiter>(
        settings, RateCounters{*messages_hour, *messages_day, *recipients_hour, *recipients_day}, overrides);
  }
  void SetUp() override { make(); }

  Sender alice(std::string credential = "", std::string_view client = "192.0.2.7") {
    return Sender{ip(client), "alice@example.com", std::move(credential)};
  }

  RateLimitSettings settings;  // account 100/h 1000/d, 500/2000 recipients; address 1000/10000
  std::unique_ptr<Counters> messages_hour = make_memory_counters(hours{1});  // 60 s buckets
  std::unique_ptr<Counters> messages_day = make_memory_counters(hours{24});  // 24 min buckets
  std::unique_ptr<Counters> recipients_hour = make_memory_counters(hours{1});
  std::unique_ptr<Counters> recipients_day = make_memory_counters(hours{24});
  FakeOverrides overrides;
  std::unique_ptr<RateLimiter> limiter;
};

TEST_F(RateLimits, CounterKeys) {
  EXPECT_EQ(RateLimiter::account_key("alice@example.com"), "a:alice@example.com");
  EXPECT_EQ(RateLimiter::credential_key("alice@example.com", "phone"), "c:alice@example.com/phone");
  EXPECT_EQ(limiter->address_key(ip("192.0.2.7")), "i:192.0.2.7");
  EXPECT_EQ(limiter->address_key(ip("2001:db8:1:2::7")), "i:2001:db8:1:2::/64");
  EXPECT_EQ(RateLimiter::subject_name("a:alice@example.com"), "account alice@example.com");
  // A local part may hold '/', a credential name never does.
  EXPECT_EQ(RateLimiter::subject_name("c:a/b@example.com/phone"), "credential phone of a/b@example.com");
  EXPECT_EQ(RateLimiter::subject_name("i:2001:db8:1:2::/64"), "address 2001:db8:1:2::/64");
}

TEST_F(RateLimits, RecordNamesTheKeysItCounted) {
  EXPECT_EQ(limiter->record(alice("phone"), 2, t0),
            (std::vector<std::string>{"a:alice@example.com", "c:alice@example.com/phone", "i:192.0.2.7"}));
  EXPECT_EQ(messages_hour->sum("c:alice@example.com/phone", t0), 1u);
  EXPECT_EQ(recipients_day->sum("i:192.0.2.7", t0), 2u);
  // An exempt address (loopback by default) is not counted, so not named.
  EXPECT_EQ(limiter->record(alice("", "127.0.0.1"), 1, t0), (std::vector<std::string>{"a:alice@example.com"}));
  EXPECT_EQ(messages_hour->sum("i:127.0.0.1", t0), 0u);
}

TEST_F(RateLimits, AccountMessagesPerHourAndWhenTheyReset) {
  settings.account = {3, 1000, 500, 2000};
  make();
  for (auto at : {t0, t0 + 10min, t0 + 20min}) {
    EXPECT_FALSE(limiter->check_message(alice(), at));
    limiter->record(alice(), 1, at);
  }
  auto refusal = limiter->check_message(alice(), t0 + 30min);
  ASSERT_TRUE(refusal);
  // The first message's bucket [t0, t0 + 60 s) leaves the hour at t0 + 3660 s.
  EXPECT_EQ(*refusal, (RateRefusal{"account alice@example.com", "messages per hour", 3, t0 + 3660s, "account"}));
  EXPECT_EQ(refusal->text(),
            "Message rate limit exceeded: 3 messages per hour for account alice@example.com; "
            "try again after 2027-01-15T09:01:00Z");
  EXPECT_TRUE(limiter->check_message(alice(), t0 + 3660s - nanoseconds{1}));
  EXPECT_FALSE(limiter->check_message(alice(), t0 + 3660s));
  // Another account is not touched.
  EXPECT_FALSE(limiter->check_message(Sender{ip("192.0.2.7"), "bob@example.com", ""}, t0 + 30min));
}

TEST_F(RateLimits, MessagesPerDay) {
  settings.account = {std::nullopt, 5, std::nullopt, std::nullopt};
  make();
  for (int i = 0; i < 5; ++i) limiter->record(alice(), 1, t0 + hours{i});
  auto refusal = limiter->check_message(alice(), t0 + hours{6});
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->limit, "messages per day");
  EXPECT_EQ(refusal->value, 5u);
  EXPECT_EQ(refusal->resets, t0 + 24min + hours{24});
  EXPECT_EQ(refusal->text(),
            "Message rate limit exceeded: 5 messages per day for account alice@example.com; "
            "try again after 2027-01-16T08:24:00Z");
}

TEST_F(RateLimits, TheHourIsReportedBeforeTheDayAndTheAccountBeforeTheAddress) {
  settings.account = {2, 2, std::nullopt, std::nullopt};
  settings.address = {2, 2, std::nullopt, std::nullopt};
  make();
  limiter->record(alice(), 1, t0);
  limiter->record(alice(), 1, t0);
  auto refusal = limiter->check_message(alice(), t0);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->subject, "account alice@example.com");
  EXPECT_EQ(refusal->limit, "messages per hour");
  // Unauthenticated from the same address: the address's own count (the same two messages).
  refusal = limiter->check_message(Sender{ip("192.0.2.7"), "", ""}, t0);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->subject, "address 192.0.2.7");
  EXPECT_EQ(refusal->scope, "address");
  EXPECT_EQ(refusal->limit, "messages per hour");
}

TEST_F(RateLimits, RecipientsCountTheTransactionInProgress) {
  settings.account = {std::nullopt, std::nullopt, 10, std::nullopt};
  make();
  limiter->record(alice(), 4, t0);
  limiter->record(alice(), 4, t0 + 5min);
  Time now = t0 + 10min;
  EXPECT_FALSE(limiter->check_recipients(alice(), 1, now));
  EXPECT_FALSE(limiter->check_recipients(alice(), 2, now));  // 8 + 2 = 10: at the limit
  auto refusal = limiter->check_recipients(alice(), 3, now);
  ASSERT_TRUE(refusal);
  // 3 more fit once the first message's 4 have left the hour.
  EXPECT_EQ(*refusal, (RateRefusal{"account alice@example.com", "recipients per hour", 10, t0 + 3660s, "account"}));
  EXPECT_EQ(refusal->text(),
            "Recipient rate limit exceeded: 10 recipients per hour for account alice@example.com; "
            "try again after 2027-01-15T09:01:00Z");
  EXPECT_FALSE(limiter->check_message(alice(), now));  // messages are not limited here
}

TEST_F(RateLimits, EffectiveLimitsOverlayTheOverride) {
  overrides.map[{"alice@example.com", ""}] = LimitOverride{{std::nullopt, 5, std::nullopt, 7}, false};
  overrides.map[{"alice@example.com", "phone"}] = LimitOverride{{2, std::nullopt, std::nullopt, std::nullopt}, false};
  overrides.map[{"svc@example.com", ""}] = LimitOverride{{}, true};
  EXPECT_EQ(limiter->effective("alice@example.com", ""), (SendLimits{100, 5, 500, 7}));
  EXPECT_EQ(limiter->effective("bob@example.com", ""), (SendLimits{100, 1000, 500, 2000}));
  EXPECT_EQ(limiter->effective("alice@example.com", "phone"),
            (SendLimits{2, std::nullopt, std::nullopt, std::nullopt}));
  EXPECT_EQ(limiter->effective("alice@example.com", "laptop"), SendLimits{});
  EXPECT_EQ(limiter->effective("svc@example.com", ""), std::nullopt);
  EXPECT_EQ(limiter->effective("svc@example.com", "phone"), SendLimits{});  // credentials keep their own
}

TEST_F(RateLimits, AnOverrideTightensOneAccount) {
  overrides.map[{"alice@example.com", ""}] = LimitOverride{{1, std::nullopt, std::nullopt, std::nullopt}, false};
  limiter->record(alice(), 1, t0);
  auto refusal = limiter->check_message(alice(), t0);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->value, 1u);
  EXPECT_FALSE(limiter->check_message(Sender{ip("192.0.2.8"), "bob@example.com", ""}, t0));
}

TEST_F(RateLimits, UnlimitedLiftsTheAccountLimitsButNotTheAddress) {
  overrides.map[{"svc@example.com", ""}] = LimitOverride{{}, true};
  Sender svc{ip("192.0.2.9"), "svc@example.com", ""};
  for (int i = 0; i < 999; ++i) limiter->record(svc, 3, t0);
  EXPECT_FALSE(limiter->check_message(svc, t0));
  EXPECT_EQ(messages_hour->sum("a:svc@example.com", t0), 999u);  // counted all the same
  limiter->record(svc, 3, t0);
  auto refusal = limiter->check_message(svc, t0);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->subject, "address 192.0.2.9");
  EXPECT_EQ(refusal->value, 1000u);
  // From an exempt address nothing limits it.
  EXPECT_FALSE(limiter->check_message(Sender{ip("127.0.0.1"), "svc@example.com", ""}, t0));
}

TEST_F(RateLimits, CredentialLimits) {
  settings.credential = {2, std::nullopt, std::nullopt, std::nullopt};
  make();
  overrides.map[{"alice@example.com", "backup"}] = LimitOverride{{}, true};
  limiter->record(alice("phone"), 1, t0);
  limiter->record(alice("phone"), 1, t0);
  auto refusal = limiter->check_message(alice("phone"), t0);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->subject, "credential phone of alice@example.com");
  EXPECT_EQ(refusal->scope, "credential");
  EXPECT_EQ(refusal->text(),
            "Message rate limit exceeded: 2 messages per hour for credential phone of alice@example.com; "
            "try again after 2027-01-15T09:01:00Z");
  EXPECT_FALSE(limiter->check_message(alice("laptop"), t0));
  for (int i = 0; i < 5; ++i) limiter->record(alice("backup"), 1, t0);
  EXPECT_FALSE(limiter->check_message(alice("backup"), t0));
  // The account counts every credential's messages: 7 of its 100.
  EXPECT_EQ(messages_hour->sum("a:alice@example.com", t0), 7u);
}

TEST_F(RateLimits, ExemptAddressesAreNeitherCountedNorLimited) {
  settings.address = {1, 1, 1, 1};
  make();
  Sender local{ip("127.0.0.1"), "", ""};
  for (int i = 0; i < 5; ++i) limiter->record(local, 2, t0);
  EXPECT_FALSE(limiter->check_message(local, t0));
  EXPECT_FALSE(limiter->check_recipients(local, 50, t0));
  EXPECT_FALSE(limiter->check_message(Sender{ip("::1"), "", ""}, t0));
  EXPECT_EQ(messages_hour->sum("i:127.0.0.1", t0), 0u);

  Sender remote{ip("192.0.2.7"), "", ""};
  EXPECT_FALSE(limiter->check_message(remote, t0));
  limiter->record(remote, 1, t0);
  ASSERT_TRUE(limiter->check_message(remote, t0));
  EXPECT_EQ(limiter->check_message(remote, t0)->subject, "address 192.0.2.7");

  settings.exempt_loopback = false;
  settings.exempt_networks = {*Cidr::parse("192.0.2.0/24")};
  make();
  EXPECT_FALSE(limiter->check_message(remote, t0));  // its count is still there, but exempt now
  limiter->record(local, 1, t0);
  EXPECT_TRUE(limiter->check_message(local, t0));
}

TEST_F(RateLimits, Ipv6AddressesShareTheirSlash64) {
  settings.address = {1, std::nullopt, std::nullopt, std::nullopt};
  make();
  limiter->record(Sender{ip("2001:db8:1:2::7"), "", ""}, 1, t0);
  auto refusal = limiter->check_message(Sender{ip("2001:db8:1:2:ffff::1"), "", ""}, t0);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->subject, "address 2001:db8:1:2::/64");
  EXPECT_FALSE(limiter->check_message(Sender{ip("2001:db8:1:3::7"), "", ""}, t0));
}

TEST_F(RateLimits, ShortTestWindowsKeepTheirNames) {
  messages_hour = make_memory_counters(seconds{3});  // one-second buckets
  settings.account = {2, std::nullopt, std::nullopt, std::nullopt};
  make();
  limiter->record(alice(), 1, t0);
  limiter->record(alice(), 1, t0 + 1s);
  auto refusal = limiter->check_message(alice(), t0 + 1500ms);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->resets, t0 + 4s);
  EXPECT_EQ(refusal->text(),
            "Message rate limit exceeded: 2 messages per hour for account alice@example.com; "
            "try again after 2027-01-15T08:00:04Z");
  EXPECT_FALSE(limiter->check_message(alice(), t0 + 4s));
}

TEST(RateRefusal, TextIsRfc3339UtcRoundedUp) {
  using namespace std::chrono;
  Time at = sys_days{2026y / 11 / 21} + 14h + 3min;
  RateRefusal r{"account alice@example.com", "messages per hour", 100, at};
  EXPECT_EQ(r.text(),
            "Message rate limit exceeded: 100 messages per hour for account alice@example.com; "
            "try again after 2026-11-21T14:03:00Z");
  r.resets = at + 500ms;
  r.limit = "recipients per day";
  r.subject = "address 192.0.2.7";
  EXPECT_EQ(r.text(),
            "Recipient rate limit exceeded: 100 recipients per day for address 192.0.2.7; "
            "try again after 2026-11-21T14:03:01Z");
  r.resets = sys_days{1999y / 12 / 31} + 23h + 59min + 59s + 1ns;
  EXPECT_TRUE(r.text().ends_with("try again after 2000-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace postern::policy
