#pragma once
// The typed configuration (TOML -> Config), validated; errors as `FILE:LINE: what is wrong`.

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "policy/cidr.hpp"
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

struct Config {
  std::filesystem::path file;      ///< the file this came from (absolute)
  std::string hostname;            ///< required
  std::vector<std::string> local_domains;  ///< lower-case; required, at least one
  std::filesystem::path data_dir;  ///< absolute; spool in data_dir/queue, accounts in data_dir/postern.db
  std::vector<Listener> listeners;  ///< at least one
  Tls tls;
  Limits limits;
  unsigned threads = 0;  ///< I/O threads; 0 = one per core
  std::string log_level = "info";
};

/// Reads and validates a configuration file. Relative paths are resolved against the file's
/// directory. On any problem: `FILE:LINE: what is wrong` (LINE of the offending key or table;
/// `FILE: what is wrong` when the problem has no line, e.g. a missing required key).
std::expected<Config, std::string> load_file(const std::filesystem::path& file);
/// The same from text already in memory (`file` is used for messages and relative paths).
std::expected<Config, std::string> load_string(std::string_view text, const std::filesystem::path& file);

/// The dev-mode configuration file text: complete and commented, so an operator can edit it.
/// Listeners on 127.0.0.1:2525 (smtp), :2587 (submission), :2465 (submissions); local domain
/// example.test; certificate tls/cert.pem + tls/key.pem; data_dir ".".
std::string dev_config_text();

}  // namespace postern::config
