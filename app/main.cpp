// postern: one binary, subcommands for serving and for administration (DESIGN §1 "admin").

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>

#include "account_cli.hpp"
#include "cli.hpp"

#ifndef POSTERN_VERSION
#define POSTERN_VERSION "unknown"
#endif

namespace postern::app {
namespace {

int run(int argc, char** argv) {
  CLI::App app("Postern: an SMTP submission server and MX with authentication done right", "postern");
  app.set_version_flag("--version", "postern " POSTERN_VERSION);
  app.require_subcommand(1);

  Action action;
  add_serve_command(app, action);
  add_check_config_command(app, action);
  add_queue_commands(app, action);
  add_user_commands(app, action);
  add_credential_commands(app, action);
  add_oauth_commands(app, action);
  add_audit_command(app, action);
  add_lockout_commands(app, action);
  add_stats_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error(e.what());
    std::cerr << "Run with --help for more information.\n";
    return exit_usage;
  }
  if (!action) {  // a group such as `postern user` without its subcommand
    print_error("a subcommand is required; run with --help for the list");
    return exit_usage;
  }
  return action();
}

}  // namespace
}  // namespace postern::app

int main(int argc, char** argv) {
  try {
    return postern::app::run(argc, argv);
  } catch (const std::exception& e) {
    // Exceptions are for start-up and configuration only (STYLE §10); anything left is a bug.
    std::fprintf(stderr, "postern: internal error: %s\n", e.what());
    return postern::app::exit_failure;
  }
}
