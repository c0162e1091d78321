#pragma once
// The server's state that must survive a restart and that operators read and act on: live
// counters (failed logins, messages sent), hourly sending history, the throttle's known clients,
// the published lockout listing and the clear requests of `postern lockout clear`. A SQLite file
// of its own (data_dir/state.db), apart from the account database: it is written every few
// seconds, holds no secret, and may be deleted to start afresh.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/sqlite.hpp"
#include "base/clock.hpp"
#include "base/result.hpp"
#include "policy/auth_throttle.hpp"
#include "policy/counters.hpp"

namespace postern::auth {

using TimePoint = std::chrono::system_clock::time_point;

/// The state database's name inside data_dir.
inline constexpr std::string_view state_file_name = "state.db";

/// The schema version of the state database this build writes and understands.
inline constexpr std::int64_t state_schema_version = 1;

/// The hour an instant lies in: whole hours since the Unix epoch (the key of the usage history).
std::int64_t hour_of(std::chrono::system_clock::time_point t);

/// Whether `lockout` is one that `postern lockout clear TARGET` removes, with the rules of
/// policy::AuthThrottle::clear: an IP address clears its address entry and the networks that
/// hold it; a network in CIDR form clears that network; an account address clears that
/// account (local part without case). A target that is none of these matches nothing.
bool clear_matches(const policy::Lockout& lockout, std::string_view target);

/// `target` in the form the throttle keys it (canonical IP or CIDR text, an address with its
/// domain lower-cased), or an error when it is none of an IP address, a network in CIDR
/// notation or an account address.
base::Result<std::string> normalize_clear_target(std::string_view target);

/// The state database.
///
/// Use: open() creates the file (mode 0600, WAL) or opens it and checks its schema; then any
/// method may be called. One connection serves every call behind a mutex: the server uses it
/// from one background thread, each CLI process has its own. Several processes may use the file
/// at once (WAL: readers never wait; a writer waits up to five seconds for another). Every
/// save_* replaces what it saves in one transaction, so a reader sees the old or the new set,
/// never half of it.
///
/// Times are stored as whole Unix seconds: a lockout's end is rounded up, other instants down.
class StateStore {
 public:
  /// `clock` stamps clear requests; null: the system clock.
  static base::Result<std::unique_ptr<StateStore>> open(const std::filesystem::path& file,
                                                        const base::Clock* clock = nullptr);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // ---- live counters (policy::Counters::snapshot / restore) ----------------------------------

  /// Replaces every row of `family` (a name of the caller's, e.g. "messages_hour").
  base::Result<void> save_counters(std::string_view family, const std::vector<policy::CounterRow>& rows);
  /// The rows of `family`, by key then bucket; empty for a family never saved.
  base::Result<std::vector<policy::CounterRow>> load_counters(std::string_view family) const;

  // ---- hourly usage history (`postern stats`, alert baselines) --------------------------------

  /// Subjects are the RateLimiter's counter keys: "a:<account>", "c:<account>/<credential>",
  /// "i:<address key>".
  struct UsageDelta {
    std::string subject;
    std::int64_t hour = 0;  ///< hour_of() the events
    std::uint64_t messages = 0, recipients = 0;
  };
  /// Adds each delta to its (subject, hour) row, creating it when needed.
  base::Result<void> add_usage(const std::vector<UsageDelta>& deltas);

  struct UsageTotal {
    std::string subject;
    std::uint64_t messages = 0, recipients = 0;
    friend bool operator==(const UsageTotal&, const UsageTotal&) = default;
  };
  /// Per subject starting with `subject_prefix` (octet for octet), the sums over the hours
  /// >= `since_hour`; ordered by subject. Subjects with no row in those hours are absent.
  base::Result<std::vector<UsageTotal>> usage_since(std::string_view subject_prefix, std::int64_t since_hour) const;
  /// Drops the hours before `before_hour` (the server keeps about 31 days).
  base::Result<void> prune_usage(std::int64_t before_hour);

  // ---- known clients of the throttle -----------------------------------------------------------

  /// Replaces the stored set.
  base::Result<void> save_known_clients(const std::vector<policy::AuthThrottle::KnownClient>& known);
  /// By account, then address.
  base::Result<std::vector<policy::AuthThrottle::KnownClient>> load_known_clients() const;

  // ---- the lockout listing ---------------------------------------------------------------------

  /// Replaces the published listing (the server's AuthThrottle::lockouts()), written at `written`.
  base::Result<void> save_lockouts(const std::vector<policy::Lockout>& lockouts, TimePoint written);
  /// The published listing, in the order it was saved.
  base::Result<std::vector<policy::Lockout>> load_lockouts() const;
  /// When the listing was last saved; nullopt when it never was.
  base::Result<std::optional<TimePoint>> lockouts_written() const;
  /// Deletes the published entries clear_matches(`target`) selects and returns them, so that
  /// the listing is right at once and not only after the server's next save.
  base::Result<std::vector<policy::Lockout>> remove_lockouts(std::string_view target);

  // ---- clear requests --------------------------------------------------------------------------

  /// Queues `target` (normalize_clear_target(), refused when it fails) for the server,
  /// recording who asked.
  base::Result<void> request_clear(std::string_view target, std::string_view actor);
  /// Every queued target in the order requested, deleted in the same transaction.
  base::Result<std::vector<std::string>> take_clear_requests();

 private:
  StateStore(sqlite::Db db, const base::Clock& clock);
  // Needs mutex_.
  base::Result<std::vector<policy::Lockout>> load_lockouts_locked() const;

  mutable std::mutex mutex_;
  mutable sqlite::Db db_;
  const base::Clock& clock_;
};

}  // namespace postern::auth
