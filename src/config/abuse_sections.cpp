// `[abuse]`, `[rate_limits]`, `[metrics]`, `event_log`, and the CIDR lists.
// The numbers' reasons: docs/security.md.

#include "config/abuse_sections.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "config/syntax.hpp"
#include "config/units.hpp"

namespace postern::config::detail {

namespace {

using namespace std::chrono_literals;

// Any count above this is a typo, not a policy.
constexpr std::int64_t kMaxCount = 1'000'000'000;

// Cidr::parse refuses both nonsense and a network with host bits set ("10.0.0.1/8"); the second
// is a common slip worth naming. The prefix rule mirrors Cidr::parse's.
bool has_host_bits(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || !policy::IpAddress::parse(text.substr(0, slash))) return false;
  auto prefix = text.substr(slash + 1);
  if (prefix.empty() || prefix.size() > 3 || (prefix.size() > 1 && prefix.front() == '0')) return false;
  unsigned bits = 0;
  for (char c : prefix) {
    if (c < '0' || c > '9') return false;
    bits = bits * 10 + static_cast<unsigned>(c - '0');
  }
  bool v6 = text.substr(0, slash).find(':') != std::string_view::npos;
  return bits <= (v6 ? 128u : 32u);
}

// ---- [abuse] ------------------------------------------------------------------------------

// `limit_key` counts failures over `window_key`; 0 failures turns the tier off, and a window is
// never 0 (a limit over no time would trip on nothing or on everything).
void read_tier(const Section& s, std::string_view limit_key, std::string_view window_key, std::chrono::seconds max,
               policy::WindowLimit& tier) {
  if (auto v = s.integer(limit_key, 0, kMaxCount)) tier.limit = static_cast<std::uint64_t>(*v);
  if (auto v = s.duration(window_key, 1s, max)) tier.window = *v;
}

void read_prefixes(const Section& s, policy::ThrottleSettings& t) {
  if (auto v = s.integer("network_prefix_v4", 8, 32)) t.network_prefix_v4 = static_cast<unsigned>(*v);
  auto network = s.integer("network_prefix_v6", 16, 128);
  auto address = s.integer("address_prefix_v6", 32, 128);
  if (network) t.network_prefix_v6 = static_cast<unsigned>(*network);
  if (address) t.address_prefix_v6 = static_cast<unsigned>(*address);
  // Each written key must have been valid, or the check would compare against a default.
  bool valid = network.has_value() == s.has("network_prefix_v6") && address.has_value() == s.has("address_prefix_v6");
  // A network holds addresses: a network prefix longer than the address one inverts the tiers.
  if ((network || address) && valid && t.network_prefix_v6 > t.address_prefix_v6) {
    auto key = network ? "network_prefix_v6" : "address_prefix_v6";
    s.error(s.line_of(key), message("\"network_prefix_v6\" ({}) must not exceed \"address_prefix_v6\" ({})",
                                    t.network_prefix_v6, t.address_prefix_v6));
  }
}

void read_account(const Section& s, policy::ThrottleSettings& t) {
  auto slow = s.integer("account_slow_failures", 0, kMaxCount);
  auto protect = s.integer("account_protect_failures", 0, kMaxCount);
  if (slow) t.account_slow.limit = static_cast<std::uint64_t>(*slow);
  if (protect) t.account_protect = static_cast<std::uint64_t>(*protect);
  if (auto v = s.duration("account_window", 1s, 30 * 24h)) t.account_slow.window = *v;
  bool valid =
      slow.has_value() == s.has("account_slow_failures") && protect.has_value() == s.has("account_protect_failures");
  // Protecting comes after slowing; 0 turns protecting off and is exempt.
  if ((slow || protect) && valid && t.account_protect != 0 && t.account_protect < t.account_slow.limit) {
    auto key = protect ? "account_protect_failures" : "account_slow_failures";
    s.error(s.line_of(key),
            message("\"account_protect_failures\" ({}) must not be below \"account_slow_failures\" ({})",
                    t.account_protect, t.account_slow.limit));
  }
}

// Why `program` cannot be run, or nullopt when it can.
std::optional<std::string> not_runnable(const std::filesystem::path& program) {
  std::error_code ec;
  auto status = std::filesystem::status(program, ec);
  if (ec) return ec.message();
  if (!std::filesystem::is_regular_file(status)) return "not a regular file";
  if (::access(program.c_str(), X_OK) != 0) return std::strerror(errno);
  return std::nullopt;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The hook is run without a shell, its argv split at spaces; the first word is a path like every
// other in the file. Kept with its program made absolute and single spaces between words.
void read_alert_hook(const Section& s, const std::filesystem::path& base, Abuse& abuse) {
  auto text = s.string("alert_hook");
  if (!text || text->empty()) return;
  auto line = s.line_of("alert_hook");
  if (text->find_first_of("\"'\\") != std::string::npos) {
    s.error(line,
            "\"alert_hook\" is split at spaces and run without a shell: quotes and backslashes are not "
            "understood");
    return;
  }
  std::vector<std::string_view> words;
  std::string_view rest = *text;
  while (!rest.empty()) {
    auto start = std::ranges::find_if_not(rest, is_space);
    auto end = std::find_if(start, rest.end(), is_space);
    if (start != end) words.emplace_back(start, end);
    rest = std::string_view(end, rest.end());
  }
  if (words.empty()) {
    s.error(line, "\"alert_hook\" must name a program, or be \"\" for none");
    return;
  }
  auto program = resolve(base, words.front());
  // Only a relative program can gain a space (from the directory of the file).
  if (program.string().find_first_of(" \t") != std::string::npos) {
    s.error(line, message("\"alert_hook\": the program's path {} holds a space, but the command is split at spaces "
                          "(give a path without one)",
                          program.string()));
    return;
  }
  if (auto why = not_runnable(program)) {
    s.error(line, message("cannot run \"alert_hook\" program {}: {}", program.string(), *why));
    return;
  }
  std::string command = program.string();
  for (std::size_t i = 1; i < words.size(); ++i) {
    command += ' ';
    command += words[i];
  }
  abuse.alert_hook = std::move(command);
}

std::string to_text(const policy::IpAddress& ip, std::uint16_t port) {
  return message(ip.v4 ? "{}:{}" : "[{}]:{}", ip.to_string(), port);
}

bool is_wildcard(const policy::IpAddress& ip) {
  auto from = ip.v4 ? ip.bytes.end() - 4 : ip.bytes.begin();
  return std::all_of(from, ip.bytes.end(), [](std::uint8_t b) { return b == 0; });
}

// Whether binding both would fail: the same address, or a wildcard and anything (a dual-stack
// "::" takes the IPv4 port too) on one port.
bool clash(const policy::IpAddress& a, const policy::IpAddress& b) {
  return a == b || (is_wildcard(a) && (a.v4 == b.v4 || !a.v4)) || (is_wildcard(b) && (a.v4 == b.v4 || !b.v4));
}

}  // namespace

bool read_networks(const Section& s, std::string_view key, std::vector<policy::Cidr>& out) {
  auto networks = s.strings(key);
  if (!networks) return !s.has(key);
  bool ok = true;
  for (const auto& text : *networks) {
    if (auto cidr = policy::Cidr::parse(text.value)) {
      out.push_back(*cidr);
    } else if (has_host_bits(text.value)) {
      s.error(text.line,
              message("\"{}\": \"{}\" has host bits set (bits after the prefix length must be zero)", key, text.value));
      ok = false;
    } else {
      s.error(text.line,
              message("\"{}\": \"{}\" is not a network such as 192.0.2.0/24 or 2001:db8::/32", key, text.value));
      ok = false;
    }
  }
  return ok;
}

void read_event_log(const Section& top, const std::filesystem::path& base, Config& config) {
  auto text = top.string("event_log");
  if (!text) return;
  auto line = top.line_of("event_log");
  if (text->empty()) {
    top.error(line, "\"event_log\" must be \"stderr\", \"off\" or a file path, not empty");
  } else if (*text == "stderr" || *text == "off") {
    config.event_log = *text;
  } else {
    auto path = resolve(base, *text);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      top.error(line, message("\"event_log\": {} is a directory (name a file in it)", path.string()));
    } else {
      config.event_log = path.string();
    }
  }
}

void read_abuse(const Section& s, const std::filesystem::path& base, Abuse& abuse) {
  auto& t = abuse.throttle;
  if (auto v = s.boolean("exempt_loopback")) t.exempt_loopback = *v;
  read_networks(s, "exempt_networks", t.exempt_networks);
  read_tier(s, "address_failures", "address_window", 24h, t.address);
  read_tier(s, "network_failures", "network_window", 24h, t.network);
  read_prefixes(s, t);
  read_account(s, t);
  if (auto v = s.duration("slow_delay", 0s, 60s)) t.slow_delay = *v;
  // Shorter than a day and a user who logs in once a day is a stranger to their own account.
  if (auto v = s.duration("known_client_ttl", 24h, 365 * 24h)) t.known_client_ttl = *v;
  if (auto v = s.integer("connections_per_minute", 0, kMaxCount)) {
    abuse.connections_per_minute = static_cast<std::uint64_t>(*v);
  }
  read_alert_hook(s, base, abuse);
  if (auto v = s.duration("alert_hook_timeout", 1s, 10min)) abuse.alert_hook_timeout = *v;
  if (auto v = s.number("anomaly_factor", 1, 1000)) abuse.anomaly.factor = *v;
  if (auto v = s.integer("anomaly_min_messages", 0, kMaxCount)) {
    abuse.anomaly.min_messages = static_cast<std::uint64_t>(*v);
  }
  if (auto v = s.boolean("suspend_on_anomaly")) abuse.anomaly.suspend = *v;
}

void copy_exemptions(const Abuse& abuse, RateLimits& rate_limits) {
  rate_limits.settings.exempt_loopback = abuse.throttle.exempt_loopback;
  rate_limits.settings.exempt_networks = abuse.throttle.exempt_networks;
}

// ---- [rate_limits] ------------------------------------------------------------------------

namespace {

// 0 is "no limit of this kind"; an absent key keeps the default.
void read_send_limits(const Section& s, policy::SendLimits& limits) {
  static constexpr std::array<std::pair<std::string_view, std::optional<std::uint64_t> policy::SendLimits::*>, 4>
      kKeys = {{{"messages_per_hour", &policy::SendLimits::messages_per_hour},
                {"messages_per_day", &policy::SendLimits::messages_per_day},
                {"recipients_per_hour", &policy::SendLimits::recipients_per_hour},
                {"recipients_per_day", &policy::SendLimits::recipients_per_day}}};
  for (auto [key, field] : kKeys) {
    if (auto v = s.integer(key, 0, kMaxCount)) {
      limits.*field = *v == 0 ? std::nullopt : std::optional<std::uint64_t>(static_cast<std::uint64_t>(*v));
    }
  }
}

}  // namespace

void read_rate_limits(const Section& s, Diagnostics& diagnostics, RateLimits& rate_limits) {
  auto hour = s.duration("hour_window", 1s, 24h);
  auto day = s.duration("day_window", 1s, 30 * 24h);
  if (hour) rate_limits.hour_window = *hour;
  if (day) rate_limits.day_window = *day;
  bool valid = hour.has_value() == s.has("hour_window") && day.has_value() == s.has("day_window");
  // hour_window is at most 24h, the default day: only a written day_window can be shorter.
  if (day && valid && rate_limits.day_window < rate_limits.hour_window) {
    s.error(s.line_of("day_window"),
            message("\"day_window\" ({}) must not be shorter than \"hour_window\" ({})",
                    format_duration(rate_limits.day_window), format_duration(rate_limits.hour_window)));
  }
  struct Subject {
    std::string_view key;
    policy::SendLimits& limits;
  };
  for (auto [key, limits] :
       {Subject{"account", rate_limits.settings.account}, Subject{"credential", rate_limits.settings.credential},
        Subject{"address", rate_limits.settings.address}}) {
    auto header = message("rate_limits.{}", key);
    if (const auto* table = s.table(key, header)) {
      read_send_limits(Section(*table, header, line_of(*table), diagnostics,
                               {"messages_per_hour", "messages_per_day", "recipients_per_hour", "recipients_per_day"}),
                       limits);
    }
  }
}

// ---- [metrics] ----------------------------------------------------------------------------

std::optional<std::uint32_t> read_metrics(const Section& s, Metrics& metrics) {
  auto text = s.string("listen");
  if (!text) return s.has("listen") ? std::nullopt : std::optional<std::uint32_t>(0);
  auto line = s.line_of("listen");
  if (text->empty()) {
    metrics.address.clear();
    metrics.port = 0;
    return 0;
  }
  auto parsed = parse_listen_address(*text);
  if (!parsed) {
    s.error(line, parsed.error() == ListenAddressError::bad_port
                      ? message("\"listen\": the port of \"{}\" must be between 1 and 65535", *text)
                      : message("\"listen\" must be IP:PORT or [IPv6]:PORT such as 127.0.0.1:9580 or [::1]:9580, or "
                                "\"\" for none, not \"{}\"",
                                *text));
    return std::nullopt;
  }
  metrics.address = parsed->ip;
  metrics.port = parsed->port;
  return line;
}

void check_metrics(const Config& config, std::uint32_t listen_line, Diagnostics& diagnostics) {
  if (config.metrics.address.empty()) return;
  auto endpoint = policy::IpAddress::parse(config.metrics.address);
  if (!endpoint) return;
  for (const auto& listener : config.listeners) {
    auto address = policy::IpAddress::parse(listener.address);
    if (!address || listener.port != config.metrics.port || !clash(*endpoint, *address)) continue;
    auto ours = to_text(*endpoint, config.metrics.port);
    auto theirs = to_text(*address, listener.port);
    if (listen_line != 0) {
      diagnostics.error(listen_line, message("metrics: \"listen\": {} clashes with listener \"{}\" on {} (line {})",
                                             ours, listener.name, theirs, listener.line));
    } else {
      diagnostics.error(listener.line,
                        message("listener \"{}\": {} clashes with the default [metrics] endpoint {}; set listen in "
                                "[metrics] to another address, or to \"\" for none",
                                listener.name, theirs, ours));
    }
  }
}

}  // namespace postern::config::detail
