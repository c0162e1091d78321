// `postern audit`: the trail of administrative changes the account store records (who, what,
// which address, when), newest first. The store never writes a secret into it.

#include <time.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "account_cli.hpp"
#include "auth/account_store.hpp"

namespace postern::app {

namespace {

namespace json = boost::json;

struct AuditArgs {
  ConfigChoice where;
  std::string account;
  std::size_t limit = 100;
  bool json = false;
};

void print_text(const std::vector<auth::AuditEntry>& entries) {
  for (const auto& e : entries) {
    std::cout << base::format_rfc3339(e.time) << " " << e.actor << " " << e.action << " " << e.subject;
    if (!e.detail.empty()) std::cout << " " << e.detail;
    std::cout << "\n";
  }
}

void print_json(const std::vector<auth::AuditEntry>& entries) {
  json::array out;
  for (const auto& e : entries) {
    out.push_back(json::object{{"time", base::format_rfc3339(e.time)},
                               {"actor", e.actor},
                               {"action", e.action},
                               {"subject", e.subject},
                               {"detail", e.detail}});
  }
  std::cout << json::serialize(out) << "\n";
}

int audit(const AuditArgs& args) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    std::optional<std::string> subject;
    if (!args.account.empty()) {
      // The store's key, not a local-domain check: the trail also tells about accounts of a
      // domain that has since left local_domains.
      auto key = auth::normalize_address(args.account);
      if (!key) return usage("--account " + args.account + ": " + key.error().message);
      subject = std::move(*key);
    }
    auto entries = ctx.store->audit_log(args.limit, std::move(subject));
    if (!entries) return runtime(entries.error().message);
    if (args.json) {
      print_json(*entries);
    } else {
      print_text(*entries);
    }
    return {};
  });
}

}  // namespace

void add_audit_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<AuditArgs>();
  auto* cmd = app.add_subcommand("audit", "Show the audit trail of administrative changes, newest first");
  add_config_options(*cmd, args->where);
  cmd->add_flag("--json", args->json, "Print a JSON array of {time, actor, action, subject, detail}");
  cmd->add_option("--limit", args->limit, "Show at most this many entries (default 100)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000'000}));
  cmd->add_option("--account", args->account, "Only the changes to this address (and the aliases added to it)");
  cmd->callback([&action, args] { action = [args] { return audit(*args); }; });
}

}  // namespace postern::app
