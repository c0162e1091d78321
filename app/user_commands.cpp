// `postern user …`: accounts, passwords, aliases, sending limits, sender grants and the Dovecot
// import, in the account store (data_dir/postern.db).

#include <pwd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "account_cli.hpp"
#include "auth/account_store.hpp"
#include "auth/dovecot_import.hpp"
#include "base/strings.hpp"
#include "cli.hpp"
#include "policy/rate_limit.hpp"
#include "sasl/crypto.hpp"
#include "smtp/address.hpp"

namespace postern::app {

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

std::string cli_actor() {
  uid_t uid = ::getuid();
  std::string who = "cli uid=" + std::to_string(uid);
  if (const passwd* pw = ::getpwuid(uid); pw != nullptr) who += "(" + std::string(pw->pw_name) + ")";
  // The uid is what the kernel says; these add who ran the command through sudo and from where
  // an SSH session came, as the environment tells it (a hint for the reader, not proof).
  auto word = [](const char* text) {
    std::string out;
    for (const char* p = text; *p != '\0' && *p != ' ' && out.size() < 64; ++p) {
      if (*p > ' ' && *p < 0x7f) out += *p;
    }
    return out;
  };
  if (const char* sudo = std::getenv("SUDO_USER"); sudo != nullptr && !word(sudo).empty()) who += " sudo=" + word(sudo);
  if (const char* ssh = std::getenv("SSH_CLIENT"); ssh != nullptr && !word(ssh).empty()) who += " from=" + word(ssh);
  return who;
}

Outcome<std::string> existing_account(std::string_view text, const Context& ctx) {
  auto address = local_address(text, ctx.config);
  if (!address) return std::unexpected(address.error());
  auto record = ctx.store->find_login(*address);
  if (!record) return runtime(record.error().message);
  if (!*record) return runtime("no account " + *address);
  return (*record)->account;
}

namespace {

struct UserArgs {
  ConfigChoice where;
  std::string address;
  std::string alias;
  std::string file;
  bool password_stdin = false;
  bool cram_md5 = false;
  bool no_cram_md5 = false;
  // user limits
  std::string credential;
  std::array<std::string, 4> limit_text;  // in the order of limit_options
  std::array<CLI::Option*, 4> limit_given{};
  bool unlimited = false;
  bool clear = false;
  // user sender
  std::string grant;
};

int report(const Failure& f) {
  if (!f.message.empty()) print_error(f.message);
  return f.status;
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

// The first `user add` may come before the server ever ran: data_dir is created like the
// server creates it, private to its owner (it will hold the account database and the queue).
Outcome<void> make_data_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return {};
  if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return runtime("cannot create " + dir.string() + ": " + std::strerror(errno));
  }
  return {};
}

Outcome<Context> open_context(const ConfigChoice& where) {
  auto config = load_config(config_path(where));
  if (!config) return std::unexpected(Failure{exit_usage, ""});  // already printed
  if (auto made = make_data_dir(config->data_dir); !made) return std::unexpected(made.error());
  auth::StoreOptions options{.scram_iterations = config->auth.scram_iterations, .actor = cli_actor()};
  auto store = auth::AccountStore::open(config->data_dir / "postern.db", std::move(options));
  if (!store) return runtime(store.error().message);
  return Context{std::move(*config), std::move(*store)};
}

// The address argument checked against the local domains, then `body(address)`.
template <class Body>
int with_address(const UserArgs& args, Body body) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    auto address = local_address(args.address, ctx.config);
    if (!address) return std::unexpected(address.error());
    return body(ctx, *address);
  });
}

int user_add(const UserArgs& args) {
  return with_address(args, [&](Context& ctx, const std::string& address) -> Outcome<void> {
    auto password = read_password(args.password_stdin);
    if (!password) return std::unexpected(password.error());
    auto added = store_result(ctx.store->add_account(address, *password, args.cram_md5));
    sasl::crypto::wipe(*password);
    if (!added) return added;
    std::cout << "account " << address << " added\n";
    return {};
  });
}

int user_passwd(const UserArgs& args) {
  if (args.cram_md5 && args.no_cram_md5) return report(Failure{exit_usage, "--cram-md5 and --no-cram-md5 exclude each other"});
  return with_address(args, [&](Context& ctx, const std::string& address) -> Outcome<void> {
    auto password = read_password(args.password_stdin);
    if (!password) return std::unexpected(password.error());
    auto cram = args.cram_md5      ? auth::CramMd5Change::enable
                : args.no_cram_md5 ? auth::CramMd5Change::disable
                                   : auth::CramMd5Change::keep;
    auto changed = store_result(ctx.store->set_password(address, *password, cram));
    sasl::crypto::wipe(*password);
    if (!changed) return changed;
    std::cout << "password of " << address << " changed\n";
    if (cram == auth::CramMd5Change::enable) std::cout << "CRAM-MD5 enabled for " << address << "\n";
    if (cram == auth::CramMd5Change::disable) std::cout << "CRAM-MD5 disabled for " << address << "\n";
    return {};
  });
}

int user_del(const UserArgs& args) {
  return with_address(args, [&](Context& ctx, const std::string& address) -> Outcome<void> {
    if (auto ok = store_result(ctx.store->delete_account(address)); !ok) return ok;
    std::cout << "account " << address << " deleted\n";
    return {};
  });
}

int user_disable(const UserArgs& args) {
  return with_address(args, [&](Context& ctx, const std::string& address) -> Outcome<void> {
    if (auto ok = store_result(ctx.store->set_disabled(address, true)); !ok) return ok;
    std::cout << "account " << address << " disabled\n";
    return {};
  });
}

int user_enable(const UserArgs& args) {
  return with_address(args, [&](Context& ctx, const std::string& address) -> Outcome<void> {
    if (auto ok = store_result(ctx.store->set_disabled(address, false)); !ok) return ok;
    std::cout << "account " << address << " enabled\n";
    return {};
  });
}

int cram_enable(const UserArgs& args) {
  return with_address(args, [&](Context& ctx, const std::string& address) -> Outcome<void> {
    if (auto ok = store_result(ctx.store->set_cram_md5(address, true)); !ok) return ok;
    std::cout << "CRAM-MD5 enabled for " << address
              << " (each password gets its secret when next set, or at its next PLAIN or LOGIN)\n";
    return {};
  });
}

int cram_disable(const UserArgs& args) {
  return with_address(args, [&](Context& ctx, const std::string& address) -> Outcome<void> {
    if (auto ok = store_result(ctx.store->set_cram_md5(address, false)); !ok) return ok;
    std::cout << "CRAM-MD5 disabled for " << address << "\n";
    return {};
  });
}

int user_list(const UserArgs& args) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    auto accounts = ctx.store->list_accounts();
    if (!accounts) return runtime(accounts.error().message);
    for (const auto& account : *accounts) {
      std::string flags;
      auto flag = [&](bool on, const char* text) {
        if (on) flags += (flags.empty() ? "" : ", ") + std::string(text);
      };
      flag(account.disabled, "disabled");
      flag(account.cram_md5, "cram-md5");
      flag(account.legacy_password, "imported hash");
      std::cout << account.address << (flags.empty() ? "" : " (" + flags + ")") << "\n";
      for (const auto& alias : account.aliases) std::cout << "  alias " << alias << "\n";
      for (const auto& grant : account.sender_grants) std::cout << "  sender " << grant << "\n";
      for (const auto& s : account.suspensions) {
        std::cout << "  suspended " << s.credential << " since " << base::format_rfc3339(s.since)
                  << (s.reason.empty() ? "" : ": " + s.reason) << "\n";
      }
    }
    return {};
  });
}

int alias_add(const UserArgs& args) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
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
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    auto alias = local_address(args.alias, ctx.config);
    if (!alias) return std::unexpected(alias.error());
    if (auto ok = store_result(ctx.store->delete_alias(*alias)); !ok) return ok;
    std::cout << "alias " << *alias << " deleted\n";
    return {};
  });
}

// `user import-dovecot FILE`: one account per passwd-file line. Prints `imported N accounts,
// skipped M`, then `skipped line L (USER): REASON` for each entry not imported.
int user_import_dovecot(const UserArgs& args) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    std::ifstream in(args.file);
    if (!in) return runtime("cannot read " + args.file);
    std::size_t imported = 0;
    std::vector<std::string> skipped;
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
      auto skip = [&](std::string_view user, std::string_view why) {
        skipped.push_back("skipped line " + std::to_string(number) + " (" + std::string(user) + "): " + std::string(why));
      };
      auto entry = auth::parse_passwd_line(line);
      std::string user = line.substr(0, line.find(':'));
      sasl::crypto::wipe(line);  // it may hold a {PLAIN} password
      if (!entry) {
        skip(user, entry.error().message);
        continue;
      }
      if (!*entry) continue;
      auto address = local_address((*entry)->user, ctx.config);
      if (!address) {
        skip((*entry)->user, address.error().message);
      } else {
        auto outcome = ctx.store->import_account(*address, (*entry)->password);
        if (!outcome) return runtime("line " + std::to_string(number) + ": " + outcome.error().message);
        if (outcome->imported) {
          ++imported;
        } else {
          skip((*entry)->user, outcome->skipped_because);
        }
      }
      sasl::crypto::wipe((*entry)->password);
    }
    std::cout << "imported " << imported << " accounts, skipped " << skipped.size() << "\n";
    for (const auto& s : skipped) std::cout << s << "\n";
    return {};
  });
}

// ---- user limits --------------------------------------------------------------------------------

struct LimitOption {
  const char* flag;
  const char* words;  // as the listing says it
  std::optional<std::uint64_t> policy::SendLimits::*field;
};
constexpr std::array<LimitOption, 4> limit_options{{
    {"--messages-per-hour", "messages per hour", &policy::SendLimits::messages_per_hour},
    {"--messages-per-day", "messages per day", &policy::SendLimits::messages_per_day},
    {"--recipients-per-hour", "recipients per hour", &policy::SendLimits::recipients_per_hour},
    {"--recipients-per-day", "recipients per day", &policy::SendLimits::recipients_per_day},
}};

Outcome<std::uint64_t> limit_value(std::string_view flag, std::string_view text) {
  constexpr auto most = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n == 0 || n > most) {
    // Zero would be a way to stop an account sending; suspension says so more clearly.
    return usage(std::string(flag) + " " + std::string(text) + ": give a whole number from 1 to " +
                 std::to_string(most) + " (to stop a credential sending, suspend it)");
  }
  return n;
}

// The options given, merged into `current`: a number replaces that limit and, unless
// --unlimited is given too, ends `unlimited` (the operator is setting a limit).
Outcome<policy::LimitOverride> merged_limits(const UserArgs& args, policy::LimitOverride current) {
  bool any = false;
  for (std::size_t i = 0; i < limit_options.size(); ++i) {
    if (args.limit_given[i] == nullptr || args.limit_given[i]->count() == 0) continue;
    auto n = limit_value(limit_options[i].flag, args.limit_text[i]);
    if (!n) return std::unexpected(n.error());
    current.limits.*limit_options[i].field = *n;
    any = true;
  }
  current.unlimited = args.unlimited || (current.unlimited && !any);
  return current;
}

bool limit_options_given(const UserArgs& args) {
  if (args.unlimited) return true;
  return std::ranges::any_of(args.limit_given, [](const CLI::Option* o) { return o != nullptr && o->count() > 0; });
}

std::string limit_text(const std::optional<std::uint64_t>& n) { return n ? std::to_string(*n) : "none"; }

void print_limits(const Context& ctx, const std::string& account, const std::string& credential,
                  const std::optional<policy::LimitOverride>& override_) {
  const auto& settings = ctx.config.rate_limits.settings;
  const policy::SendLimits& defaults = credential.empty() ? settings.account : settings.credential;
  std::string who = credential.empty() ? "account " + account : "credential " + credential + " of " + account;
  std::cout << "limits of " << who;
  if (!credential.empty()) std::cout << " (the account's limits apply as well)";
  std::cout << ":\n";
  if (override_ && override_->unlimited) {
    std::cout << "  unlimited (override): no sending limit applies\n";
    return;
  }
  if (!override_) std::cout << "  no override: the defaults of the configuration apply\n";
  for (const auto& o : limit_options) {
    bool overridden = override_ && (override_->limits.*o.field).has_value();
    std::string words = std::string(o.words) + " ";
    words.resize(22, ' ');
    std::cout << "  " << words << limit_text(overridden ? override_->limits.*o.field : defaults.*o.field)
              << (overridden ? " (override; default " + limit_text(defaults.*o.field) + ")" : " (default)") << "\n";
  }
}

bool known_credential_name(std::string_view name) {
  return name.empty() || name == auth::password_credential || name == auth::token_credential ||
         name == auth::certificate_credential || auth::valid_credential_name(name);
}

int user_limits(const UserArgs& args) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    bool setting = limit_options_given(args);
    if (args.clear && setting) return usage("--clear excludes the limit options and --unlimited");
    if (!known_credential_name(args.credential)) {
      return usage("--credential " + args.credential +
                   ": not a credential name (password, oauth, certificate or an app password)");
    }
    auto account = existing_account(args.address, ctx);
    if (!account) return std::unexpected(account.error());
    if (args.clear) {
      if (auto ok = store_result(ctx.store->clear_limits(*account, args.credential)); !ok) return ok;
      std::cout << "limit override removed\n";
    } else if (setting) {
      auto current = ctx.store->find_limits(*account, args.credential);
      if (!current) return runtime(current.error().message);
      auto merged = merged_limits(args, current->value_or(policy::LimitOverride{}));
      if (!merged) return std::unexpected(merged.error());
      if (auto ok = store_result(ctx.store->set_limits(*account, args.credential, *merged)); !ok) return ok;
      std::cout << "limit override set (a running server applies it within a few seconds)\n";
    }
    auto now = ctx.store->find_limits(*account, args.credential);
    if (!now) return runtime(now.error().message);
    print_limits(ctx, *account, args.credential, *now);
    return {};
  });
}

// ---- user sender ---------------------------------------------------------------------------------

Outcome<std::string> grant_argument(const std::string& text) {
  auto grant = auth::normalize_sender(text);
  if (!grant) return usage(grant.error().message + " (give local@domain, @domain or <>)");
  return *grant;
}

int sender_add(const UserArgs& args) {
  return with_address(args, [&](Context& ctx, const std::string& address) -> Outcome<void> {
    auto grant = grant_argument(args.grant);
    if (!grant) return std::unexpected(grant.error());
    if (auto ok = store_result(ctx.store->add_sender_grant(address, *grant)); !ok) return ok;
    std::cout << address << " may now send as " << *grant << "\n";
    return {};
  });
}

int sender_remove(const UserArgs& args) {
  return with_address(args, [&](Context& ctx, const std::string& address) -> Outcome<void> {
    auto grant = grant_argument(args.grant);
    if (!grant) return std::unexpected(grant.error());
    if (auto ok = store_result(ctx.store->remove_sender_grant(address, *grant)); !ok) return ok;
    std::cout << address << " may no longer send as " << *grant << "\n";
    return {};
  });
}

// One grant a line, nothing else: the account's own addresses and aliases are `user list`'s.
int sender_list(const UserArgs& args) {
  return with_address(args, [&](Context& ctx, const std::string& address) -> Outcome<void> {
    auto grants = ctx.store->list_sender_grants(address);
    if (!grants) return runtime(grants.error().message);
    for (const auto& g : *grants) std::cout << g << "\n";
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

CLI::App* address_leaf(CLI::App& parent, const char* name, const char* help, Action& action,
                       int (*work)(const UserArgs&), const std::shared_ptr<UserArgs>& args) {
  auto* cmd = leaf(parent, name, help, action, work, args);
  cmd->add_option("ADDRESS", args->address, "The account's address")->required();
  return cmd;
}

}  // namespace

int with_store(const ConfigChoice& where, const std::function<Outcome<void>(Context&)>& body) {
  auto ctx = open_context(where);
  if (!ctx) return report(ctx.error());
  auto done = body(*ctx);
  if (!done) return report(done.error());
  return exit_ok;
}

void add_user_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<UserArgs>();
  auto* group = app.add_subcommand("user", "Manage accounts, passwords and aliases");
  group->require_subcommand(1);
  add_config_options(*group, args->where);

  auto* add = address_leaf(*group, "add", "Add an account", action, user_add, args);
  add->add_flag("--password-stdin", args->password_stdin, "Read the password from the first line of stdin");
  add->add_flag("--cram-md5", args->cram_md5, "Enable CRAM-MD5 for the account");

  address_leaf(*group, "del", "Delete an account with its aliases and credentials", action, user_del, args);
  leaf(*group, "list", "List accounts (with their state) and their aliases", action, user_list, args);

  auto* passwd = address_leaf(*group, "passwd", "Set an account's password", action, user_passwd, args);
  passwd->add_flag("--password-stdin", args->password_stdin, "Read the password from the first line of stdin");
  passwd->add_flag("--cram-md5", args->cram_md5, "Also enable CRAM-MD5, with this password's secret");
  passwd->add_flag("--no-cram-md5", args->no_cram_md5, "Also disable CRAM-MD5 and drop its secrets");

  address_leaf(*group, "disable", "Refuse every login of an account (mail to it is still accepted)", action,
               user_disable, args);
  address_leaf(*group, "enable", "Allow a disabled account to log in again", action, user_enable, args);

  auto* limits = address_leaf(*group, "limits",
                              "Show or set an account's (or one credential's) sending limits; options given "
                              "replace those limits, the others stay",
                              action, user_limits, args);
  limits->add_option("--credential", args->credential,
                     "A credential of the account instead: password, oauth, certificate or an app password's name");
  for (std::size_t i = 0; i < limit_options.size(); ++i) {
    args->limit_given[i] = limits
                               ->add_option(limit_options[i].flag, args->limit_text[i],
                                            std::string("At most this many ") + limit_options[i].words)
                               ->type_name("N");
  }
  limits->add_flag("--unlimited", args->unlimited, "Lift every limit (a number given without it ends this)");
  limits->add_flag("--clear", args->clear, "Remove the override: the configured defaults apply again");

  auto* sender = group->add_subcommand("sender", "Grant an account further sender addresses (envelope and From:)");
  sender->require_subcommand(1);
  add_config_options(*sender, args->where);
  constexpr const char* grant_help = "local@domain (one address), @domain (a whole domain) or <> (the null sender)";
  address_leaf(*sender, "add", "Let the account send as GRANT", action, sender_add, args)
      ->add_option("GRANT", args->grant, grant_help)
      ->required();
  address_leaf(*sender, "remove", "Take a grant back", action, sender_remove, args)
      ->add_option("GRANT", args->grant, grant_help)
      ->required();
  address_leaf(*sender, "list", "List the account's grants, one a line", action, sender_list, args);

  auto* cram = group->add_subcommand("cram-md5", "Enable or disable CRAM-MD5 for an account");
  cram->require_subcommand(1);
  add_config_options(*cram, args->where);
  address_leaf(*cram, "enable", "Enable CRAM-MD5 (secrets follow at the next password change or PLAIN/LOGIN)",
               action, cram_enable, args);
  address_leaf(*cram, "disable", "Disable CRAM-MD5 and drop its secrets", action, cram_disable, args);

  auto* import = leaf(*group, "import-dovecot", "Import accounts from a Dovecot passwd-file", action,
                      user_import_dovecot, args);
  import->add_option("FILE", args->file, "user@domain:{SCHEME}hash[:uid:gid:...] lines")->required();

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
