#pragma once
// The SMTP AUTH parts of the configuration: `[auth]`, `[oauth]` and the AUTH keys of a
// `[[listener]]`. Internal to the config module; loader.cpp calls these in that order.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/reader.hpp"

namespace postern::config::detail {

/// The keys of `[[listener]]` that belong to AUTH.
inline constexpr std::string_view listener_auth_keys[] = {"auth_mechanisms", "insecure_auth_without_tls",
                                                          "request_client_certificate"};

/// Where a listener's AUTH keys were written, for the checks that need `[auth]` and `[oauth]`.
struct ListenerAuthLines {
  std::uint32_t insecure = 0;
  std::uint32_t client_certificate = 0;
  std::vector<std::uint32_t> mechanisms;  ///< one per entry of Listener::auth_mechanisms
};

void read_auth(const Section& s, const std::filesystem::path& base, Auth& auth);
void read_oauth(const Section& s, const std::filesystem::path& base, OAuth& oauth);

/// Reads the AUTH keys of one listener (after its kind and requirements); returns whether they
/// were all valid on their own.
bool read_listener_auth(const Section& s, Listener& listener, ListenerAuthLines& lines);

/// What a listener's AUTH keys ask of the rest of the file: CRAM-MD5 needs `[auth] cram_md5`,
/// the token mechanisms need `[oauth]`, a client certificate request needs `[auth] client_ca`.
void check_listener_auth(const Listener& listener, const ListenerAuthLines& lines, const Config& config,
                         Diagnostics& diagnostics);

}  // namespace postern::config::detail
