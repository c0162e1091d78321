#include "policy/auth_throttle.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace postern::policy {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

const Time t0{seconds{1'800'000'000}};  // a whole hour since the epoch: buckets start here

IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

AuthAttempt attempt(std::string_view client, std::string account, bool scram = false,
                    std::optional<std::uint64_t> fingerprint = std::nullopt) {
  return AuthAttempt{ip(client), std::move(account), scram, fingerprint};
}

std::string user(int i) { return "u" + std::to_string(i) + "@example.com"; }

// Default settings: address 10 / 10 min (10 s buckets), network 30 / 10 min, account slowed
// over 10 and protected over 50 per hour (60 s buckets).
class Throttle : public ::testing::Test {
 protected:
  void make() { throttle = std::make_unique<AuthThrottle>(cfg, *address, *network, *account); }
  void SetUp() override { make(); }

  // Records a failure, keeping every transition seen.
  std::vector<ThrottleTransition> fail(std::string_view client, std::string acct, Time at,
                                       std::optional<std::uint64_t> fingerprint = std::nullopt) {
    auto t = throttle->failed(attempt(client, std::move(acct), false, fingerprint), at);
    transitions.insert(transitions.end(), t.begin(), t.end());
    return t;
  }
  bool allowed(std::string_view client, std::string acct, Time at, bool scram = false) {
    return throttle->before(attempt(client, std::move(acct), scram), at).kind == ThrottleDecision::Kind::allow;
  }

  ThrottleSettings cfg;
  std::unique_ptr<Counters> address = make_memory_counters(minutes{10});
  std::unique_ptr<Counters> network = make_memory_counters(minutes{10});
  std::unique_ptr<Counters> account = make_memory_counters(hours{1});
  std::unique_ptr<AuthThrottle> throttle;
  std::vector<ThrottleTransition> transitions;
};

TEST(ThrottleKeys, GroupAddressesAndNetworks) {
  ThrottleSettings cfg;
  EXPECT_EQ(address_key(ip("192.0.2.7"), cfg), "192.0.2.7");
  EXPECT_EQ(address_key(ip("::ffff:192.0.2.7"), cfg), "192.0.2.7");
  EXPECT_EQ(network_key(ip("192.0.2.7"), cfg), "192.0.2.0/24");
  EXPECT_EQ(address_key(ip("2001:db8:1:2:aaaa::1"), cfg), "2001:db8:1:2::/64");
  EXPECT_EQ(network_key(ip("2001:db8:1:2:aaaa::1"), cfg), "2001:db8:1::/48");
  cfg.network_prefix_v4 = 16;
  cfg.network_prefix_v6 = 32;
  cfg.address_prefix_v6 = 128;
  EXPECT_EQ(network_key(ip("192.0.2.7"), cfg), "192.0.0.0/16");
  EXPECT_EQ(network_key(ip("2001:db8:1:2::1"), cfg), "2001:db8::/32");
  EXPECT_EQ(address_key(ip("2001:db8:1:2::1"), cfg), "2001:db8:1:2::1/128");
  EXPECT_EQ(to_string(ThrottleScope::network), "network");
}

TEST_F(Throttle, AddressTripsOnTheFailureAfterTheLimit) {
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(fail("192.0.2.7", user(i), t0 + seconds{10 * i}).empty());
  Time now = t0 + seconds{90};
  EXPECT_TRUE(allowed("192.0.2.7", "x@example.com", now));
  EXPECT_FALSE(throttle->connect_refusal(ip("192.0.2.7"), now));

  now = t0 + seconds{100};
  auto crossed = fail("192.0.2.7", user(10), now);
  // The first bucket [t0, t0+10) leaves the 10-minute window at t0 + 610: then 10 remain.
  Lockout expected{ThrottleScope::address, "192.0.2.7", 11, t0 + seconds{610}, false};
  ASSERT_EQ(crossed.size(), 1u);
  EXPECT_EQ(crossed[0].lockout, expected);
  auto d = throttle->before(attempt("192.0.2.7", "x@example.com"), now);
  EXPECT_EQ(d.kind, ThrottleDecision::Kind::refuse);
  EXPECT_EQ(d.because, expected);
  EXPECT_EQ(throttle->connect_refusal(ip("192.0.2.7"), now), expected);
  EXPECT_FALSE(allowed("192.0.2.7", "x@example.com", t0 + seconds{610} - nanoseconds{1}));
  EXPECT_TRUE(allowed("192.0.2.7", "x@example.com", t0 + seconds{610}));
  EXPECT_FALSE(throttle->connect_refusal(ip("192.0.2.7"), t0 + seconds{610}));
}

TEST_F(Throttle, ThousandFailuresFromOneAddressSpareOthers) {
  for (int i = 0; i < 1000; ++i) fail("198.51.100.7", user(i), t0);
  // One report per tier, however long the attack goes on.
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_EQ(transitions[0].lockout.scope, ThrottleScope::address);
  EXPECT_EQ(transitions[0].lockout.failures, 11u);
  EXPECT_EQ(transitions[1].lockout.scope, ThrottleScope::network);
  EXPECT_EQ(transitions[1].lockout.key, "198.51.100.0/24");
  EXPECT_EQ(transitions[1].lockout.failures, 31u);

  EXPECT_FALSE(allowed("198.51.100.7", "alice@example.com", t0));
  EXPECT_TRUE(allowed("203.0.113.9", "alice@example.com", t0));
  EXPECT_FALSE(throttle->connect_refusal(ip("203.0.113.9"), t0));
  auto refusal = throttle->connect_refusal(ip("198.51.100.7"), t0);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->failures, 1000u);
  refusal = throttle->connect_refusal(ip("198.51.100.8"), t0);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->scope, ThrottleScope::network);
}

TEST_F(Throttle, TransitionsAreReportedOncePerWindow) {
  fail("192.0.2.7", user(100), t0);
  for (int i = 0; i < 10; ++i) fail("192.0.2.7", user(i), t0 + seconds{590});
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].lockout.until, t0 + seconds{610});
  // The lockout ends at t0 + 610 when the first failure leaves; the next failure trips it again,
  // inside the window of the first report, so it is not reported again...
  EXPECT_TRUE(allowed("192.0.2.7", "x@example.com", t0 + seconds{610}));
  EXPECT_TRUE(fail("192.0.2.7", "y@example.com", t0 + seconds{610}).empty());
  EXPECT_FALSE(allowed("192.0.2.7", "x@example.com", t0 + seconds{610}));
  // ...but a fresh attack after that window is.
  Time later = t0 + hours{1};
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(fail("192.0.2.7", user(i), later).empty());
  EXPECT_EQ(fail("192.0.2.7", "z@example.com", later).size(), 1u);
}

TEST_F(Throttle, SprayAcrossNetworksSlowsThenProtectsTheAccount) {
  throttle->succeeded(ip("203.0.113.5"), "alice@example.com", t0 - hours{24});
  int k = 0;
  for (int i = 0; i < 50; ++i) {
    std::string client = "10." + std::to_string(i) + ".0.1";
    for (int j = 0; j < 2; ++j, ++k) fail(client, "alice@example.com", t0 + seconds{k});
  }
  // 100 failures at t0 .. t0 + 99: 60 in the bucket of t0, 40 in the next; the first leaves
  // the hour at t0 + 3660.
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_EQ(transitions[0].lockout,
            (Lockout{ThrottleScope::account, "alice@example.com", 11, t0 + seconds{3660}, true}));
  EXPECT_EQ(transitions[1].lockout,
            (Lockout{ThrottleScope::account, "alice@example.com", 51, t0 + seconds{3660}, false}));

  Time now = t0 + seconds{100};
  auto unknown = throttle->before(attempt("192.0.2.200", "alice@example.com"), now);
  EXPECT_EQ(unknown.kind, ThrottleDecision::Kind::refuse);
  EXPECT_EQ(unknown.because, (Lockout{ThrottleScope::account, "alice@example.com", 100, t0 + seconds{3660}, false}));
  // SCRAM and the known client pass, slowed.
  auto scram = throttle->before(attempt("192.0.2.200", "alice@example.com", true), now);
  EXPECT_EQ(scram.kind, ThrottleDecision::Kind::allow);
  EXPECT_EQ(scram.failure_delay, seconds{5});
  auto known = throttle->before(attempt("203.0.113.5", "alice@example.com"), now);
  EXPECT_EQ(known.kind, ThrottleDecision::Kind::allow);
  EXPECT_EQ(known.failure_delay, seconds{5});
  auto other = throttle->before(attempt("192.0.2.200", "bob@example.com"), now);
  EXPECT_EQ(other.kind, ThrottleDecision::Kind::allow);
  EXPECT_EQ(other.failure_delay, seconds{0});
  // No address or network is to blame.
  EXPECT_FALSE(throttle->connect_refusal(ip("10.3.0.1"), now));
}

TEST_F(Throttle, AccountBetweenSlowAndProtectIsOnlySlowed) {
  for (int i = 0; i < 11; ++i) fail("10." + std::to_string(i) + ".0.1", "alice@example.com", t0);
  auto d = throttle->before(attempt("192.0.2.200", "alice@example.com"), t0);
  EXPECT_EQ(d.kind, ThrottleDecision::Kind::allow);
  EXPECT_EQ(d.failure_delay, seconds{5});
  for (int i = 11; i < 51; ++i) fail("10." + std::to_string(i) + ".0.1", "alice@example.com", t0);
  EXPECT_FALSE(allowed("192.0.2.200", "alice@example.com", t0));
  EXPECT_TRUE(allowed("192.0.2.200", "", t0));  // no name: no account tier
}

TEST_F(Throttle, SprayInsideOneNetworkTripsTheNetworkButNotKnownClients) {
  throttle->succeeded(ip("198.51.100.77"), "alice@example.com", t0 - hours{1});
  int k = 0;
  for (int i = 1; i <= 50; ++i) {
    for (int j = 0; j < 2; ++j, ++k) fail("198.51.100." + std::to_string(i), "alice@example.com", t0 + seconds{k});
  }
  ASSERT_EQ(transitions.size(), 3u);
  EXPECT_TRUE(transitions[0].lockout.slowed_only);                  // failure 11
  EXPECT_EQ(transitions[1].lockout.key, "198.51.100.0/24");         // failure 31
  EXPECT_EQ(transitions[2].lockout.scope, ThrottleScope::account);  // failure 51
  EXPECT_FALSE(transitions[2].lockout.slowed_only);

  Time now = t0 + seconds{100};
  EXPECT_FALSE(throttle->connect_refusal(ip("198.51.100.77"), now));
  EXPECT_TRUE(allowed("198.51.100.77", "alice@example.com", now));
  auto stranger = throttle->connect_refusal(ip("198.51.100.78"), now);
  ASSERT_TRUE(stranger);
  EXPECT_EQ(stranger->scope, ThrottleScope::network);
  EXPECT_EQ(stranger->failures, 100u);
  EXPECT_FALSE(allowed("198.51.100.78", "bob@example.com", now));
  EXPECT_TRUE(allowed("198.51.101.78", "bob@example.com", now));
}

TEST_F(Throttle, KnownClientOfAnotherAccountStillMeetsTheAddressTier) {
  for (int i = 0; i < 11; ++i) fail("192.0.2.7", user(i), t0);
  // The guesser logs in to an account of its own: its counts stay.
  throttle->succeeded(ip("192.0.2.7"), "mallory@example.com", t0);
  EXPECT_EQ(address->sum("192.0.2.7", t0), 11u);
  EXPECT_TRUE(allowed("192.0.2.7", "mallory@example.com", t0));
  EXPECT_FALSE(allowed("192.0.2.7", "alice@example.com", t0));
  // Known for some account: reaches AUTH (NAT), where before() decides per account.
  EXPECT_FALSE(throttle->connect_refusal(ip("192.0.2.7"), t0));
}

TEST_F(Throttle, IdenticalFingerprintCountsOnce) {
  for (int i = 0; i < 20; ++i)
    EXPECT_TRUE(fail("10.0." + std::to_string(i) + ".1", "alice@example.com", t0, 7).empty());
  EXPECT_EQ(account->sum("alice@example.com", t0), 1u);
  EXPECT_EQ(address->sum("10.0.5.1", t0), 0u);
  EXPECT_TRUE(throttle->lockouts(t0).empty());
  // Different passwords escalate: the 10th new one makes 11.
  for (std::uint64_t fp = 100; fp < 109; ++fp) EXPECT_TRUE(fail("10.1.0.1", "alice@example.com", t0, fp).empty());
  auto crossed = fail("10.1.0.1", "alice@example.com", t0, 109);
  ASSERT_EQ(crossed.size(), 1u);
  EXPECT_TRUE(crossed[0].lockout.slowed_only);
  EXPECT_EQ(account->sum("alice@example.com", t0), 11u);
  // The same fingerprint for another account is another password attempt.
  fail("10.1.0.1", "bob@example.com", t0, 7);
  EXPECT_EQ(account->sum("bob@example.com", t0), 1u);
  // Once its window is over, the stale password counts again (once).
  Time later = t0 + hours{2};
  fail("10.0.0.1", "alice@example.com", later, 7);
  fail("10.0.0.1", "alice@example.com", later, 7);
  EXPECT_EQ(account->sum("alice@example.com", later), 1u);
}

TEST_F(Throttle, FingerprintMemoryPerAccountIsBounded) {
  for (std::uint64_t fp = 1; fp <= 17; ++fp) fail("10.0.0.1", "alice@example.com", t0 + seconds{fp}, fp);
  EXPECT_EQ(account->sum("alice@example.com", t0 + seconds{20}), 17u);
  fail("10.0.0.1", "alice@example.com", t0 + seconds{20}, 17);  // still remembered
  EXPECT_EQ(account->sum("alice@example.com", t0 + seconds{20}), 17u);
  fail("10.0.0.1", "alice@example.com", t0 + seconds{20}, 1);  // the oldest was forgotten
  EXPECT_EQ(account->sum("alice@example.com", t0 + seconds{20}), 18u);
}

TEST_F(Throttle, LoopbackIsExemptFromTheAddressTiersOnly) {
  for (int i = 0; i < 100; ++i) fail(i % 2 ? "127.0.0.1" : "::1", user(i), t0);
  fail("::ffff:127.0.0.2", user(200), t0);
  EXPECT_TRUE(transitions.empty());
  EXPECT_FALSE(throttle->connect_refusal(ip("127.0.0.1"), t0));
  EXPECT_FALSE(throttle->connect_refusal(ip("::1"), t0));
  EXPECT_TRUE(allowed("127.0.0.1", "alice@example.com", t0));
  EXPECT_TRUE(throttle->lockouts(t0).empty());
  EXPECT_TRUE(throttle->exempt(ip("127.0.0.1")));
  EXPECT_FALSE(throttle->exempt(ip("192.0.2.1")));
  // The account still counts what comes from an exempt address.
  for (int i = 0; i < 11; ++i) fail("127.0.0.1", "alice@example.com", t0);
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].lockout.scope, ThrottleScope::account);
}

TEST_F(Throttle, LoopbackIsCountedWhenNotExempt) {
  cfg.exempt_loopback = false;
  make();
  EXPECT_FALSE(throttle->exempt(ip("127.0.0.1")));
  for (int i = 0; i < 11; ++i) fail("127.0.0.1", user(i), t0);
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].lockout.key, "127.0.0.1");
  EXPECT_TRUE(throttle->connect_refusal(ip("127.0.0.1"), t0));
}

TEST_F(Throttle, ConfiguredNetworksAreExempt) {
  cfg.exempt_networks = {*Cidr::parse("10.0.0.0/8"), *Cidr::parse("2001:db8:ffff::/48")};
  make();
  for (int i = 0; i < 40; ++i) fail("10.1.2.3", user(i), t0);
  for (int i = 0; i < 40; ++i) fail("2001:db8:ffff::1", user(i), t0);
  EXPECT_TRUE(transitions.empty());
  EXPECT_FALSE(throttle->connect_refusal(ip("10.1.2.3"), t0));
  EXPECT_TRUE(allowed("2001:db8:ffff::1", "x@example.com", t0));
  for (int i = 0; i < 11; ++i) fail("10.9.9.9", user(i), t0);  // the accounts u0..u10 now have 3 each
  EXPECT_TRUE(transitions.empty());
}

TEST_F(Throttle, ZeroLimitTurnsATierOff) {
  cfg.address.limit = 0;
  make();
  for (int i = 0; i < 40; ++i) fail("192.0.2.7", user(i), t0);
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].lockout.scope, ThrottleScope::network);
  EXPECT_EQ(address->sum("192.0.2.7", t0), 0u);
}

TEST_F(Throttle, Ipv6CountsPer64AndNetworksPer48) {
  for (int i = 1; i <= 11; ++i) fail("2001:db8:1:2::" + std::to_string(i), user(i), t0);
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].lockout.key, "2001:db8:1:2::/64");
  EXPECT_FALSE(allowed("2001:db8:1:2:ffff::9", "x@example.com", t0));
  EXPECT_TRUE(allowed("2001:db8:1:3::1", "x@example.com", t0));
  for (int i = 0; i < 20; ++i) fail("2001:db8:1:" + std::to_string(100 + i) + "::1", user(i), t0);
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_EQ(transitions[1].lockout.key, "2001:db8:1::/48");
  auto refusal = throttle->connect_refusal(ip("2001:db8:1:99::1"), t0);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->scope, ThrottleScope::network);
  EXPECT_TRUE(allowed("2001:db8:2::1", "x@example.com", t0));
}

TEST_F(Throttle, ClearAnAddressForgetsItsNetworkToo) {
  for (int i = 0; i < 40; ++i) fail("192.0.2.7", user(i), t0);
  EXPECT_FALSE(allowed("192.0.2.8", "x@example.com", t0));
  EXPECT_TRUE(throttle->clear("192.0.2.7"));
  EXPECT_TRUE(allowed("192.0.2.7", "x@example.com", t0));
  EXPECT_TRUE(allowed("192.0.2.8", "x@example.com", t0));
  transitions.clear();
  // Cleared keys are reported again when they trip again.
  for (int i = 0; i < 11; ++i) fail("192.0.2.7", user(i), t0 + seconds{1});
  EXPECT_EQ(transitions.size(), 1u);
}

TEST_F(Throttle, ClearANetworkOrAnIpv6Key) {
  for (int i = 1; i <= 31; ++i) fail("198.51.100." + std::to_string(i), user(i), t0);
  for (int i = 1; i <= 11; ++i) fail("2001:db8:1:2::" + std::to_string(i), user(i), t0);
  EXPECT_TRUE(throttle->connect_refusal(ip("198.51.100.200"), t0));
  EXPECT_TRUE(throttle->connect_refusal(ip("2001:db8:1:2::99"), t0));
  EXPECT_TRUE(throttle->clear("198.51.100.0/24"));
  EXPECT_FALSE(throttle->connect_refusal(ip("198.51.100.200"), t0));
  EXPECT_TRUE(throttle->clear("2001:db8:1:2::/64"));
  EXPECT_FALSE(throttle->connect_refusal(ip("2001:db8:1:2::99"), t0));
  EXPECT_TRUE(throttle->clear("203.0.113.0/24"));  // nothing to forget is fine
}

TEST_F(Throttle, ClearAnAccount) {
  for (int i = 0; i < 59; ++i) fail("10." + std::to_string(i) + ".0.1", "alice@example.com", t0);
  fail("10.0.0.1", "alice@example.com", t0, 3);
  fail("10.0.0.1", "alice@example.com", t0, 3);  // remembered: counts nothing
  EXPECT_EQ(account->sum("alice@example.com", t0), 60u);
  EXPECT_FALSE(allowed("192.0.2.200", "alice@example.com", t0));
  EXPECT_TRUE(throttle->clear("Alice@EXAMPLE.com"));
  EXPECT_TRUE(allowed("192.0.2.200", "alice@example.com", t0));
  // The fingerprints went too.
  fail("10.0.0.1", "alice@example.com", t0, 3);
  EXPECT_EQ(account->sum("alice@example.com", t0), 1u);
}

TEST_F(Throttle, ClearRefusesWhatItDoesNotUnderstand) {
  EXPECT_FALSE(throttle->clear(""));
  EXPECT_FALSE(throttle->clear("alice"));
  EXPECT_FALSE(throttle->clear("@example.com"));
  EXPECT_FALSE(throttle->clear("alice@"));
  EXPECT_FALSE(throttle->clear("192.0.2.7/24"));  // host bits set
  EXPECT_TRUE(throttle->clear("192.0.2.7/32"));
}

TEST_F(Throttle, LockoutsListEverythingOverALimitNewestFirst) {
  for (int i = 0; i < 11; ++i) fail("192.0.2.7", user(i), t0);                                   // until t0 + 610
  for (int i = 0; i < 11; ++i) fail("10." + std::to_string(i) + ".0.1", "bob@example.com", t0);  // until t0 + 3660
  for (int i = 0; i < 12; ++i) fail("198.51.100.9", user(i), t0 + seconds{60});                  // until t0 + 670
  for (int i = 0; i < 51; ++i) fail("10." + std::to_string(i) + ".0.2", "carol@example.com", t0 + seconds{60});
  Time now = t0 + seconds{100};
  std::vector<Lockout> expected{
      {ThrottleScope::account, "carol@example.com", 51, t0 + seconds{3720}, false},
      {ThrottleScope::account, "bob@example.com", 11, t0 + seconds{3660}, true},
      {ThrottleScope::address, "198.51.100.9", 12, t0 + seconds{670}, false},
      {ThrottleScope::address, "192.0.2.7", 11, t0 + seconds{610}, false},
  };
  EXPECT_EQ(throttle->lockouts(now), expected);
  EXPECT_TRUE(throttle->lockouts(t0 + hours{2}).empty());
}

TEST_F(Throttle, KnownClientsRoundTripAndExpire) {
  throttle->succeeded(ip("192.0.2.1"), "alice@example.com", t0);
  throttle->succeeded(ip("2001:db8:1:2::5"), "bob@example.com", t0 + hours{1});
  throttle->succeeded(ip("192.0.2.9"), "carol@example.com", t0 - std::chrono::days{40});
  Time now = t0 + hours{2};
  std::vector<AuthThrottle::KnownClient> expected{{"alice@example.com", "192.0.2.1", t0},
                                                  {"bob@example.com", "2001:db8:1:2::/64", t0 + hours{1}}};
  auto known = throttle->known_clients(now);
  EXPECT_EQ(known, expected);

  auto other_counters = make_memory_counters(hours{1});
  AuthThrottle restored(cfg, *address, *network, *other_counters);
  auto with_stale = known;
  with_stale.push_back({"dave@example.com", "192.0.2.10", t0 - std::chrono::days{31}});
  restored.restore_known_clients(with_stale, now);
  EXPECT_EQ(restored.known_clients(now), expected);

  // The restored knowledge is used: alice passes her protected account from 192.0.2.1.
  for (int i = 0; i < 51; ++i) restored.failed(attempt("10." + std::to_string(i) + ".0.1", "alice@example.com"), now);
  EXPECT_EQ(restored.before(attempt("192.0.2.1", "alice@example.com"), now).kind, ThrottleDecision::Kind::allow);
  EXPECT_EQ(restored.before(attempt("192.0.2.2", "alice@example.com"), now).kind, ThrottleDecision::Kind::refuse);

  // After the TTL the client is a stranger again.
  Time much_later = t0 + std::chrono::days{30};
  EXPECT_EQ(restored.known_clients(much_later).size(), 1u);  // bob's is an hour younger
  for (int i = 0; i < 51; ++i) {
    restored.failed(attempt("10." + std::to_string(i) + ".0.1", "alice@example.com"), much_later);
  }
  EXPECT_EQ(restored.before(attempt("192.0.2.1", "alice@example.com"), much_later).kind,
            ThrottleDecision::Kind::refuse);
}

}  // namespace
}  // namespace postern::policy
