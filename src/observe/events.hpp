#pragma once
// Structured events (DESIGN §3.9): one JSON object per line for every AUTH attempt, every
// message accepted or refused, every refused connection, lockout and alert. Secrets never
// appear; every string a client chose (names, addresses, EHLO) is sanitised first.
//
// Each line starts {"time":"<RFC 3339 UTC, milliseconds>","event":"<kind>", followed by the
// fields of that kind in the order documented below; keys are fixed, so a fail2ban filter or a
// jq script can rely on them (packaging/fail2ban).

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace postern::observe {

using Time = std::chrono::system_clock::time_point;

/// "auth": one AUTH exchange that ended (or was refused before it began, e.g. throttled).
/// Order: result, client_ip, client_port, listener, tls_version, tls_cipher, mechanism, login,
/// account, credential, reason, reply, duration_ms.
struct AuthEvent {
  Time time;
  std::string result;  ///< "ok", "failed" (535), "temporary" (454), "throttled" (454 by the throttle), "aborted"
  std::string client_ip;
  std::uint16_t client_port = 0;
  std::string listener;
  std::string tls_version;  ///< "" when in clear text
  std::string tls_cipher;
  std::string mechanism;
  std::string login;       ///< the name the client gave (sanitised), "" when none
  std::string account;     ///< the account it resolved to, "" when none
  std::string credential;  ///< "password", an app password's name, "oauth", "certificate"; "" when none
  std::string reason;      ///< "wrong password", "unknown account", "address throttled", ...
  std::string reply;       ///< "235 2.7.0", "535 5.7.8", ...
  std::int64_t duration_ms = 0;
};

/// "message": one transaction accepted (queued) or refused.
/// Order: result, client_ip, client_port, listener, queue_id, account, credential, sender,
/// recipients, size, reply, reason.
struct MessageEvent {
  Time time;
  std::string result;  ///< "accepted" or "refused"
  std::string client_ip;
  std::uint16_t client_port = 0;
  std::string listener;
  std::string queue_id;  ///< with accepted
  std::string account;   ///< "" when not authenticated
  std::string credential;
  std::string sender;  ///< "" for the null sender
  std::uint64_t recipients = 0;
  std::uint64_t size = 0;
  std::string reply;
  std::string reason;  ///< with refused
};

/// "connection_refused": refused at connect. Order: client_ip, client_port, listener, reply, reason.
struct ConnectionRefusedEvent {
  Time time;
  std::string client_ip;
  std::uint16_t client_port = 0;
  std::string listener;
  std::string reply;   ///< "421 4.7.0", "554 5.7.1"
  std::string reason;  ///< "denied network", "address throttled", "connection rate", "too many connections", ...
};

/// "lockout": a throttle limit was crossed. Order: scope, key, failures, until, slowed_only.
struct LockoutEvent {
  Time time;
  std::string scope;  ///< "address", "network", "account"
  std::string key;
  std::uint64_t failures = 0;
  Time until;
  bool slowed_only = false;
};

/// "alert": something an operator should look at. Order: kind, subject, detail, action.
struct AlertEvent {
  Time time;
  std::string kind;     ///< "auth_failure_burst", "account_under_attack", "volume_anomaly", "lockout"
  std::string subject;  ///< an address, network, account or "credential NAME of ACCOUNT"
  std::string detail;   ///< human words
  std::string action;   ///< "" or "credential suspended"
};

/// The JSON line (without the newline) of each event. Pure.
std::string to_json(const AuthEvent& e);
std::string to_json(const MessageEvent& e);
std::string to_json(const ConnectionRefusedEvent& e);
std::string to_json(const LockoutEvent& e);
std::string to_json(const AlertEvent& e);

/// A client-chosen string made safe for the log: invalid UTF-8 and control characters become
/// U+FFFD, and it is cut to `max` octets at a character boundary (with "…" appended when cut).
std::string sanitise(std::string_view text, std::size_t max = 256);

/// Where the lines go. Thread-safe; each line is written with one write(2) so lines from
/// different threads never interleave.
///
/// Use: open(); write() from any thread; reopen() after logrotate (SIGHUP).
class EventLog {
 public:
  /// "stderr", "off", or a file path (created 0640 when missing, appended to).
  static base::Result<std::unique_ptr<EventLog>> open(std::string_view destination);
  ~EventLog();
  void write(std::string_view json_line);
  base::Result<void> reopen();
  bool enabled() const;

 private:
  EventLog() = default;
  std::mutex mutex_;
  std::string path_;  // empty for stderr/off
  int fd_ = -1;
  bool off_ = false;
  bool own_fd_ = false;
};

}  // namespace postern::observe
