// `postern credential …`: app passwords (service credentials) of an account: named, revocable,
// optionally expiring, optionally limited to sender addresses and source networks; and the
// suspension of any credential (the account password included).

#include <time.h>

#include <boost/json.hpp>
#include <charconv>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "account_cli.hpp"
#include "auth/account_store.hpp"
#include "policy/cidr.hpp"

namespace postern::app {

namespace {

namespace json = boost::json;
using auth::TimePoint;

struct CredentialArgs {
  ConfigChoice where;
  std::string address;
  std::string name;
  std::string expires;
  std::vector<std::string> senders;
  std::vector<std::string> networks;
  std::string reason;
  bool json = false;
};

// `30d`, `12h`, `2w` from now, or a date `2026-12-31`: valid through that day (UTC), so it
// expires at the midnight that ends it.
Outcome<TimePoint> parse_expiry(std::string_view text, TimePoint now) {
  using namespace std::chrono;
  if (text.size() >= 2 && (text.back() == 'h' || text.back() == 'd' || text.back() == 'w')) {
    long n = 0;
    auto digits = text.substr(0, text.size() - 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec == std::errc() && end == digits.data() + digits.size() && n > 0 && n <= 100 * 366) {
      hours unit = text.back() == 'h' ? hours(1) : text.back() == 'd' ? hours(24) : hours(24 * 7);
      return time_point_cast<seconds>(now) + n * unit;
    }
  }
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  char tail = 0;
  if (text.size() == 10 && std::sscanf(std::string(text).c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) == 3) {
    year_month_day date{year(y), month(m), day(d)};
    if (date.ok()) return TimePoint(sys_days(date) + days(1));
  }
  return usage("--expires " + std::string(text) + ": give a duration such as 30d, 12h, 2w, or a date YYYY-MM-DD");
}

std::string joined(const std::vector<std::string>& items, const char* none) {
  if (items.empty()) return none;
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

json::value optional_time(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return json::value(base::format_rfc3339(*t));
}

json::array string_array(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

Outcome<auth::CredentialSpec> make_spec(const CredentialArgs& args, const Context& ctx) {
  auth::CredentialSpec spec;
  spec.name = args.name;
  if (!auth::valid_credential_name(args.name)) {
    return usage("--name " + args.name + ": use 1 to 64 characters from A-Z a-z 0-9 . _ - (not \"password\" or \"oauth\")");
  }
  if (!args.expires.empty()) {
    auto now = ctx.store->clock().now();
    auto expires = parse_expiry(args.expires, now);
    if (!expires) return std::unexpected(expires.error());
    if (*expires <= now) return usage("--expires " + args.expires + ": that time has already passed");
    spec.expires = *expires;
  }
  for (const auto& sender : args.senders) {
    // `<>` and `@domain` name what a sender grant may give (see `user sender`); an address is
    // one of the local domains or one that a grant covers.
    if (sender == "<>" || sender.starts_with('@')) {
      auto checked = auth::normalize_sender(sender);
      if (!checked) return usage("--senders: " + checked.error().message);
      spec.allowed_senders.push_back(*checked);
      continue;
    }
    auto address = local_address(sender, ctx.config);
    if (!address) {
      auto other = auth::normalize_sender(sender);
      if (!other) return std::unexpected(address.error());
      address = *other;
    }
    spec.allowed_senders.push_back(*address);
  }
  for (const auto& network : args.networks) {
    auto cidr = policy::Cidr::parse(network);
    if (!cidr) return usage("--networks: not a network in CIDR notation: " + network);
    spec.allowed_networks.push_back(*cidr);
  }
  return spec;
}

int credential_add(const CredentialArgs& args) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    auto address = local_address(args.address, ctx.config);
    if (!address) return std::unexpected(address.error());
    auto spec = make_spec(args, ctx);
    if (!spec) return std::unexpected(spec.error());
    auto password = ctx.store->add_credential(*address, *spec);
    if (!password) return runtime(password.error().message);
    std::string login = *address + "/" + spec->name;
    // Shown once: the store keeps only hashes and verifiers.
    if (args.json) {
      json::object out;
      out["name"] = spec->name;
      out["password"] = *password;
      out["login"] = login;
      std::cout << json::serialize(out) << "\n";
    } else {
      std::cout << "credential " << spec->name << " for " << *address << ": password " << *password
                << " (log in as " << *address << " or " << login << ")\n";
    }
    return {};
  });
}

int credential_list(const CredentialArgs& args) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    auto address = local_address(args.address, ctx.config);
    if (!address) return std::unexpected(address.error());
    auto list = ctx.store->list_credentials(*address);
    if (!list) return runtime(list.error().message);
    if (args.json) {
      json::array out;
      for (const auto& c : *list) {
        json::object o;
        o["name"] = c.name;
        o["created"] = base::format_rfc3339(c.created);
        o["expires"] = optional_time(c.expires);
        o["revoked"] = optional_time(c.revoked);
        o["last_used"] = optional_time(c.last_used);
        o["senders"] = string_array(c.allowed_senders);
        o["networks"] = string_array(c.allowed_networks);
        o["suspended"] = optional_time(c.suspended);
        o["suspend_reason"] = c.suspend_reason;
        out.push_back(std::move(o));
      }
      std::cout << json::serialize(out) << "\n";
      return {};
    }
    for (const auto& c : *list) {
      std::cout << c.name << " created=" << base::format_rfc3339(c.created)
                << " expires=" << (c.expires ? base::format_rfc3339(*c.expires) : "never")
                << " revoked=" << (c.revoked ? base::format_rfc3339(*c.revoked) : "no")
                << " last_used=" << (c.last_used ? base::format_rfc3339(*c.last_used) : "never")
                << " senders=" << joined(c.allowed_senders, "any") << " networks=" << joined(c.allowed_networks, "any");
      if (c.suspended) {
        std::cout << " suspended=" << base::format_rfc3339(*c.suspended);
        if (!c.suspend_reason.empty()) std::cout << " reason=\"" << c.suspend_reason << "\"";
      }
      std::cout << "\n";
    }
    return {};
  });
}

int credential_revoke(const CredentialArgs& args) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    auto address = local_address(args.address, ctx.config);
    if (!address) return std::unexpected(address.error());
    if (auto ok = store_result(ctx.store->revoke_credential(*address, args.name)); !ok) return ok;
    std::cout << "credential " << args.name << " of " << *address << " revoked\n";
    return {};
  });
}

// NAME: the account password ("password"), bearer-token logins ("oauth"), certificate logins
// ("certificate") or an app password.
Outcome<void> check_any_credential_name(const std::string& name) {
  if (name == auth::password_credential || name == auth::token_credential || name == auth::certificate_credential ||
      auth::valid_credential_name(name)) {
    return {};
  }
  return usage("not a credential name: " + name + " (password, oauth, certificate or an app password's name)");
}

int credential_suspend(const CredentialArgs& args) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    auto address = local_address(args.address, ctx.config);
    if (!address) return std::unexpected(address.error());
    if (auto ok = check_any_credential_name(args.name); !ok) return ok;
    if (auto ok = store_result(ctx.store->suspend_credential(*address, args.name, args.reason)); !ok) return ok;
    std::cout << "credential " << args.name << " of " << *address
              << " suspended (every login with it is refused until `postern credential resume`)\n";
    return {};
  });
}

int credential_resume(const CredentialArgs& args) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    auto address = local_address(args.address, ctx.config);
    if (!address) return std::unexpected(address.error());
    if (auto ok = check_any_credential_name(args.name); !ok) return ok;
    if (auto ok = store_result(ctx.store->resume_credential(*address, args.name)); !ok) return ok;
    std::cout << "credential " << args.name << " of " << *address << " resumed\n";
    return {};
  });
}

CLI::App* leaf(CLI::App& parent, const char* name, const char* help, Action& action,
               int (*work)(const CredentialArgs&), const std::shared_ptr<CredentialArgs>& args) {
  auto* cmd = parent.add_subcommand(name, help);
  add_config_options(*cmd, args->where);
  cmd->callback([&action, args, work] { action = [args, work] { return work(*args); }; });
  cmd->add_option("ADDRESS", args->address, "The account's address")->required();
  return cmd;
}

}  // namespace

void add_credential_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<CredentialArgs>();
  auto* group = app.add_subcommand("credential", "Manage app passwords (service credentials) of an account");
  group->require_subcommand(1);
  add_config_options(*group, args->where);

  auto* add = leaf(*group, "add", "Create an app password and print it once", action, credential_add, args);
  add->add_option("--name", args->name, "Its name: the login is ADDRESS/NAME")->required();
  add->add_option("--expires", args->expires, "Expiry: a duration (30d, 12h, 2w) or the last valid day YYYY-MM-DD");
  add->add_option("--senders", args->senders,
                  "Only these senders (comma-separated): own addresses, or granted ones (x@y, @domain, <>)")
      ->delimiter(',');
  add->add_option("--networks", args->networks, "Only from these networks (CIDR, comma-separated)")->delimiter(',');
  add->add_flag("--json", args->json, "Print {\"name\", \"password\", \"login\"} as JSON");

  auto* list = leaf(*group, "list", "List an account's app passwords (never a secret)", action, credential_list, args);
  list->add_flag("--json", args->json, "Print a JSON array");

  auto* revoke = leaf(*group, "revoke", "Revoke an app password", action, credential_revoke, args);
  revoke->add_option("NAME", args->name, "The credential's name")->required();

  constexpr const char* any_name = "password (the account password), oauth, certificate, or an app password's name";
  auto* suspend =
      leaf(*group, "suspend", "Refuse every login with a credential until it is resumed (keeps its secrets)", action,
           credential_suspend, args);
  suspend->add_option("NAME", args->name, any_name)->required();
  suspend->add_option("--reason", args->reason, "Why, for the listing and the audit trail");
  auto* resume = leaf(*group, "resume", "Allow a suspended credential again", action, credential_resume, args);
  resume->add_option("NAME", args->name, any_name)->required();
}

}  // namespace postern::app
