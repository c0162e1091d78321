// `postern oauth mint-token ADDRESS`: a bearer token signed with the dev issuer key
// (oauth/issuer.key beside the configuration), for trying OAUTHBEARER and XOAUTH2 without an
// identity provider.
//
// An address that is not an account (or not in a local domain) is still minted, with a warning
// on stderr: the server is what decides, and a token for an unknown account is how one checks
// that it refuses it.

#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "auth/account_store.hpp"
#include "auth/token_issuer.hpp"
#include "base/strings.hpp"
#include "cli.hpp"
#include "config/units.hpp"
#include "smtp/address.hpp"

namespace postern::app {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::chrono::seconds max_ttl = std::chrono::days{30};

struct MintArgs {
  ConfigChoice where;
  std::string address;
  std::string ttl = "10m";
};

void warn(const std::string& message) { print_error("warning: " + message); }

// `local@domain` with the domain lower-cased, checked with the SMTP path grammar (RFC 5321
// §4.1.2, RFC 6531 for UTF-8).
std::optional<smtp::Mailbox> parse_address(const std::string& text) {
  auto path = smtp::parse_path("<" + text + ">", false, false, true);
  if (!path || !path->mailbox || path->had_source_route || path->mailbox->quoted) return std::nullopt;
  smtp::Mailbox mailbox = *path->mailbox;
  mailbox.domain = base::to_lower(mailbox.domain);
  return mailbox;
}

// The token names what the server's [oauth] expects; a configuration without [oauth] gets the
// dev values (and the server will not offer the token mechanisms until it has the section).
auth::IssuerSettings issuer_settings(const config::Config& config) {
  auth::IssuerSettings settings;
  if (config.oauth.issuer.empty() || config.oauth.audience.empty()) {
    warn(config.file.string() + " has no [oauth] section: the server offers no token mechanisms; minting for issuer " +
         settings.issuer + ", audience " + settings.audience);
    return settings;
  }
  settings.issuer = config.oauth.issuer;
  settings.audience = config.oauth.audience;
  settings.account_claim = config.oauth.account_claim;
  return settings;
}

// Warnings only: see the top of the file.
void check_account(const config::Config& config, const smtp::Mailbox& mailbox) {
  std::string address = mailbox.local + "@" + mailbox.domain;
  bool local = false;
  for (const auto& domain : config.local_domains) local = local || base::iequals(domain, mailbox.domain);
  if (!local) {
    warn(address + " is not in a local domain; the server will not find an account for it");
    return;
  }
  fs::path db = config.data_dir / "postern.db";
  std::error_code ec;
  if (!fs::exists(db, ec)) {
    warn("no account store at " + db.string() + "; cannot check that " + address + " is an account");
    return;
  }
  auto store = auth::AccountStore::open(db);
  if (!store) {
    warn("cannot check that " + address + " is an account: " + store.error().message);
    return;
  }
  switch ((*store)->find_mailbox(mailbox.local, mailbox.domain)) {
    case policy::Lookup::found: return;
    case policy::Lookup::not_found:
      warn(address + " is not an account or alias (see `postern user list`); minted anyway");
      return;
    case policy::Lookup::temporary_failure: warn("cannot check that " + address + " is an account"); return;
  }
}

int mint_token(const MintArgs& args) {
  auto ttl = config::parse_duration(args.ttl);
  if (!ttl || *ttl < 1s || *ttl > max_ttl) {
    print_error("--ttl " + args.ttl + ": a duration from 1s to 720h, e.g. 90s, 10m, 2h");
    return exit_usage;
  }
  auto config = load_config(config_path(args.where));
  if (!config) return exit_usage;
  auto mailbox = parse_address(args.address);
  if (!mailbox) {
    print_error("invalid address: " + args.address);
    return exit_usage;
  }
  auth::IssuerSettings settings = issuer_settings(*config);
  fs::path key_file = config->file.parent_path() / "oauth" / "issuer.key";
  auto issuer = auth::TokenIssuer::load(key_file, std::move(settings));
  if (!issuer) {
    print_error(issuer.error().message + "\n(dev mode creates it: `postern serve --dev`)");
    return exit_failure;
  }
  check_account(*config, *mailbox);
  auto token = issuer->mint(mailbox->local + "@" + mailbox->domain, *ttl, std::chrono::system_clock::now());
  if (!token) {
    print_error(token.error().message);
    return exit_failure;
  }
  // The token is the last line of stdout, alone, so scripts can take it with `tail -n 1`.
  std::cout << *token << "\n" << std::flush;
  return exit_ok;
}

}  // namespace

void add_oauth_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<MintArgs>();
  auto* group = app.add_subcommand("oauth", "Bearer tokens for OAUTHBEARER and XOAUTH2 (development)");
  group->require_subcommand(1);
  add_config_options(*group, args->where);
  auto* mint = group->add_subcommand(
      "mint-token",
      "Print a JWT for ADDRESS signed with oauth/issuer.key beside the configuration (created by `serve --dev`); "
      "an address that is not an account is minted with a warning");
  add_config_options(*mint, args->where);
  mint->add_option("ADDRESS", args->address, "The account the token names (its sub and email claims)")->required();
  mint->add_option("--ttl", args->ttl, "How long the token is valid, e.g. 90s, 10m, 2h (default 10m, at most 720h)")
      ->type_name("DURATION");
  mint->callback([&action, args] { action = [args] { return mint_token(*args); }; });
}

}  // namespace postern::app
