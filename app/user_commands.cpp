// `postern user …`: accounts, passwords and aliases in the account store (data_dir/postern.db).

#include <pwd.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include "auth/account_store.hpp"
#include "base/strings.hpp"
#include "cli.hpp"
#include "smtp/address.hpp"

namespace postern::app {

namespace {

struct UserArgs {
  ConfigChoice where;
  std::string address;
  std::string alias;
  bool password_stdin = false;
};

// A failure with the exit code it deserves.
struct Failure {
  int status;
  std::string message;
};

template <class T>
using Outcome = std::expected<T, Failure>;

std::unexpected<Failure> usage(std::string message) { return std::unexpected(Failure{exit_usage, std::move(message)}); }
std::unexpected<Failure> runtime(std::string message) {
  return std::unexpected(Failure{exit_failure, std::move(message)});
}

int report(const Failure& f) {
  print_error(f.message);
  return f.status;
}

// The address as the store keys it (`local@domain`), checked with the SMTP path grammar
// (RFC 5321 §4.1.2, RFC 6531 for UTF-8) and required to be in one of our local domains.
Outcome<std::string> local_address(std::string_view text, const config::Config& config) {
  auto path = smtp::parse_path("<" + std::string(text) + ">", false, false, true);
  if (!path || !path->mailbox || path->had_source_route) return usage("invalid address: " + std::string(text));
  const smtp::Mailbox& mailbox = *path->mailbox;
  // A quoted local part would need quoting in every place the address is shown or compared.
  if (mailbox.quoted) return usage("quoted local parts are not supported: " + std::string(text));
  bool local = false;
  for (const auto& domain : config.local_domains) local = local || base::iequals(domain, mailbox.domain);
  if (!local) {
    std::string domains;
    for (const auto& d : config.local_domains) domains += (domains.empty() ? "" : ", ") + d;
    return usage(std::string(text) + ": " + mailbox.domain + " is not a local domain (local_domains: " + domains + ")");
  }
  return mailbox.local + "@" + mailbox.domain;
}

// Restores the terminal's echo if the user interrupts the prompt.
termios saved_termios;
void restore_echo_and_exit(int signal) {
  ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
  ::_exit(128 + signal);
}

Outcome<std::string> prompt_hidden(const char* prompt) {
  std::cerr << prompt << std::flush;
  termios quiet{};
  if (::tcgetattr(STDIN_FILENO, &saved_termios) != 0) return runtime("cannot read the terminal settings");
  quiet = saved_termios;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  auto old_int = std::signal(SIGINT, restore_echo_and_exit);
  auto old_term = std::signal(SIGTERM, restore_echo_and_exit);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  if (!got) return runtime("no password entered");
  return line;
}

Outcome<std::string> check_password_text(std::string password) {
  if (password.empty()) return usage("empty password");
  if (password.size() > 1024) return usage("password longer than 1024 bytes");
  return password;
}

// --password-stdin: the first line of standard input (a final CR LF or LF is not part of it).
// Otherwise: asked twice on the terminal without echo.
Outcome<std::string> read_password(bool from_stdin) {
  if (from_stdin) {
    std::string line;
    if (!std::getline(std::cin, line) && line.empty()) return usage("no password on standard input");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return check_password_text(std::move(line));
  }
  if (::isatty(STDIN_FILENO) != 1) {
    return usage("standard input is not a terminal: pass the password with --password-stdin");
  }
  auto first = prompt_hidden("Password: ");
  if (!first) return first;
  auto checked = check_password_text(std::move(*first));
  if (!checked) return checked;
  auto second = prompt_hidden("Repeat password: ");
  if (!second) return second;
  if (*checked != *second) return runtime("passwords do not match");
  return checked;
}

// Who is changing accounts, for the store's audit table.
std::string actor() {
  uid_t uid = ::getuid();
  std::string who = "cli uid=" + std::to_string(uid);
  if (const passwd* pw = ::getpwuid(uid); pw != nullptr) who += "(" + std::string(pw->pw_name) + ")";
  return who;
}

struct Context {
  config::Config config;
  std::unique_ptr<auth::AccountStore> store;
};

Outcome<Context> open_context(const ConfigChoice& where) {
  auto config = load_config(config_path(where));
  if (!config) return std::unexpected(Failure{exit_usage, ""});  // already printed
  auto store = auth::AccountStore::open(config->data_dir / "postern.db", auth::StoreOptions{.actor = actor()});
  if (!store) return runtime(store.error().message);
  return Context{std::move(*config), std::move(*store)};
}

// Runs `body` with the loaded configuration and open store, turning failures into exit codes.
template <class Body>
int with_store(const UserArgs& args, Body body) {
  auto ctx = open_context(args.where);
  if (!ctx) return ctx.error().message.empty() ? ctx.error().status : report(ctx.error());
  auto done = body(*ctx);
  if (!done) return report(done.error());
  return exit_ok;
}

Outcome<void> store_result(base::Result<void> r) {
  if (!r) return runtime(r.error().message);
  return {};
}

int user_add(const UserArgs& args) {
  return with_store(args, [&](Context& ctx) -> Outcome<void> {
    auto address = local_address(args.address, ctx.config);
    if (!address) return std::unexpected(address.error());
    auto password = read_password(args.password_stdin);
    if (!password) return std::unexpected(password.error());
    if (auto ok = store_result(ctx.store->add_account(*address, *password)); !ok) return ok;
    std::cout << "account " << *address << " added\n";
    return {};
  });
}

int user_passwd(const UserArgs& args) {
  return with_store(args, [&](Context& ctx) -> Outcome<void> {
    auto address = local_address(args.address, ctx.config);
    if (!address) return std::unexpected(address.error());
    auto password = read_password(args.password_stdin);
    if (!password) return std::unexpected(password.error());
    if (auto ok = store_result(ctx.store->set_password(*address, *password)); !ok) return ok;
    std::cout << "password of " << *address << " changed\n";
    return {};
  });
}

int user_del(const UserArgs& args) {
  return with_store(args, [&](Context& ctx) -> Outcome<void> {
    auto address = local_address(args.address, ctx.config);
    if (!address) return std::unexpected(address.error());
    if (auto ok = store_result(ctx.store->delete_account(*address)); !ok) return ok;
    std::cout << "account " << *address << " deleted\n";
    return {};
  });
}

int user_list(const UserArgs& args) {
  return with_store(args, [&](Context& ctx) -> Outcome<void> {
    auto accounts = ctx.store->list_accounts();
    if (!accounts) return runtime(accounts.error().message);
    for (const auto& account : *accounts) {
      std::cout << account.address << (account.disabled ? " (disabled)" : "") << "\n";
      for (const auto& alias : account.aliases) std::cout << "  alias " << alias << "\n";
    }
    return {};
  });
}

int alias_add(const UserArgs& args) {
  return with_store(args, [&](Context& ctx) -> Outcome<void> {
    auto alias = local_address(args.alias, ctx.config);
    if (!alias) return std::unexpected(alias.error());
    auto address = local_address(args.address, ctx.config);
    if (!address) return std::unexpected(address.error());
    if (auto ok = store_result(ctx.store->add_alias(*alias, *address)); !ok) return ok;
    std::cout << "alias " << *alias << " -> " << *address << " added\n";
    return {};
  });
}

int alias_del(const UserArgs& args) {
  return with_store(args, [&](Context& ctx) -> Outcome<void> {
    auto alias = local_address(args.alias, ctx.config);
    if (!alias) return std::unexpected(alias.error());
    if (auto ok = store_result(ctx.store->delete_alias(*alias)); !ok) return ok;
    std::cout << "alias " << *alias << " deleted\n";
    return {};
  });
}

// One leaf subcommand: --config/--data-dir, and the work to run. All of them share `args`: only
// one runs per invocation.
CLI::App* leaf(CLI::App& parent, const char* name, const char* help, Action& action, int (*work)(const UserArgs&),
               const std::shared_ptr<UserArgs>& args) {
  auto* cmd = parent.add_subcommand(name, help);
  add_config_options(*cmd, args->where);
  cmd->callback([&action, args, work] { action = [args, work] { return work(*args); }; });
  return cmd;
}

}  // namespace

void add_user_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<UserArgs>();
  auto* group = app.add_subcommand("user", "Manage accounts, passwords and aliases");
  group->require_subcommand(1);
  add_config_options(*group, args->where);

  auto* add = leaf(*group, "add", "Add an account", action, user_add, args);
  add->add_option("ADDRESS", args->address, "The account's address, in a local domain")->required();
  add->add_flag("--password-stdin", args->password_stdin, "Read the password from the first line of stdin");

  auto* del = leaf(*group, "del", "Delete an account with its aliases and credentials", action, user_del, args);
  del->add_option("ADDRESS", args->address, "The account's address")->required();

  leaf(*group, "list", "List accounts and their aliases", action, user_list, args);

  auto* passwd = leaf(*group, "passwd", "Set an account's password", action, user_passwd, args);
  passwd->add_option("ADDRESS", args->address, "The account's address")->required();
  passwd->add_flag("--password-stdin", args->password_stdin, "Read the password from the first line of stdin");

  auto* alias = group->add_subcommand("alias", "Manage aliases (further addresses of an account)");
  alias->require_subcommand(1);
  add_config_options(*alias, args->where);
  auto* alias_add_cmd = leaf(*alias, "add", "Deliver ALIAS to the account ADDRESS", action, alias_add, args);
  alias_add_cmd->add_option("ALIAS", args->alias, "The new address")->required();
  alias_add_cmd->add_option("ADDRESS", args->address, "The account it belongs to")->required();
  auto* alias_del_cmd = leaf(*alias, "del", "Delete an alias", action, alias_del, args);
  alias_del_cmd->add_option("ALIAS", args->alias, "The alias")->required();
}

}  // namespace postern::app
