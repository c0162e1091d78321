#pragma once
// Pieces shared by the `postern` subcommands: where the configuration is, how errors are
// reported, and the exit codes.

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/time_format.hpp"
#include "config/config.hpp"

namespace postern::app {

/// Exit codes: 0 success, 1 a runtime failure, 2 a usage or configuration error.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

/// The work a parsed subcommand does; returns the exit code.
using Action = std::function<int()>;

/// `--config FILE` or `--data-dir DIR` (meaning DIR/postern.toml), accepted by every subcommand.
struct ConfigChoice {
  std::string config_file;
  std::string data_dir;
};

/// Adds --config and --data-dir (mutually exclusive) to a subcommand.
void add_config_options(CLI::App& command, ConfigChoice& choice);

/// The file a subcommand reads: --config, else DIR/postern.toml for --data-dir, else
/// ./postern-dev/postern.toml when it exists, else /etc/postern/postern.toml.
std::filesystem::path config_path(const ConfigChoice& choice);

/// Loads and validates the configuration; on failure prints the `FILE:LINE: what` lines to
/// stderr as they are (no `postern:` prefix) and returns nothing (the caller exits with exit_usage).
std::optional<config::Config> load_config(const std::filesystem::path& file);

/// Prints `postern: <message>` on stderr, prefixing every line of a multi-line message.
void print_error(std::string_view message);

/// Registration of each group of subcommands: on a successful parse, `action` is set to the
/// chosen command's work.
void add_serve_command(CLI::App& app, Action& action);
void add_check_config_command(CLI::App& app, Action& action);
void add_queue_commands(CLI::App& app, Action& action);
void add_user_commands(CLI::App& app, Action& action);
void add_credential_commands(CLI::App& app, Action& action);
void add_oauth_commands(CLI::App& app, Action& action);
void add_audit_command(CLI::App& app, Action& action);

}  // namespace postern::app
