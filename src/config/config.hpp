#pragma once
// The typed configuration (TOML -> Config), validated; errors as `FILE:LINE: what is wrong`.

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "policy/alerts.hpp"
#include "policy/auth_throttle.hpp"
#include "policy/cidr.hpp"
#include "policy/rate_limit.hpp"
#include "session/session.hpp"

namespace postern::config {

using session::ListenerKind;

/// One `[[listener]]`.
struct Listener {
  std::string name;  ///< unique; defaults to the kind's name
  ListenerKind kind = ListenerKind::smtp;
  std::string address;  ///< IP literal to bind, e.g. "127.0.0.1", "::", "0.0.0.0"
  std::uint16_t port = 0;
  bool require_tls = false;   ///< default: true for submission/submissions, false for smtp
  bool require_auth = false;  ///< default: true for submission/submissions, false for smtp
  std::vector<policy::Cidr> trusted_networks;  ///< may relay without AUTH; default none
  /// Checked at connect (policy::connection_allowed): non-empty = only these clients; default
  /// empty = everyone.
  std::vector<policy::Cidr> allow_networks;
  std::vector<policy::Cidr> deny_networks;  ///< refused at connect, even when also allowed; default none
  /// SASL mechanisms offered here, strongest first; empty = the defaults (every enabled
  /// mechanism). Names as registered, e.g. "SCRAM-SHA-256-PLUS", "PLAIN".
  std::vector<std::string> auth_mechanisms;
  /// DESIGN §3.1: AUTH before TLS, and PLAIN/LOGIN in clear text, only with this explicit,
  /// loudly named opt-in (`insecure_auth_without_tls = true`). Default false.
  bool insecure_auth_without_tls = false;
  /// Ask for a TLS client certificate (for SASL EXTERNAL). Default false.
  bool request_client_certificate = false;
  int line = 0;  ///< where it was declared, for later messages
};

/// One `[[tls.certificate]]`: a chain and its key. SNI picks the certificate whose names match;
/// the first is the default.
struct Certificate {
  std::filesystem::path cert_file;  ///< PEM chain (absolute after loading)
  std::filesystem::path key_file;   ///< PEM private key (absolute after loading)
};

struct Tls {
  std::vector<Certificate> certificates;
  std::string min_version = "TLSv1.2";  ///< "TLSv1.2" or "TLSv1.3"
};

struct Limits {
  session::Limits session;
  std::chrono::seconds idle_timeout{300};    ///< no byte from the client for this long: 421 4.4.2 (RFC 5321 §4.5.3.2.7)
  std::chrono::seconds command_timeout{300};  ///< one command line (or DATA block) takes longer: 421 4.4.2
  std::size_t max_connections = 20000;        ///< in total, then 421 4.7.0 at connect
  std::size_t max_connections_per_ip = 50;    ///< per client address, then 421 4.7.0 at connect
};

/// `[auth]`: how passwords and verifiers are handled.
struct Auth {
  bool cram_md5 = false;  ///< offer CRAM-MD5 at all (per account it also needs enabling)
  std::uint32_t scram_iterations = 4096;  ///< for new SCRAM verifiers (RFC 7677 §4: at least 4096)
  std::chrono::seconds cache_ttl{60};     ///< verified-credential cache; 0 disables it
  std::chrono::seconds failure_delay{2};  ///< before every 535 (unknown user or wrong password alike)
  std::filesystem::path client_ca;        ///< CA bundle for client certificates (EXTERNAL); empty: none
};

/// `[oauth]`: bearer tokens (JWTs) for OAUTHBEARER and XOAUTH2. Absent = token mechanisms off.
struct OAuth {
  bool enabled = false;
  std::string issuer;    ///< required "iss"
  std::string audience;  ///< required "aud" (one of, when the token has a list)
  std::vector<std::filesystem::path> public_keys;  ///< PEM public keys (RS256, ES256, EdDSA)
  std::filesystem::path jwks_file;                 ///< or/and a JWKS JSON file
  std::string account_claim = "email";             ///< claim naming the account
  std::chrono::seconds leeway{60};                 ///< for exp/nbf/iat
};

/// `[abuse]`: brute-force throttling across connections, connection rate, alerts.
/// Keys: exempt_loopback, exempt_networks, address_failures, address_window, network_failures,
/// network_window, network_prefix_v4, network_prefix_v6, account_slow_failures,
/// account_protect_failures, account_window, slow_delay, known_client_ttl,
/// connections_per_minute, alert_hook, alert_hook_timeout, anomaly_factor,
/// anomaly_min_messages, suspend_on_anomaly. (The same exemptions apply to the address rate
/// limits and the connection rate.)
struct Abuse {
  policy::ThrottleSettings throttle;
  /// New connections per client address (IPv6 /64) per minute, then 421 4.7.0 at connect; 0: off.
  std::uint64_t connections_per_minute = 60;
  policy::AnomalySettings anomaly;
  /// Run for every alert with the alert's JSON on stdin (argv split on spaces, no shell); empty: none.
  std::string alert_hook;
  std::chrono::seconds alert_hook_timeout{10};
};

/// `[rate_limits]` with `[rate_limits.account]`, `[rate_limits.credential]` and
/// `[rate_limits.address]`, each with messages_per_hour, messages_per_day, recipients_per_hour,
/// recipients_per_day (0 = no limit of that kind). `hour_window`/`day_window` change the length
/// of the two windows (for tests; default 1h and 24h).
struct RateLimits {
  policy::RateLimitSettings settings;
  std::chrono::seconds hour_window = std::chrono::hours(1);
  std::chrono::seconds day_window = std::chrono::hours(24);
};

/// `[metrics]`: the Prometheus endpoint. `listen = "127.0.0.1:9580"` by default; "" turns it off.
struct Metrics {
  std::string address = "127.0.0.1";  ///< empty: no endpoint
  std::uint16_t port = 9580;
};

struct Config {
  std::filesystem::path file;      ///< the file this came from (absolute)
  std::string hostname;            ///< required
  std::vector<std::string> local_domains;  ///< lower-case; required, at least one
  std::filesystem::path data_dir;  ///< absolute; spool in data_dir/queue, accounts in data_dir/postern.db
  std::vector<Listener> listeners;  ///< at least one
  Tls tls;
  Limits limits;
  Auth auth;
  OAuth oauth;
  Abuse abuse;
  RateLimits rate_limits;
  Metrics metrics;
  unsigned threads = 0;  ///< I/O threads; 0 = one per core
  std::string log_level = "info";
  /// Where the JSON events go (one per AUTH attempt, message, lockout, alert): "stderr"
  /// (default), "off", or a file path (absolute after loading; appended, reopened on SIGHUP).
  std::string event_log = "stderr";
};

/// Reads and validates a configuration file. Relative paths are resolved against the file's
/// directory. On any problem: `FILE:LINE: what is wrong` (LINE of the offending key or table;
/// `FILE: what is wrong` when the problem has no line, e.g. a missing required key).
std::expected<Config, std::string> load_file(const std::filesystem::path& file);
/// The same from text already in memory (`file` is used for messages and relative paths).
std::expected<Config, std::string> load_string(std::string_view text, const std::filesystem::path& file);

/// The SASL mechanisms `listener` offers once TLS is up, strongest first: its
/// `auth_mechanisms`, or by default every mechanism Postern has, less CRAM-MD5 unless
/// `[auth] cram_md5`, less OAUTHBEARER/XOAUTH2 without `[oauth]` and less EXTERNAL unless the
/// listener has `request_client_certificate`. What the session then
/// advertises depends on the connection (TLS, channel bindings): see session::AuthSettings.
std::vector<std::string> offered_mechanisms(const Config& config, const Listener& listener);

/// The dev-mode configuration file text: complete and commented, so an operator can edit it.
/// Listeners on 127.0.0.1:2525 (smtp), :2587 (submission), :2465 (submissions); local domain
/// example.test; certificate tls/cert.pem + tls/key.pem; data_dir ".".
std::string dev_config_text();

}  // namespace postern::config
