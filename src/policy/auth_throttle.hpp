#pragma once
// Brute-force defence across connections (DESIGN §3.7): failed AUTH counted per client address,
// per client network and per account over sliding windows. Pure decisions with `now` passed in;
// the counts live behind policy::Counters.
//
// The rules (numbers and their reasons: docs/security.md):
//   - address: over `address.limit` failures in its window, the address gets `421 4.7.0` at
//     connect and `454 4.7.0` to AUTH until enough failures leave the window;
//   - network (IPv4 /24, IPv6 /48 by default; the address tier is IPv4 /32, IPv6 /64): the same
//     with a higher limit, for attackers that rotate addresses inside one allocation;
//   - account: failures from many addresses first *slow* the account (an extra delay before
//     each refusal, and an alert), then *protect* it: password attempts for it from clients that
//     are not known get `454 4.7.0` without being checked. A client is known when it logged in
//     to that account successfully from the same address (IPv6: /64) within `known_client_ttl`;
//     known clients and SCRAM (which proves the password without sending it, at a cost to the
//     guesser) are never refused for the account's sake: the real user is never locked out
//     (NIST SP 800-63B §5.2.2);
//   - a repeated identical wrong password (a stale password saved in a phone) counts once per
//     account and window: the caller passes a keyed fingerprint of the password it saw;
//   - exempt addresses (configured networks, loopback when so configured) are never counted
//     or refused by address; their failures still count for the account.
// Temporary refusals are 4xx so that clients keep the saved password and do not re-prompt.
//
// Boundaries: a tier is over its limit while its sum is greater than the limit (the
// (limit+1)-th failure inside the window trips it) and stays over until enough failures have
// left the window for the sum to be back at the limit (Lockout::until; Counters::fits_at with
// n = 0). So a guesser gets at most limit + 1 tries per window. Each tier uses the window of the
// Counters it is given; the windows in ThrottleSettings are what the caller makes them with.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/cidr.hpp"
#include "policy/counters.hpp"

namespace postern::policy {

/// A limit on events over a window: more than `limit` in `window` trips it. limit 0 = off.
struct WindowLimit {
  std::uint64_t limit = 0;
  std::chrono::seconds window{0};
};

struct ThrottleSettings {
  WindowLimit address{10, std::chrono::minutes(10)};
  WindowLimit network{30, std::chrono::minutes(10)};
  unsigned network_prefix_v4 = 24;
  unsigned network_prefix_v6 = 48;
  unsigned address_prefix_v6 = 64;  ///< IPv6 clients are counted per /64: one host often has the whole /64
  /// Account: over `account_slow.limit` failures in the window the account is slowed; over
  /// `account_protect` (same window) unknown clients are refused.
  WindowLimit account_slow{10, std::chrono::hours(1)};
  std::uint64_t account_protect = 50;
  /// Extra pause before each failure reply on a slowed account (on top of [auth] failure_delay).
  std::chrono::seconds slow_delay{5};
  std::chrono::seconds known_client_ttl = std::chrono::days(30);
  bool exempt_loopback = true;
  std::vector<Cidr> exempt_networks;
};

/// What a throttled thing is, for listings and `lockout clear`.
enum class ThrottleScope { address, network, account };
std::string_view to_string(ThrottleScope scope);  ///< "address", "network", "account"

/// One key over its limit.
struct Lockout {
  ThrottleScope scope = ThrottleScope::address;
  std::string key;  ///< "192.0.2.7", "192.0.2.0/24", "2001:db8::/64", "alice@example.com"
  std::uint64_t failures = 0;
  Time until;                ///< when the count falls back to the limit if nothing more fails
  bool slowed_only = false;  ///< account between the slow and protect limits
  friend bool operator==(const Lockout&, const Lockout&) = default;
};

/// The verdict before checking a credential.
struct ThrottleDecision {
  enum class Kind { allow, refuse } kind = Kind::allow;
  std::optional<Lockout> because;  ///< with refuse: which limit
  /// With allow: extra pause before a failure reply (the account is slowed); zero otherwise.
  std::chrono::seconds failure_delay{0};
};

/// A limit that was crossed by a recorded failure: the caller logs it, counts it in the metrics
/// and raises an alert. At most one per scope and key per window.
struct ThrottleTransition {
  Lockout lockout;
};

/// The facts of one AUTH outcome the throttle needs.
struct AuthAttempt {
  IpAddress client;
  /// The name the client gave, normalised by the caller (lower-case domain); may be unknown to
  /// the store. Empty when the mechanism gives none (EXTERNAL without a certificate...).
  std::string account;
  bool scram = false;  ///< a SCRAM mechanism (-PLUS or not)
  /// A keyed hash of the password tried (PLAIN/LOGIN), never the password: equal fingerprints
  /// for one account inside the window count once. nullopt for other mechanisms.
  std::optional<std::uint64_t> password_fingerprint;
};

/// The brute-force throttle. Thread-safe (its Counters are; its own maps sit behind a mutex).
///
/// Use: connect_refusal() when a client connects; before() when an AUTH exchange has the
/// login name; then failed() or succeeded() with the outcome. lockouts() and clear() serve
/// the operator.
class AuthThrottle {
 public:
  AuthThrottle(ThrottleSettings settings, Counters& address_failures, Counters& network_failures,
               Counters& account_failures);
  ~AuthThrottle();
  AuthThrottle(const AuthThrottle&) = delete;
  AuthThrottle& operator=(const AuthThrottle&) = delete;

  /// At connect: the lockout that refuses this address (421 4.7.0), or nullopt. Never for an
  /// exempt address, nor for one that is known for any account (so a user behind the same NAT
  /// as an attacker still reaches AUTH, where before() decides per account).
  std::optional<Lockout> connect_refusal(const IpAddress& client, Time now) const;
  /// Before checking a credential (454 4.7.0 on refuse). In order: the address, then the
  /// network tier (skipped for exempt clients and for clients known for this account); then
  /// the account (empty name: skipped): over account_protect refuses unless the client is
  /// known or uses SCRAM; over account_slow.limit allows with failure_delay = slow_delay.
  ThrottleDecision before(const AuthAttempt& attempt, Time now) const;
  /// A credential was refused (535). Returns the limits this failure crossed (for the account
  /// first "slowed", later "protected"), each at most once per key and window. A fingerprint
  /// already seen for the account inside its window counts nothing at all.
  std::vector<ThrottleTransition> failed(const AuthAttempt& attempt, Time now);
  /// A login succeeded: the client becomes known for `account` (the canonical account). The
  /// failure counts stay: a guesser with an account of its own must not reset them by logging in.
  void succeeded(const IpAddress& client, std::string_view account, Time now);

  /// Everything over a limit at `now` (accounts: slowed or protected), newest first by until.
  std::vector<Lockout> lockouts(Time now) const;
  /// Forgets the failures of an address (and of the network key holding it), a key given in
  /// CIDR form ("192.0.2.0/24", "2001:db8:1:2::/64"; a /32 or /128 is the address), or an
  /// account ("local@domain": the domain in lower case, the local part both as given and in
  /// lower case). Returns whether `target` was understood; clearing a key with no failures is
  /// fine.
  bool clear(std::string_view target);

  /// Known clients, to persist across a restart: (account, address key, last success).
  struct KnownClient {
    std::string account;
    std::string address;  ///< the address key (IPv6 /64 network text)
    Time last_success;
    friend bool operator==(const KnownClient&, const KnownClient&) = default;
  };
  /// Those still inside known_client_ttl, sorted by account and address.
  std::vector<KnownClient> known_clients(Time now) const;
  /// Adds persisted known clients back (those older than known_client_ttl are dropped).
  void restore_known_clients(const std::vector<KnownClient>& known, Time now);

  bool exempt(const IpAddress& client) const;
  const ThrottleSettings& settings() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

/// The key of `client` for the address tier ("192.0.2.7", "2001:db8:1:2::/64") and for the
/// network tier ("192.0.2.0/24", "2001:db8::/48").
std::string address_key(const IpAddress& client, const ThrottleSettings& settings);
std::string network_key(const IpAddress& client, const ThrottleSettings& settings);

}  // namespace postern::policy
