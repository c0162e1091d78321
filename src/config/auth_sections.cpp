// `[auth]`, `[oauth]` and the AUTH keys of `[[listener]]`.

#include "config/auth_sections.hpp"

#include <algorithm>

#include "sasl/registry.hpp"
#include "sasl/scram.hpp"

namespace postern::config {

namespace detail {

namespace {

using namespace std::chrono_literals;

std::optional<std::filesystem::path> read_file_path(const Section& s, std::string_view key,
                                                    const std::filesystem::path& base) {
  auto written = s.string(key);
  if (!written) return std::nullopt;
  if (written->empty()) {
    s.error(s.line_of(key), message("\"{}\" must not be empty", key));
    return std::nullopt;
  }
  auto path = resolve(base, *written);
  if (auto why = unreadable(path)) {
    s.error(s.line_of(key), message("cannot read \"{}\" file {}: {}", key, path.string(), *why));
    return std::nullopt;
  }
  return path;
}

std::optional<std::string> read_nonempty(const Section& s, std::string_view key) {
  auto value = s.string(key);
  if (value && value->empty()) {
    s.error(s.line_of(key), message("\"{}\" must not be empty", key));
    return std::nullopt;
  }
  return value;
}

bool is_token_mechanism(std::string_view name) { return name == "OAUTHBEARER" || name == "XOAUTH2"; }

}  // namespace

void read_auth(const Section& s, const std::filesystem::path& base, Auth& auth) {
  if (auto v = s.boolean("cram_md5")) auth.cram_md5 = *v;
  // RFC 7677 §4: at least 4096; the upper bound is what the SCRAM code accepts from a store.
  if (auto v = s.integer("scram_iterations", sasl::scram_min_iterations, sasl::scram_max_iterations)) {
    auth.scram_iterations = static_cast<std::uint32_t>(*v);
  }
  if (auto v = s.duration("cache_ttl", 0s, 1h)) auth.cache_ttl = *v;
  if (auto v = s.duration("failure_delay", 0s, 30s)) auth.failure_delay = *v;
  if (s.has("client_ca")) {
    if (auto path = read_file_path(s, "client_ca", base)) auth.client_ca = *path;
  }
}

void read_oauth(const Section& s, const std::filesystem::path& base, OAuth& oauth) {
  oauth.enabled = true;
  if (s.require("issuer")) {
    if (auto v = read_nonempty(s, "issuer")) oauth.issuer = *v;
  }
  if (s.require("audience")) {
    if (auto v = read_nonempty(s, "audience")) oauth.audience = *v;
  }
  bool keys_written = false;
  if (auto keys = s.strings("public_keys")) {
    keys_written = !keys->empty();
    for (const auto& key : *keys) {
      if (key.value.empty()) {
        s.error(key.line, "\"public_keys\" must not hold an empty path");
        continue;
      }
      auto path = resolve(base, key.value);
      if (auto why = unreadable(path)) {
        s.error(key.line, message("cannot read \"public_keys\" file {}: {}", path.string(), *why));
      } else {
        oauth.public_keys.push_back(path);
      }
    }
  } else if (s.has("public_keys")) {
    keys_written = true;  // a wrong type, reported already
  }
  if (s.has("jwks_file")) {
    keys_written = true;
    if (auto path = read_file_path(s, "jwks_file", base)) oauth.jwks_file = *path;
  }
  if (!keys_written) {
    s.error(s.line(), "needs \"public_keys\" or \"jwks_file\": tokens cannot be checked without a key");
  }
  if (auto v = read_nonempty(s, "account_claim")) oauth.account_claim = *v;
  if (auto v = s.duration("leeway", 0s, 1h)) oauth.leeway = *v;
}

bool read_listener_auth(const Section& s, Listener& listener, ListenerAuthLines& lines) {
  bool ok = true;
  if (auto names = s.strings("auth_mechanisms")) {
    if (names->empty()) {
      s.error(s.line_of("auth_mechanisms"),
              "\"auth_mechanisms\" must list at least one mechanism (leave the key out for the defaults)");
      ok = false;
    }
    for (const auto& name : *names) {
      const auto* info = sasl::find_mechanism(name.value);
      if (info == nullptr) {
        s.error(name.line, message("\"auth_mechanisms\": unknown mechanism \"{}\" (known: EXTERNAL, SCRAM-SHA-256-PLUS, "
                                   "SCRAM-SHA-256, SCRAM-SHA-1-PLUS, SCRAM-SHA-1, OAUTHBEARER, XOAUTH2, "
                                   "CRAM-MD5, PLAIN, LOGIN)",
                                   name.value));
        ok = false;
      } else if (std::ranges::find(listener.auth_mechanisms, info->name) != listener.auth_mechanisms.end()) {
        s.error(name.line, message("\"auth_mechanisms\": \"{}\" is listed twice", info->name));
        ok = false;
      } else {
        listener.auth_mechanisms.emplace_back(info->name);
        lines.mechanisms.push_back(name.line);
      }
    }
  } else if (s.has("auth_mechanisms")) {
    ok = false;
  }
  lines.insecure = s.line_of("insecure_auth_without_tls");
  if (auto v = s.boolean("insecure_auth_without_tls")) {
    listener.insecure_auth_without_tls = *v;
    // The gate of a TLS-only listener refuses AUTH before TLS anyway: the opt-in would only
    // look like it does something.
    if (*v && listener.require_tls) {
      s.error(lines.insecure, "\"insecure_auth_without_tls\" cannot be true together with require_tls");
      ok = false;
    }
  } else if (s.has("insecure_auth_without_tls")) {
    ok = false;
  }
  lines.client_certificate = s.line_of("request_client_certificate");
  if (auto v = s.boolean("request_client_certificate")) {
    listener.request_client_certificate = *v;
  } else if (s.has("request_client_certificate")) {
    ok = false;
  }
  return ok;
}

void check_listener_auth(const Listener& listener, const ListenerAuthLines& lines, const Config& config,
                         Diagnostics& diagnostics) {
  auto label = message("listener \"{}\"", listener.name);
  for (std::size_t i = 0; i < listener.auth_mechanisms.size(); ++i) {
    const auto& name = listener.auth_mechanisms[i];
    if (name == "CRAM-MD5" && !config.auth.cram_md5) {
      diagnostics.error(lines.mechanisms[i],
                        message("{}: \"auth_mechanisms\": CRAM-MD5 needs cram_md5 = true in [auth]", label));
    } else if (is_token_mechanism(name) && !config.oauth.enabled) {
      diagnostics.error(lines.mechanisms[i],
                        message("{}: \"auth_mechanisms\": {} needs an [oauth] section", label, name));
    } else if (name == "EXTERNAL" && !listener.request_client_certificate) {
      // Without asking for a certificate there is never one to log in with.
      diagnostics.error(lines.mechanisms[i],
                        message("{}: \"auth_mechanisms\": EXTERNAL needs request_client_certificate = true", label));
    }
  }
  if (listener.request_client_certificate && config.auth.client_ca.empty()) {
    diagnostics.error(lines.client_certificate,
                      message("{}: \"request_client_certificate\" needs client_ca in [auth]", label));
  }
}

}  // namespace detail

std::vector<std::string> offered_mechanisms(const Config& config, const Listener& listener) {
  if (!listener.auth_mechanisms.empty()) return listener.auth_mechanisms;
  std::vector<std::string> out;
  for (const auto& m : sasl::all_mechanisms()) {
    if (m.name == "CRAM-MD5" && !config.auth.cram_md5) continue;
    if (m.name == "EXTERNAL" && !listener.request_client_certificate) continue;
    if (detail::is_token_mechanism(m.name) && !config.oauth.enabled) continue;
    out.emplace_back(m.name);
  }
  return out;
}

}  // namespace postern::config
