#pragma once
// What `postern user …` and `postern credential …` share: the configuration and account store
// they open, address checks against the local domains, and failures with their exit codes.

#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "auth/account_store.hpp"
#include "base/result.hpp"
#include "cli.hpp"

namespace postern::app {

/// A failure with the exit code it deserves; an empty message was already printed.
struct Failure {
  int status;
  std::string message;
};

template <class T>
using Outcome = std::expected<T, Failure>;

inline std::unexpected<Failure> usage(std::string message) {
  return std::unexpected(Failure{exit_usage, std::move(message)});
}
inline std::unexpected<Failure> runtime(std::string message) {
  return std::unexpected(Failure{exit_failure, std::move(message)});
}

/// A store error is a runtime failure.
inline Outcome<void> store_result(base::Result<void> r) {
  if (!r) return runtime(r.error().message);
  return {};
}

/// The loaded configuration and its account store (data_dir/postern.db).
struct Context {
  config::Config config;
  std::unique_ptr<auth::AccountStore> store;
};

/// The address as the store keys it (`local@domain`), checked with the SMTP path grammar
/// (RFC 5321 §4.1.2, RFC 6531 for UTF-8) and required to be in one of the local domains.
Outcome<std::string> local_address(std::string_view text, const config::Config& config);

/// Loads the configuration, opens the store, runs `body`, and turns a failure into its exit
/// code (printing the message).
int with_store(const ConfigChoice& where, const std::function<Outcome<void>(Context&)>& body);

}  // namespace postern::app
