// TOML -> config::Config: reads every table, checks every value, and answers either a complete
// Config or all the problems found, each as `FILE:LINE: what is wrong`.

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/strings.hpp"
#include "config/abuse_sections.hpp"
#include "config/auth_sections.hpp"
#include "config/config.hpp"
#include "config/reader.hpp"
#include "config/syntax.hpp"

namespace postern::config {

namespace {

using detail::Diagnostics;
using detail::read_networks;
using detail::Section;
using namespace std::chrono_literals;

constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t GiB = 1024 * 1024 * 1024;

using detail::resolve;
using detail::unreadable;

std::string not_a_domain(std::string_view key, std::string_view value) {
  bool non_ascii = std::ranges::any_of(value, [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  return detail::message("\"{}\": \"{}\" is not a domain name{}", key, value,
                         non_ascii ? " (write internationalised names as A-labels, \"xn--...\")" : "");
}

// ---- top level ----------------------------------------------------------------------------

void read_local_domains(const Section& top, Config& config) {
  auto domains = top.strings("local_domains");
  if (!domains) return;
  if (domains->empty()) {
    top.error(top.line_of("local_domains"), "\"local_domains\" must list at least one domain");
    return;
  }
  for (const auto& domain : *domains) {
    // Domains compare case-insensitively (RFC 5321 §2.4); keep one spelling.
    std::string lower = base::to_lower(domain.value);
    if (!is_domain_name(lower)) {
      top.error(domain.line, not_a_domain("local_domains", domain.value));
    } else if (std::ranges::find(config.local_domains, lower) != config.local_domains.end()) {
      top.error(domain.line, detail::message("\"local_domains\": \"{}\" is listed twice", lower));
    } else {
      config.local_domains.push_back(std::move(lower));
    }
  }
}

void read_top(const Section& top, const std::filesystem::path& base, Config& config) {
  if (top.require("hostname")) {
    if (auto hostname = top.string("hostname")) {
      if (is_domain_name(*hostname)) {
        config.hostname = *hostname;
      } else {
        top.error(top.line_of("hostname"), not_a_domain("hostname", *hostname));
      }
    }
  }
  if (top.require("local_domains")) read_local_domains(top, config);
  if (top.require("data_dir")) {
    if (auto dir = top.string("data_dir")) {
      if (dir->empty()) {
        top.error(top.line_of("data_dir"), "\"data_dir\" must not be empty");
      } else {
        config.data_dir = resolve(base, *dir);
      }
    }
  }
  if (auto threads = top.integer("threads", 0, 1024)) config.threads = static_cast<unsigned>(*threads);
  if (auto level = top.string("log_level")) {
    static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error"};
    if (std::ranges::find(kLevels, *level) != std::end(kLevels)) {
      config.log_level = *level;
    } else {
      top.error(top.line_of("log_level"),
                detail::message("\"log_level\" must be one of trace, debug, info, warn, error, not \"{}\"", *level));
    }
  }
  detail::read_event_log(top, base, config);
}

// ---- [limits] -----------------------------------------------------------------------------

void read_limits(const Section& s, Limits& limits) {
  auto& session = limits.session;
  // RFC 5321 §4.5.3.1.7: a server must accept messages of at least 64K octets.
  if (auto v = s.size("max_message_size", 64 * KiB, 4 * GiB)) session.max_message_size = *v;
  // RFC 5321 §4.5.3.1.8 asks servers to buffer 100 recipients; fewer is a local policy that
  // answers 452 to the rest, which clients handle.
  if (auto v = s.integer("max_recipients", 1, 100'000)) session.max_recipients = static_cast<std::size_t>(*v);
  if (auto v = s.integer("max_errors", 1, 1000)) session.max_errors = static_cast<std::size_t>(*v);
  if (auto v = s.integer("max_commands", 10, 10'000'000)) session.max_commands = static_cast<std::size_t>(*v);
  // RFC 5321 §4.5.3.1.4: a command line is at least 512 octets including CRLF.
  if (auto v = s.integer("command_line_max", 512, 65536)) session.command_line_max = static_cast<std::size_t>(*v);
  if (auto v = s.duration("idle_timeout", 1s, 24h)) limits.idle_timeout = *v;
  if (auto v = s.duration("command_timeout", 1s, 24h)) limits.command_timeout = *v;
  auto total = s.integer("max_connections", 1, 1'000'000);
  if (total) limits.max_connections = static_cast<std::size_t>(*total);
  auto per_ip = s.integer("max_connections_per_ip", 1, 1'000'000);
  if (per_ip) limits.max_connections_per_ip = static_cast<std::size_t>(*per_ip);
  if ((total || per_ip) && limits.max_connections_per_ip > limits.max_connections) {
    auto key = per_ip ? "max_connections_per_ip" : "max_connections";
    s.error(s.line_of(key), detail::message("\"max_connections_per_ip\" ({}) must not exceed \"max_connections\" ({})",
                                            limits.max_connections_per_ip, limits.max_connections));
  }
}

// ---- [tls] --------------------------------------------------------------------------------

std::optional<std::filesystem::path> read_pem_path(const Section& s, std::string_view key,
                                                   const std::filesystem::path& base) {
  if (!s.require(key)) return std::nullopt;
  auto written = s.string(key);
  if (!written) return std::nullopt;
  if (written->empty()) {
    s.error(s.line_of(key), detail::message("\"{}\" must not be empty", key));
    return std::nullopt;
  }
  auto path = resolve(base, *written);
  if (auto why = unreadable(path)) {
    s.error(s.line_of(key), detail::message("cannot read \"{}\" file {}: {}", key, path.string(), *why));
    return std::nullopt;
  }
  return path;
}

// Returns how many [[tls.certificate]] tables were written, valid or not, so a broken one is
// reported once rather than again as "no certificate" on every listener that needs TLS.
std::size_t read_tls(const Section& s, const std::filesystem::path& base, Diagnostics& diagnostics, Tls& tls) {
  if (auto version = s.string("min_version")) {
    if (*version == "TLSv1.2" || *version == "TLSv1.3") {
      tls.min_version = *version;
    } else {
      s.error(s.line_of("min_version"),
              detail::message("\"min_version\" must be TLSv1.2 or TLSv1.3, not \"{}\"", *version));
    }
  }
  const auto* certificates = s.tables("certificate", "tls.certificate");
  if (certificates == nullptr) return s.has("certificate") ? 1 : 0;
  for (std::size_t i = 0; i < certificates->size(); ++i) {
    const auto& table = *certificates->get(i)->as_table();
    Section c(table, detail::message("tls.certificate #{}", i + 1), detail::line_of(table), diagnostics,
              {"cert", "key"});
    auto cert = read_pem_path(c, "cert", base);
    auto key = read_pem_path(c, "key", base);
    if (cert && key) tls.certificates.push_back({*cert, *key});
  }
  return certificates->size();
}

// ---- [[listener]] -------------------------------------------------------------------------

std::optional<ListenerKind> kind_from(std::string_view text) {
  if (text == "smtp") return ListenerKind::smtp;
  if (text == "submission") return ListenerKind::submission;
  if (text == "submissions") return ListenerKind::submissions;
  return std::nullopt;
}

/// A listener as read, with what the checks across listeners need to know.
struct ListenerEntry {
  Listener listener;
  bool complete = false;             // every key of its own was valid
  bool require_tls_written = false;  // false: require_tls is the kind's default
  std::optional<ListenAddress> address;
  std::uint32_t name_line = 0;
  std::uint32_t kind_line = 0;
  std::uint32_t address_line = 0;
  std::uint32_t require_tls_line = 0;
  detail::ListenerAuthLines auth_lines;
};

// The label must exist before the table is read (its unknown keys are reported at once), so it
// comes from a first look at `name` and `kind`.
std::string listener_label(const toml::table& table, std::size_t index) {
  if (auto name = table["name"].value<std::string>()) return detail::message("listener \"{}\"", *name);
  if (auto kind = table["kind"].value<std::string>(); kind && kind_from(*kind)) {
    return detail::message("listener \"{}\"", *kind);
  }
  return detail::message("listener #{}", index + 1);
}

bool valid_listener_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

bool read_listener_networks(const Section& s, Listener& listener) {
  // Each list is read even after one fails, so every bad entry is reported.
  bool trusted_ok = read_networks(s, "trusted_networks", listener.trusted_networks);
  bool allow_ok = read_networks(s, "allow_networks", listener.allow_networks);
  bool deny_ok = read_networks(s, "deny_networks", listener.deny_networks);
  return trusted_ok && allow_ok && deny_ok;
}

// `kind` sets the defaults of the rest, so it is read first. Returns whether it is valid.
bool read_kind(const Section& s, ListenerEntry& entry) {
  if (!s.require("kind")) return false;
  auto text = s.string("kind");
  if (!text) return false;
  auto kind = kind_from(*text);
  if (!kind) {
    s.error(entry.kind_line, detail::message("\"kind\" must be smtp, submission or submissions, not \"{}\"", *text));
    return false;
  }
  entry.listener.kind = *kind;
  entry.listener.name = *text;
  return true;
}

bool read_address(const Section& s, ListenerEntry& entry) {
  if (!s.require("address")) return false;
  auto text = s.string("address");
  if (!text) return false;
  auto parsed = parse_listen_address(*text);
  if (!parsed) {
    s.error(entry.address_line,
            parsed.error() == ListenAddressError::bad_port
                ? detail::message("\"address\": the port of \"{}\" must be between 1 and 65535", *text)
                : detail::message(
                      "\"address\" must be IP:PORT or [IPv6]:PORT such as 0.0.0.0:25 or [::]:25, not \"{}\"", *text));
    return false;
  }
  entry.listener.address = parsed->ip;
  entry.listener.port = parsed->port;
  entry.address = *parsed;
  return true;
}

bool read_name(const Section& s, ListenerEntry& entry) {
  if (!s.has("name")) return true;  // the kind's name, set by read_kind
  auto name = s.string("name");
  if (!name) return false;
  if (!valid_listener_name(*name)) {
    s.error(entry.name_line,
            detail::message("\"name\" must be 1 to 64 letters, digits, '.', '_' or '-', not \"{}\"", *name));
    return false;
  }
  entry.listener.name = *name;
  return true;
}

bool read_requirements(const Section& s, bool kind_known, ListenerEntry& entry) {
  Listener& l = entry.listener;
  // RFC 6409 §4.3: a submission server requires authentication by default; RFC 8314 §3: and
  // TLS. Port 25 must take mail from strangers, in clear text if need be.
  bool submission_like = kind_known && l.kind != ListenerKind::smtp;
  auto require_tls = s.boolean("require_tls");
  auto require_auth = s.boolean("require_auth");
  entry.require_tls_written = require_tls.has_value();
  l.require_tls = require_tls.value_or(submission_like);
  l.require_auth = require_auth.value_or(submission_like);
  if (kind_known && l.kind == ListenerKind::submissions && require_tls == false) {
    s.error(entry.require_tls_line, "\"require_tls\" cannot be false: kind submissions is TLS from the first byte");
    return false;
  }
  return require_tls.has_value() == s.has("require_tls") && require_auth.has_value() == s.has("require_auth");
}

ListenerEntry read_listener(const toml::table& table, std::size_t index, Diagnostics& diagnostics) {
  Section s(table, listener_label(table, index), detail::line_of(table), diagnostics,
            {"kind", "address", "name", "require_tls", "require_auth", "trusted_networks", "allow_networks",
             "deny_networks", detail::listener_auth_keys[0], detail::listener_auth_keys[1], detail::listener_auth_keys[2]});
  ListenerEntry entry;
  entry.listener.line = s.line();
  entry.name_line = s.line_of("name");
  entry.kind_line = s.line_of("kind");
  entry.address_line = s.line_of("address");
  entry.require_tls_line = s.line_of("require_tls");
  // Every part is read (and reported) even after one fails.
  bool kind_ok = read_kind(s, entry);
  bool address_ok = read_address(s, entry);
  bool name_ok = read_name(s, entry);
  bool requirements_ok = read_requirements(s, kind_ok, entry);
  bool networks_ok = read_listener_networks(s, entry.listener);
  bool auth_ok = read_listener_auth(s, entry.listener, entry.auth_lines);
  entry.complete = kind_ok && address_ok && name_ok && requirements_ok && networks_ok && auth_ok;
  return entry;
}

std::string to_text(const ListenAddress& address) {
  bool v6 = address.ip.find(':') != std::string::npos;
  return detail::message(v6 ? "[{}]:{}" : "{}:{}", address.ip, address.port);
}

// Checks that need all listeners at once: unique names, unique addresses, and a certificate
// for every listener that cannot work without one.
void check_listeners(const std::vector<ListenerEntry>& entries, std::size_t certificates_written,
                     Diagnostics& diagnostics) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (!e.complete) continue;
    auto label = detail::message("listener \"{}\"", e.listener.name);
    for (std::size_t j = 0; j < i; ++j) {
      const auto& earlier = entries[j];
      if (!earlier.complete) continue;
      if (earlier.listener.name == e.listener.name) {
        diagnostics.error(e.name_line, detail::message("{}: the name is already used by the listener on line {}; give "
                                                       "each listener a distinct \"name\"",
                                                       label, earlier.listener.line));
      }
      if (earlier.address->address == e.address->address && earlier.address->port == e.address->port) {
        diagnostics.error(e.address_line,
                          detail::message("{}: address {} is already used by listener \"{}\" (line {})", label,
                                          to_text(*e.address), earlier.listener.name, earlier.listener.line));
      }
    }
    if (certificates_written != 0) continue;
    if (e.listener.kind == ListenerKind::submissions) {
      diagnostics.error(e.kind_line,
                        detail::message("{}: kind submissions (implicit TLS) needs a [[tls.certificate]]", label));
    } else if (e.listener.require_tls && e.require_tls_written) {
      diagnostics.error(e.require_tls_line, detail::message("{}: \"require_tls\" needs a [[tls.certificate]]", label));
    } else if (e.listener.require_tls) {
      diagnostics.error(e.kind_line, detail::message("{}: needs a [[tls.certificate]]: kind submission requires TLS "
                                                     "unless it says require_tls = false",
                                                     label));
    }
  }
}

void read_listeners(const Section& top, std::size_t certificates_written, Diagnostics& diagnostics, Config& config) {
  const auto* tables = top.tables("listener", "listener");
  if (tables == nullptr) {
    if (!top.has("listener")) diagnostics.error(0, "at least one [[listener]] is required");
    return;
  }
  if (tables->empty()) {
    top.error(top.line_of("listener"), "at least one [[listener]] is required");
    return;
  }
  std::vector<ListenerEntry> entries;
  for (std::size_t i = 0; i < tables->size(); ++i) {
    entries.push_back(read_listener(*tables->get(i)->as_table(), i, diagnostics));
  }
  check_listeners(entries, certificates_written, diagnostics);
  for (const auto& e : entries) {
    if (e.complete) check_listener_auth(e.listener, e.auth_lines, config, diagnostics);
  }
  for (auto& e : entries) config.listeners.push_back(std::move(e.listener));
}

}  // namespace

std::expected<Config, std::string> load_string(std::string_view text, const std::filesystem::path& file) {
  const std::string shown = file.string();
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(shown));
  } catch (const toml::parse_error& e) {
    return std::unexpected(detail::message("{}:{}: invalid TOML: {}", shown, e.source().begin.line, e.description()));
  }

  Config config;
  std::error_code ec;
  config.file = std::filesystem::absolute(file, ec).lexically_normal();
  if (ec) config.file = file;
  const auto base = config.file.parent_path();

  Diagnostics diagnostics(shown);
  Section top(root, "", 0, diagnostics,
              {"hostname", "local_domains", "data_dir", "threads", "log_level", "event_log", "limits", "tls", "auth",
               "oauth", "abuse", "rate_limits", "metrics", "listener"});
  read_top(top, base, config);
  if (const auto* limits = top.table("limits", "limits")) {
    read_limits(Section(*limits, "limits", detail::line_of(*limits), diagnostics,
                        {"max_message_size", "max_recipients", "max_errors", "max_commands", "command_line_max",
                         "idle_timeout", "command_timeout", "max_connections", "max_connections_per_ip"}),
                config.limits);
  }
  std::size_t certificates_written = 0;
  if (const auto* tls = top.table("tls", "tls")) {
    certificates_written =
        read_tls(Section(*tls, "tls", detail::line_of(*tls), diagnostics, {"min_version", "certificate"}), base,
                 diagnostics, config.tls);
  } else if (top.has("tls")) {
    certificates_written = 1;  // reported as a wrong type already
  }
  // Before the listeners: their mechanism lists are checked against what these enable.
  if (const auto* auth = top.table("auth", "auth")) {
    read_auth(Section(*auth, "auth", detail::line_of(*auth), diagnostics,
                      {"cram_md5", "scram_iterations", "cache_ttl", "failure_delay", "client_ca"}),
              base, config.auth);
  }
  if (const auto* oauth = top.table("oauth", "oauth")) {
    read_oauth(Section(*oauth, "oauth", detail::line_of(*oauth), diagnostics,
                       {"issuer", "audience", "public_keys", "jwks_file", "account_claim", "leeway"}),
               base, config.oauth);
  }
  if (const auto* abuse = top.table("abuse", "abuse")) {
    detail::read_abuse(
        Section(*abuse, "abuse", detail::line_of(*abuse), diagnostics,
                {"exempt_loopback",    "exempt_networks",       "address_failures",         "address_window",
                 "network_failures",   "network_window",        "network_prefix_v4",        "network_prefix_v6",
                 "address_prefix_v6",  "account_slow_failures", "account_protect_failures", "account_window",
                 "slow_delay",         "known_client_ttl",      "connections_per_minute",   "alert_hook",
                 "alert_hook_timeout", "anomaly_factor",        "anomaly_min_messages",     "suspend_on_anomaly"}),
        base, config.abuse);
  }
  detail::copy_exemptions(config.abuse, config.rate_limits);
  if (const auto* limits = top.table("rate_limits", "rate_limits")) {
    detail::read_rate_limits(Section(*limits, "rate_limits", detail::line_of(*limits), diagnostics,
                                     {"hour_window", "day_window", "account", "credential", "address"}),
                             diagnostics, config.rate_limits);
  }
  std::optional<std::uint32_t> metrics_listen_line = 0;
  if (const auto* metrics = top.table("metrics", "metrics")) {
    metrics_listen_line = detail::read_metrics(
        Section(*metrics, "metrics", detail::line_of(*metrics), diagnostics, {"listen"}), config.metrics);
  }
  read_listeners(top, certificates_written, diagnostics, config);
  if (metrics_listen_line) detail::check_metrics(config, *metrics_listen_line, diagnostics);

  if (!diagnostics.empty()) return std::unexpected(diagnostics.render());
  return config;
}

std::expected<Config, std::string> load_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    return std::unexpected(detail::message("{}: is a directory", file.string()));
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::unexpected(detail::message("{}: cannot read: {}", file.string(), std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::unexpected(detail::message("{}: cannot read: {}", file.string(), std::strerror(errno)));
  return load_string(text.view(), file);
}

}  // namespace postern::config
