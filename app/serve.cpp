// `postern serve [--dev]`: load the configuration and run the server. In dev mode the first
// start creates a complete setup in the data directory: configuration, a self-signed
// certificate and a demo account whose password is shown once.

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>

#include "auth/account_store.hpp"
#include "auth/token_issuer.hpp"
#include "base/atomic_file.hpp"
#include "base/random.hpp"
#include "cli.hpp"
#include "net/self_signed.hpp"
#include "server/server.hpp"

namespace postern::app {

namespace {

namespace fs = std::filesystem;

constexpr const char* default_dev_dir = "postern-dev";
constexpr const char* demo_local = "demo";
constexpr const char* demo_domain = "example.test";  // config::dev_config_text's local domain
constexpr std::size_t demo_password_length = 20;

struct ServeArgs {
  ConfigChoice where;
  bool dev = false;
};

base::Result<void> make_private_dir(const fs::path& dir) {
  std::error_code ec;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return base::fail("cannot create " + dir.string() + ": " + std::strerror(errno));
  }
  return {};
}


// The demo account with a fresh password; an account left by an interrupted setup gets the new
// password, so the one printed is always the one that works.
base::Result<std::string> create_demo_account(const fs::path& db) {
  auto store = auth::AccountStore::open(db, auth::StoreOptions{.actor = "postern serve --dev"});
  if (!store) return std::unexpected(store.error());
  base::SystemRandom random;
  std::string password = base::random_alnum(random, demo_password_length);
  std::string address = std::string(demo_local) + "@" + demo_domain;
  auto exists = (*store)->find_mailbox(demo_local, demo_domain);
  auto done = exists == policy::Lookup::found ? (*store)->set_password(address, password)
                                              : (*store)->add_account(address, password);
  if (!done) return std::unexpected(done.error());
  return password;
}

// First dev start: everything config::dev_config_text() refers to (tls/cert.pem, tls/key.pem,
// oauth/issuer.key and oauth/issuer.pub.pem, data_dir "." holding postern.db), then the
// configuration file itself, last.
base::Result<std::string> bootstrap(const fs::path& dir, const fs::path& config_file) {
  if (auto ok = make_private_dir(dir); !ok) return std::unexpected(ok.error());
  if (auto ok = make_private_dir(dir / "tls"); !ok) return std::unexpected(ok.error());
  if (auto ok = net::write_self_signed(dir / "tls" / "cert.pem", dir / "tls" / "key.pem"); !ok) {
    return std::unexpected(ok.error());
  }
  // The dev [oauth] trusts oauth/issuer.pub.pem; `postern oauth mint-token` signs with the key.
  if (auto ok = make_private_dir(dir / "oauth"); !ok) return std::unexpected(ok.error());
  if (auto ok = auth::TokenIssuer::generate_key_files(dir / "oauth" / "issuer.key", dir / "oauth" / "issuer.pub.pem");
      !ok) {
    return std::unexpected(ok.error());
  }
  auto password = create_demo_account(dir / "postern.db");
  if (!password) return password;
  // Written whole or not at all, and last: it is the mark that the dev setup is complete.
  if (auto ok = base::write_file_atomically(config_file, config::dev_config_text(), 0644); !ok) return std::unexpected(ok.error());
  return password;
}

std::string describe_listeners(const config::Config& config) {
  std::string out;
  for (const auto& l : config.listeners) {
    bool v6 = l.address.find(':') != std::string::npos;
    out += out.empty() ? "" : ", ";
    out += l.name + " " + (v6 ? "[" + l.address + "]" : l.address) + ":" + std::to_string(l.port);
    if (l.kind == config::ListenerKind::submissions) {
      out += " (implicit TLS)";
    } else if (l.require_tls) {
      out += " (STARTTLS)";
    }
  }
  return out;
}

bool demo_account_exists(const config::Config& config) {
  auto store = auth::AccountStore::open(config.data_dir / "postern.db");
  return store && (*store)->find_mailbox(demo_local, demo_domain) == policy::Lookup::found;
}

int serve(const ServeArgs& args) {
  fs::path file;
  fs::path dev_dir;
  if (args.dev) {
    // --dev: the data directory is --data-dir, or the directory of --config, or ./postern-dev.
    if (!args.where.config_file.empty()) {
      file = args.where.config_file;
      dev_dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    } else {
      dev_dir = args.where.data_dir.empty() ? fs::path(default_dev_dir) : fs::path(args.where.data_dir);
      file = dev_dir / "postern.toml";
    }
  } else {
    file = config_path(args.where);
  }

  std::optional<std::string> demo_password;
  std::error_code ec;
  if (args.dev && !fs::exists(file, ec)) {
    auto password = bootstrap(dev_dir, file);
    if (!password) {
      print_error("dev mode setup in " + dev_dir.string() + " failed: " + password.error().message);
      return exit_failure;
    }
    demo_password = std::move(*password);
  }

  auto config = load_config(file);
  if (!config) return exit_usage;

  if (args.dev) {
    if (demo_password) {
      std::cout << "dev mode: created " << config->file.string() << " with a self-signed certificate\n"
                << "demo account: " << demo_local << "@" << demo_domain << " password: " << *demo_password << "\n";
    } else {
      std::cout << "dev mode: using " << config->file.string() << "\n";
      if (demo_account_exists(*config)) {
        std::string where =
            args.where.data_dir.empty() && args.where.config_file.empty() ? "" : " --config " + config->file.string();
        std::cout << "demo account exists; reset its password with `postern user passwd" << where << " " << demo_local
                  << "@" << demo_domain << "`\n";
      }
    }
    std::cout << "listeners: " << describe_listeners(*config) << "\n";
  }
  // The server logs to stderr from here on; what was said above must be out first (stdout is a
  // pipe under a test harness or a supervisor, fully buffered).
  std::cout.flush();
  return server::run(*config);
}

}  // namespace

void add_serve_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Run the server");
  add_config_options(*cmd, args->where);
  cmd->add_flag("--dev", args->dev,
                "Development mode: on first start create DIR (default ./postern-dev) with a configuration, a "
                "self-signed certificate and a demo account");
  cmd->callback([&action, args] { action = [args] { return serve(*args); }; });
}

}  // namespace postern::app
