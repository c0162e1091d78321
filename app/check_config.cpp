// `postern check-config`: the configuration parses and validates, and every certificate and key
// loads and belongs together, exactly as the server would find them.

#include <iostream>
#include <memory>

#include "cli.hpp"
#include "net/cert_check.hpp"

namespace postern::app {

namespace {

int check_config(const ConfigChoice& where) {
  auto file = config_path(where);
  auto config = load_config(file);
  if (!config) return exit_usage;
  bool ok = true;
  for (const auto& certificate : config->tls.certificates) {
    if (auto checked = net::check_certificate_pair(certificate.cert_file, certificate.key_file); !checked) {
      print_error(file.string() + ": " + checked.error().message);
      ok = false;
    }
  }
  if (!ok) return exit_usage;
  std::cout << file.string() << ": ok\n";
  return exit_ok;
}

}  // namespace

void add_check_config_command(CLI::App& app, Action& action) {
  auto where = std::make_shared<ConfigChoice>();
  auto* cmd = app.add_subcommand("check-config", "Validate the configuration and its certificates");
  add_config_options(*cmd, *where);
  cmd->callback([&action, where] { action = [where] { return check_config(*where); }; });
}

}  // namespace postern::app
