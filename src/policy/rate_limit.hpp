#pragma once
// Sending rate limits (DESIGN §3.8): messages and recipients per hour and per day, per account,
// per credential and per client address. Pure decisions with `now` passed in; the usage lives
// behind policy::Counters (which a restart restores from disk).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/cidr.hpp"
#include "policy/counters.hpp"

namespace postern::policy {

/// Limits of one subject; nullopt = no limit of that kind.
struct SendLimits {
  std::optional<std::uint64_t> messages_per_hour;
  std::optional<std::uint64_t> messages_per_day;
  std::optional<std::uint64_t> recipients_per_hour;
  std::optional<std::uint64_t> recipients_per_day;
  friend bool operator==(const SendLimits&, const SendLimits&) = default;
};

/// An operator's override for one account or one of its credentials (`postern user limits`).
/// Set fields replace the default's; `unlimited` lifts every limit (service accounts, only by
/// explicit choice).
struct LimitOverride {
  SendLimits limits;
  bool unlimited = false;
  friend bool operator==(const LimitOverride&, const LimitOverride&) = default;
};

/// Where overrides come from (the account store, cached by the caller). Must not block.
class LimitOverrides {
 public:
  virtual ~LimitOverrides() = default;
  /// `credential` empty: the account's own override.
  virtual std::optional<LimitOverride> find(std::string_view account, std::string_view credential) const = 0;
};

struct RateLimitSettings {
  SendLimits account{100, 1000, 500, 2000};
  /// Per credential (app password): none by default, the account's limits bound it.
  SendLimits credential{};
  SendLimits address{1000, 10000, 5000, 50000};  ///< per client address (IPv6 /64)
  bool exempt_loopback = true;                   ///< from the per-address limits only
  std::vector<Cidr> exempt_networks;             ///< from the per-address limits only
};

/// Who is sending: the client, and the identity when authenticated.
struct Sender {
  IpAddress client;
  std::string account;     ///< empty: not authenticated
  std::string credential;  ///< with account
};

/// A limit that refuses, with what the reply says.
struct RateRefusal {
  std::string subject;  ///< "account alice@example.com", "credential phone of alice@example.com", "address 192.0.2.7"
  std::string limit;    ///< "messages per hour", "recipients per day", ...
  std::uint64_t value = 0;  ///< the limit
  Time resets;              ///< when one more fits
  std::string scope;        ///< the kind of subject, for metrics: "account", "credential" or "address"
  /// The reply text, e.g. "Message rate limit exceeded: 100 messages per hour for account
  /// alice@example.com; try again after 2026-11-21T14:03:00Z".
  std::string text() const;
  friend bool operator==(const RateRefusal&, const RateRefusal&) = default;
};

/// The counters a RateLimiter keeps: one family per window and kind.
struct RateCounters {
  Counters& messages_hour;
  Counters& messages_day;
  Counters& recipients_hour;
  Counters& recipients_day;
};

/// Rate limits. Thread-safe.
///
/// Use: check_message() at MAIL (451 4.7.1 on a refusal); check_recipients() at each RCPT
/// with the count the transaction would then have (452 4.5.3); record() once a message is
/// queued, with its recipient count.
class RateLimiter {
 public:
  RateLimiter(RateLimitSettings settings, RateCounters counters, const LimitOverrides& overrides);

  /// The subjects are the account and the credential (when authenticated) and the client
  /// address (unless exempt), checked in that order, each per hour before per day; the first
  /// limit that one more message would exceed refuses, `resets` when it would fit again.
  std::optional<RateRefusal> check_message(const Sender& sender, Time now) const;
  /// The same for recipients: refuses when the window's recipients plus `recipients` (the count
  /// the transaction would have) exceed a limit.
  std::optional<RateRefusal> check_recipients(const Sender& sender, std::uint64_t recipients, Time now) const;
  /// Counts one message and `recipients` recipients for every subject (unlimited ones too, for
  /// statistics; exempt addresses not). Returns the counter keys it counted under, in the order
  /// account, credential, address.
  std::vector<std::string> record(const Sender& sender, std::uint64_t recipients, Time now);

  /// The limits that apply to the account (`credential` empty) or credential: the default
  /// (settings.account or settings.credential), with the fields its override sets replaced.
  /// nullopt = unlimited. An account's override does not touch its credentials' limits.
  std::optional<SendLimits> effective(std::string_view account, std::string_view credential) const;

  /// How replies and alerts name the subject of a counter key: "account alice@example.com",
  /// "credential phone of alice@example.com", "address 192.0.2.7".
  static std::string subject_name(std::string_view key);
  /// Counter keys: "a:<account>", "c:<account>/<credential>", "i:<address key>".
  static std::string account_key(std::string_view account);
  static std::string credential_key(std::string_view account, std::string_view credential);
  std::string address_key(const IpAddress& client) const;

 private:
  RateLimitSettings settings_;
  RateCounters counters_;
  const LimitOverrides& overrides_;
};

}  // namespace postern::policy
