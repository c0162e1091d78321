#pragma once
// What the administrative commands (`postern user …`, `credential …`, `lockout …`, `stats`)
// share: the configuration and stores they open, address checks against the local domains,
// who is acting, and failures with their exit codes.

#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "auth/account_store.hpp"
#include "auth/state_store.hpp"
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

/// Who runs the command, for the audit trail: "cli uid=N(name)", plus the sudo user and the SSH
/// client as the environment tells them.
std::string cli_actor();

/// The account `text` names, as the store spells it (local_address, then the store's own
/// address for it); an error when there is no such account.
Outcome<std::string> existing_account(std::string_view text, const Context& ctx);

/// The server's state database (data_dir/state.db). With `create` false a missing file is no
/// error: the result is null (the server has not run yet), and nothing is created.
Outcome<std::unique_ptr<auth::StateStore>> open_state(const Context& ctx, bool create);

/// Registration of the command groups that live beside the account commands.
void add_lockout_commands(CLI::App& app, Action& action);
void add_stats_command(CLI::App& app, Action& action);

}  // namespace postern::app
