#include "policy/auth_throttle.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <utility>

#include "base/strings.hpp"
#include "policy/access.hpp"

namespace postern::policy {

namespace {

// Bounds on the throttle's own memory. Known clients: one entry per (account, address) that
// logged in within the TTL, plenty for a large site. Fingerprints: a stale password in a phone
// needs one; 16 per account is far more than honest clients produce.
constexpr std::size_t kMaxKnownClients = 100'000;
constexpr std::size_t kMaxFingerprints = 50'000;
constexpr std::size_t kFingerprintsPerAccount = 16;
constexpr std::size_t kMaxReported = 50'000;

// A bounded map from a key to a time; when full, the entry with the oldest time goes first.
class TimedMap {
 public:
  explicit TimedMap(std::size_t max) : max_(max) {}

  // Keeps the later of the stored and the given time.
  void put(const std::string& key, Time t) {
    auto it = by_key_.find(key);
    if (it != by_key_.end()) {
      if (t <= it->second) return;
      by_time_.erase({it->second, key});
      it->second = t;
      by_time_.emplace(t, key);
      return;
    }
    if (by_key_.size() >= max_) erase(by_time_.begin()->second);
    by_key_.emplace(key, t);
    by_time_.emplace(t, key);
  }

  std::optional<Time> get(std::string_view key) const {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return std::nullopt;
    return it->second;
  }

  void erase(std::string key) {  // by value: it may point into the entry being erased
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return;
    by_time_.erase({it->second, key});
    by_key_.erase(it);
  }

  // Drops the entries whose time is before `cutoff`.
  void erase_before(Time cutoff) {
    while (!by_time_.empty() && by_time_.begin()->first < cutoff) erase(by_time_.begin()->second);
  }

  // The entries whose key starts with `prefix`, in key order.
  std::vector<std::pair<std::string, Time>> with_prefix(std::string_view prefix) const {
    std::vector<std::pair<std::string, Time>> out;
    for (auto it = by_key_.lower_bound(prefix); it != by_key_.end() && it->first.starts_with(prefix); ++it) {
      out.emplace_back(it->first, it->second);
    }
    return out;
  }

  const std::map<std::string, Time, std::less<>>& entries() const { return by_key_; }

 private:
  std::size_t max_;
  std::map<std::string, Time, std::less<>> by_key_;
  std::set<std::pair<Time, std::string>> by_time_;
};

// Two-part keys, length-prefixed so that no account name (which may hold any byte a client
// sends) can pose as another pair: "<len>:<first><second>".
std::string key_prefix(std::string_view first) { return std::to_string(first.size()) + ":" + std::string(first); }
std::string pair_key(std::string_view first, std::string_view second) {
  return key_prefix(first) + std::string(second);
}
std::pair<std::string, std::string> split_pair_key(std::string_view key) {
  auto colon = key.find(':');
  std::size_t len = 0;
  std::from_chars(key.data(), key.data() + colon, len);
  return {std::string(key.substr(colon + 1, len)), std::string(key.substr(colon + 1 + len))};
}

// `client` with the bits after `prefix` (counted in its own family) cleared, as CIDR text.
std::string masked(const IpAddress& client, unsigned prefix) {
  unsigned family_bits = client.v4 ? 32 : 128;
  prefix = std::min(prefix, family_bits);
  unsigned keep = client.v4 ? prefix + 96 : prefix;
  Cidr cidr{client, prefix};
  for (unsigned i = keep; i < 128; ++i) cidr.network.bytes[i / 8] &= static_cast<std::uint8_t>(~(0x80u >> (i % 8)));
  return cidr.to_string();
}

// The tags of the reported-transition memory, one per scope and level.
constexpr char kTagAddress = 'a';
constexpr char kTagNetwork = 'n';
constexpr char kTagSlowed = 's';
constexpr char kTagProtected = 'p';

}  // namespace

std::string_view to_string(ThrottleScope scope) {
  switch (scope) {
    case ThrottleScope::address:
      return "address";
    case ThrottleScope::network:
      return "network";
    case ThrottleScope::account:
      return "account";
  }
  return "address";
}

std::string address_key(const IpAddress& client, const ThrottleSettings& settings) {
  if (client.v4) return client.to_string();
  return masked(client, settings.address_prefix_v6);
}

std::string network_key(const IpAddress& client, const ThrottleSettings& settings) {
  return masked(client, client.v4 ? settings.network_prefix_v4 : settings.network_prefix_v6);
}

struct AuthThrottle::State {
  ThrottleSettings settings;
  Counters& address;
  Counters& network;
  Counters& account;

  mutable std::mutex mutex;                 // guards the three maps below, and makes failed() one step
  TimedMap known{kMaxKnownClients};         // pair_key(address key, account) -> last success
  TimedMap fingerprints{kMaxFingerprints};  // pair_key(account, fingerprint) -> first failure
  TimedMap reported{kMaxReported};          // tag + key -> when its transition was reported

  // Caller holds the mutex.
  bool known_for(std::string_view account, const std::string& addr, Time now) const {
    if (account.empty()) return false;
    auto last = known.get(pair_key(addr, account));
    return last && now - *last < settings.known_client_ttl;
  }
  bool known_for_any(const std::string& addr, Time now) const {
    return std::ranges::any_of(known.with_prefix(key_prefix(addr)),
                               [&](const auto& e) { return now - e.second < settings.known_client_ttl; });
  }

  // Whether a transition of `tag`+`key` may be reported now, remembering it when so.
  bool report_due(char tag, const std::string& key, Time now, std::chrono::seconds window) {
    std::string k = tag + key;
    auto last = reported.get(k);
    if (last && now < *last + window) return false;
    reported.put(k, now);
    return true;
  }

  // The repeated identical wrong password: true when it already counted inside the window;
  // otherwise it is remembered (at most kFingerprintsPerAccount per account, oldest replaced).
  bool seen_fingerprint(const std::string& account, std::uint64_t fp, Time now) {
    std::string k = pair_key(account, std::to_string(fp));
    auto first = fingerprints.get(k);
    if (first && now < *first + this->account.window()) return true;
    auto mine = fingerprints.with_prefix(key_prefix(account));
    if (mine.size() >= kFingerprintsPerAccount) {
      auto oldest = std::ranges::min_element(mine, {}, &std::pair<std::string, Time>::second);
      fingerprints.erase(oldest->first);
    }
    // A fingerprint whose window ended starts a new one: the stale phone counts once per window.
    fingerprints.erase(k);
    fingerprints.put(k, now);
    return false;
  }
};

namespace {

// The rule of every tier: tripped while the sum is over the limit, until the sum is back at the
// limit (fits_at with n = 0). limit 0: the tier is off.
std::optional<Lockout> over(const Counters& counters, ThrottleScope scope, const std::string& key, std::uint64_t limit,
                            Time now, bool slowed_only = false) {
  if (limit == 0 || key.empty()) return std::nullopt;
  std::uint64_t sum = counters.sum(key, now);
  if (sum <= limit) return std::nullopt;
  return Lockout{scope, key, sum, counters.fits_at(key, now, limit, 0), slowed_only};
}

ThrottleDecision refuse(Lockout lockout) {
  return ThrottleDecision{ThrottleDecision::Kind::refuse, std::move(lockout), std::chrono::seconds{0}};
}

}  // namespace

AuthThrottle::AuthThrottle(ThrottleSettings settings, Counters& address_failures, Counters& network_failures,
                           Counters& account_failures)
    : s_(std::make_unique<State>(std::move(settings), address_failures, network_failures, account_failures)) {}

AuthThrottle::~AuthThrottle() = default;

const ThrottleSettings& AuthThrottle::settings() const { return s_->settings; }

bool AuthThrottle::exempt(const IpAddress& client) const {
  return exempt_address(client, s_->settings.exempt_loopback, s_->settings.exempt_networks);
}

std::optional<Lockout> AuthThrottle::connect_refusal(const IpAddress& client, Time now) const {
  if (exempt(client)) return std::nullopt;
  std::string addr = address_key(client, s_->settings);
  {
    std::lock_guard lock(s_->mutex);
    // A user behind the attacker's NAT still reaches AUTH; before() decides per account there.
    if (s_->known_for_any(addr, now)) return std::nullopt;
  }
  const ThrottleSettings& cfg = s_->settings;
  if (auto l = over(s_->address, ThrottleScope::address, addr, cfg.address.limit, now)) return l;
  return over(s_->network, ThrottleScope::network, network_key(client, cfg), cfg.network.limit, now);
}

ThrottleDecision AuthThrottle::before(const AuthAttempt& attempt, Time now) const {
  const ThrottleSettings& cfg = s_->settings;
  std::string addr = address_key(attempt.client, cfg);
  bool known = false;
  {
    std::lock_guard lock(s_->mutex);
    known = s_->known_for(attempt.account, addr, now);
  }
  // The address tiers stop guessers; a client that logged in to this very account from here
  // before is the account's owner behind a busy NAT, not one of them.
  if (!known && !exempt(attempt.client)) {
    if (auto l = over(s_->address, ThrottleScope::address, addr, cfg.address.limit, now)) return refuse(*l);
    if (auto l = over(s_->network, ThrottleScope::network, network_key(attempt.client, cfg), cfg.network.limit, now)) {
      return refuse(*l);
    }
  }
  if (attempt.account.empty()) return {};
  // NIST SP 800-63B §5.2.2: limit failed attempts on the account, but never lock its owner
  // out: known clients and SCRAM (which costs a guesser a full key derivation per try and never
  // shows us the password) pass even a protected account.
  if (!known && !attempt.scram) {
    if (auto l = over(s_->account, ThrottleScope::account, attempt.account, cfg.account_protect, now)) {
      return refuse(*l);
    }
  }
  ThrottleDecision decision;
  if (over(s_->account, ThrottleScope::account, attempt.account, cfg.account_slow.limit, now)) {
    decision.failure_delay = cfg.slow_delay;
  }
  return decision;
}

std::vector<ThrottleTransition> AuthThrottle::failed(const AuthAttempt& attempt, Time now) {
  const ThrottleSettings& cfg = s_->settings;
  std::lock_guard lock(s_->mutex);  // one failure at a time, so "crossed" is exact
  if (attempt.password_fingerprint && !attempt.account.empty() &&
      s_->seen_fingerprint(attempt.account, *attempt.password_fingerprint, now)) {
    return {};
  }
  std::vector<ThrottleTransition> out;
  // Adds one failure to `key` and reports each limit of `levels` it crossed.
  auto count = [&](Counters& counters, ThrottleScope scope, const std::string& key,
                   std::initializer_list<std::tuple<std::uint64_t, char, bool>> levels) {
    std::uint64_t before = counters.sum(key, now);
    counters.add(key, now);
    for (auto [limit, tag, slowed_only] : levels) {
      auto l = over(counters, scope, key, limit, now, slowed_only);
      if (l && before <= limit && s_->report_due(tag, key, now, counters.window())) {
        out.push_back(ThrottleTransition{*l});
      }
    }
  };
  if (!exempt(attempt.client)) {
    if (cfg.address.limit > 0) {
      count(s_->address, ThrottleScope::address, address_key(attempt.client, cfg),
            {{cfg.address.limit, kTagAddress, false}});
    }
    if (cfg.network.limit > 0) {
      count(s_->network, ThrottleScope::network, network_key(attempt.client, cfg),
            {{cfg.network.limit, kTagNetwork, false}});
    }
  }
  if (!attempt.account.empty() && (cfg.account_slow.limit > 0 || cfg.account_protect > 0)) {
    count(s_->account, ThrottleScope::account, attempt.account,
          {{cfg.account_slow.limit, kTagSlowed, true}, {cfg.account_protect, kTagProtected, false}});
  }
  return out;
}

void AuthThrottle::succeeded(const IpAddress& client, std::string_view account, Time now) {
  if (account.empty()) return;
  std::lock_guard lock(s_->mutex);
  // Failure counts stay: a guesser that also owns an account here must not be able to wipe the
  // counters its guesses built up by logging in to its own.
  s_->known.erase_before(now - s_->settings.known_client_ttl);
  s_->known.put(pair_key(address_key(client, s_->settings), account), now);
}

std::vector<Lockout> AuthThrottle::lockouts(Time now) const {
  const ThrottleSettings& cfg = s_->settings;
  std::vector<Lockout> out;
  auto collect = [&](const Counters& counters, ThrottleScope scope, std::uint64_t limit) {
    if (limit == 0) return;
    for (const auto& [key, sum] : counters.keys_at_least(now, limit + 1)) {
      if (auto l = over(counters, scope, key, limit, now)) out.push_back(*l);
    }
  };
  collect(s_->address, ThrottleScope::address, cfg.address.limit);
  collect(s_->network, ThrottleScope::network, cfg.network.limit);
  // Accounts: protected ones until they fall back to the protect limit, slowed ones until they
  // fall back to the slow limit.
  std::uint64_t lowest = cfg.account_slow.limit > 0 ? cfg.account_slow.limit : cfg.account_protect;
  if (lowest > 0) {
    for (const auto& [key, sum] : s_->account.keys_at_least(now, lowest + 1)) {
      auto l = over(s_->account, ThrottleScope::account, key, cfg.account_protect, now);
      if (!l) l = over(s_->account, ThrottleScope::account, key, cfg.account_slow.limit, now, true);
      if (l) out.push_back(*l);
    }
  }
  std::ranges::sort(out, [](const Lockout& a, const Lockout& b) {
    return std::tie(b.until, a.scope, a.key) < std::tie(a.until, b.scope, b.key);
  });
  return out;
}

bool AuthThrottle::clear(std::string_view target) {
  const ThrottleSettings& cfg = s_->settings;
  std::lock_guard lock(s_->mutex);
  auto forget_address = [&](const IpAddress& ip) {
    std::string a = address_key(ip, cfg);
    std::string n = network_key(ip, cfg);
    s_->address.erase(a);
    s_->network.erase(n);
    s_->reported.erase(kTagAddress + a);
    s_->reported.erase(kTagNetwork + n);
  };
  if (auto ip = IpAddress::parse(target)) {
    forget_address(*ip);
    return true;
  }
  if (auto cidr = Cidr::parse(target)) {
    if (cidr->prefix == (cidr->network.v4 ? 32u : 128u)) {
      forget_address(cidr->network);
      return true;
    }
    // A network names exactly one key: an IPv6 address key ("2001:db8:1:2::/64") or a
    // network key; it is looked for in both tiers.
    std::string key = cidr->to_string();
    s_->address.erase(key);
    s_->network.erase(key);
    s_->reported.erase(kTagAddress + key);
    s_->reported.erase(kTagNetwork + key);
    return true;
  }
  auto at = target.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == target.size()) return false;
  // The local part as given and in lower case: a store that compares local parts without case
  // may hand the throttle either form.
  std::string domain = base::to_lower(target.substr(at + 1));
  for (std::string local : {std::string(target.substr(0, at)), base::to_lower(target.substr(0, at))}) {
    std::string account = local + "@" + domain;
    s_->account.erase(account);
    for (const auto& [k, t] : s_->fingerprints.with_prefix(key_prefix(account))) s_->fingerprints.erase(k);
    s_->reported.erase(kTagSlowed + account);
    s_->reported.erase(kTagProtected + account);
  }
  return true;
}

std::vector<AuthThrottle::KnownClient> AuthThrottle::known_clients(Time now) const {
  std::vector<KnownClient> out;
  std::lock_guard lock(s_->mutex);
  for (const auto& [key, last] : s_->known.entries()) {
    if (now - last >= s_->settings.known_client_ttl) continue;
    auto [address, account] = split_pair_key(key);
    out.push_back(KnownClient{std::move(account), std::move(address), last});
  }
  std::ranges::sort(out, [](const KnownClient& a, const KnownClient& b) {
    return std::tie(a.account, a.address) < std::tie(b.account, b.address);
  });
  return out;
}

void AuthThrottle::restore_known_clients(const std::vector<KnownClient>& known, Time now) {
  std::lock_guard lock(s_->mutex);
  for (const KnownClient& k : known) {
    if (k.account.empty() || now - k.last_success >= s_->settings.known_client_ttl) continue;
    s_->known.put(pair_key(k.address, k.account), k.last_success);
  }
}

}  // namespace postern::policy
