#pragma once
// The abuse defences every connection shares (DESIGN §3.7, §3.8, §3.9): the brute-force
// throttle, the connection rate, the sending rate limits, and what they report (JSON events,
// metrics, alerts). The decisions are policy's; this wires them to counters, clock and sinks.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "observe/events.hpp"
#include "observe/metrics.hpp"
#include "policy/auth_throttle.hpp"
#include "policy/counters.hpp"
#include "policy/rate_limit.hpp"
#include "sasl/mechanism.hpp"
#include "server/alert_hook.hpp"
#include "session/session.hpp"
#include "smtp/replies.hpp"

namespace postern::auth {
class AccountStore;
class StateStore;
}  // namespace postern::auth

namespace postern::server {

/// Why a client is refused at connect.
struct ConnectRefusal {
  smtp::ReplyCode reply;
  std::string reason;  ///< for the event and the metric: "address throttled", "connection rate"
};

/// What an AUTH exchange tells the throttle, worked out from its first request.
struct AuthAttemptFacts {
  policy::AuthAttempt attempt;
  std::string login;  ///< as the client gave it, for the event (sanitised there)
};

/// The shared defences. Thread-safe: I/O threads call the connection, AUTH and message hooks;
/// the state thread calls restore/persist/apply_clears/check_volume.
class Defences final : public session::SendPolicy {
 public:
  Defences(const config::Config& config, const policy::LimitOverrides& overrides, observe::EventLog& events,
           observe::Metrics& metrics, AlertHook& hook);
  ~Defences() override;

  // ---- connections ----
  /// At accept, before the connection limiter: a refusal, or nullopt. Counts the connection.
  std::optional<ConnectRefusal> on_connect(const std::string& ip, std::string_view listener, std::uint16_t port,
                                           policy::Time now);
  /// A connection was refused for any reason (lists, limiter, throttle): event and metric.
  void connection_refused(const std::string& ip, std::uint16_t port, std::string_view listener,
                          const smtp::ReplyCode& reply, std::string_view reason, policy::Time now);

  // ---- AUTH ----
  /// The throttle's view of a request (the login it names, a password fingerprint).
  AuthAttemptFacts facts(const std::string& ip, const sasl::Request& request) const;
  policy::ThrottleDecision before_auth(const AuthAttemptFacts& facts, policy::Time now) const;
  /// A 535: counts it; lockouts crossed become events, metrics and alerts.
  void auth_failed(const AuthAttemptFacts& facts, policy::Time now);
  void auth_succeeded(const std::string& ip, std::string_view account, policy::Time now);
  void auth_event(const observe::AuthEvent& event);

  // ---- messages ----
  std::optional<std::string> refuse_message(const session::ClientInfo& client, const session::AuthInfo* identity,
                                            std::chrono::system_clock::time_point now) const override;
  std::optional<std::string> refuse_recipient(const session::ClientInfo& client, const session::AuthInfo* identity,
                                              std::size_t recipients,
                                              std::chrono::system_clock::time_point now) const override;
  /// A message was queued: counts it against the limits and for the usage history.
  void message_accepted(const std::string& ip, const session::AuthInfo* identity, std::uint64_t recipients,
                        policy::Time now);
  void message_event(const observe::MessageEvent& event);

  // ---- the state thread ----
  /// Loads what the last run persisted.
  void restore(auth::StateStore& state, policy::Time now);
  /// Saves counters, known clients, the lockout listing and the usage history gathered since.
  void persist(auth::StateStore& state, policy::Time now);
  /// Applies `postern lockout clear` requests. Returns how many.
  std::size_t apply_clears(auth::StateStore& state);
  /// Compares recent senders' last hour with their usual volume; alerts (and suspends when
  /// configured, through `accounts`).
  void check_volume(auth::StateStore& state, auth::AccountStore& accounts, policy::Time now);

  std::uint64_t queue_depth() const { return queue_depth_.load(std::memory_order_relaxed); }
  void set_queue_depth(std::uint64_t n) { queue_depth_.store(n, std::memory_order_relaxed); }

 private:
  /// Every counter family with its name in the state database.
  struct Family {
    std::string_view name;
    policy::Counters* counters;
  };
  std::vector<Family> families() const;
  void alert(std::string kind, std::string subject, std::string detail, std::string action, policy::Time now);
  bool exempt(const policy::IpAddress& ip) const;

  const config::Config& config_;
  observe::EventLog& events_;
  observe::Metrics& metrics_;
  AlertHook& hook_;
  std::string fingerprint_key_;  // random; password fingerprints cannot be reversed offline
  std::unique_ptr<policy::Counters> address_failures_;
  std::unique_ptr<policy::Counters> network_failures_;
  std::unique_ptr<policy::Counters> account_failures_;
  std::unique_ptr<policy::Counters> connections_;
  std::unique_ptr<policy::Counters> messages_hour_;
  std::unique_ptr<policy::Counters> messages_day_;
  std::unique_ptr<policy::Counters> recipients_hour_;
  std::unique_ptr<policy::Counters> recipients_day_;
  policy::AuthThrottle throttle_;
  policy::RateLimiter limiter_;
  std::atomic<std::uint64_t> queue_depth_{0};

  std::mutex usage_mutex_;
  struct Usage {
    std::uint64_t messages = 0;
    std::uint64_t recipients = 0;
  };
  std::map<std::pair<std::string, std::int64_t>, Usage> usage_;  // (subject, hour) -> delta since persist
  std::set<std::string> active_;                                 // senders seen since the last volume check
  std::map<std::string, policy::Time> volume_alerted_;           // subject -> when, one alert per hour window
};

}  // namespace postern::server
