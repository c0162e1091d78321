#pragma once
// The abuse-defence parts of the configuration: `[abuse]`, `[rate_limits]`, `[metrics]` and the
// top-level `event_log`; also the CIDR lists, which `[abuse]` shares with `[[listener]]`.
// Internal to the config module; loader.cpp calls read_* while reading the tables and
// check_metrics once the listeners are known.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/reader.hpp"
#include "policy/cidr.hpp"

namespace postern::config::detail {

/// A list of CIDR networks under `key` (trusted_networks, allow_networks, deny_networks,
/// exempt_networks), appended to `out`. Returns whether every entry was valid (absent is valid).
bool read_networks(const Section& s, std::string_view key, std::vector<policy::Cidr>& out);

/// The top-level `event_log`: "stderr", "off", or a path made absolute against `base`.
void read_event_log(const Section& top, const std::filesystem::path& base, Config& config);

/// `[abuse]`. Its exemptions are the only ones: copy_exemptions() hands them to the rate limits.
void read_abuse(const Section& s, const std::filesystem::path& base, Abuse& abuse);
/// One place configures who is exempt: the per-address rate limits take `[abuse]`'s exemptions.
void copy_exemptions(const Abuse& abuse, RateLimits& rate_limits);

void read_rate_limits(const Section& s, Diagnostics& diagnostics, RateLimits& rate_limits);

/// `[metrics]`. Returns the line of `listen` (0 when not written or ""), or nullopt when it is
/// invalid (reported; then there is nothing to check against the listeners).
std::optional<std::uint32_t> read_metrics(const Section& s, Metrics& metrics);
/// The metrics endpoint must not take a listener's address. `listen_line` as read_metrics
/// returned it; with 0 (the default endpoint) a clash is reported on the listener.
void check_metrics(const Config& config, std::uint32_t listen_line, Diagnostics& diagnostics);

}  // namespace postern::config::detail
