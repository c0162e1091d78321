#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <system_error>

#include "cli.hpp"

namespace postern::app {

namespace fs = std::filesystem;

void add_config_options(CLI::App& command, ConfigChoice& choice) {
  // A group (`user`) and its subcommands (`user add`) share one ConfigChoice, so the options may
  // stand before or after the subcommand's name; the checks also catch the pair split across
  // the two levels, which CLI11's excludes() cannot see.
  command.add_option("--config", choice.config_file, "Configuration file")
      ->type_name("FILE")
      ->check([&choice](const std::string&) {
        return choice.data_dir.empty() ? std::string() : std::string("--config and --data-dir exclude each other");
      });
  command.add_option("--data-dir", choice.data_dir, "Data directory; reads DIR/postern.toml")
      ->type_name("DIR")
      ->check([&choice](const std::string&) {
        return choice.config_file.empty() ? std::string() : std::string("--config and --data-dir exclude each other");
      });
}

fs::path config_path(const ConfigChoice& choice) {
  if (!choice.config_file.empty()) return choice.config_file;
  if (!choice.data_dir.empty()) return fs::path(choice.data_dir) / "postern.toml";
  std::error_code ec;
  fs::path dev = fs::path("postern-dev") / "postern.toml";
  if (fs::exists(dev, ec)) return dev;
  return "/etc/postern/postern.toml";
}

std::optional<config::Config> load_config(const fs::path& file) {
  auto config = config::load_file(file);
  if (!config) {
    // The lines are already `FILE:LINE: what is wrong`, the form editors and CI logs jump to;
    // no program-name prefix in front of them.
    std::string_view text = config.error();
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    std::fprintf(stderr, "%.*s\n", static_cast<int>(text.size()), text.data());
    return std::nullopt;
  }
  return std::move(*config);
}

void print_error(std::string_view message) {
  while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  std::string out;
  for (std::size_t start = 0; start <= message.size();) {
    auto end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    out += "postern: ";
    out += message.substr(start, end - start);
    out += '\n';
    start = end + 1;
  }
  std::cout.flush();  // keep stdout and stderr in order when both go to one terminal
  std::cerr << out << std::flush;
}

}  // namespace postern::app
