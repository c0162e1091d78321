// `postern lockout list|clear`: the brute-force lockouts the running server publishes in the
// state database (data_dir/state.db), and the clear requests it takes from there within a
// second or so.

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "account_cli.hpp"
#include "auth/state_store.hpp"
#include "policy/auth_throttle.hpp"

namespace postern::app {

Outcome<std::unique_ptr<auth::StateStore>> open_state(const Context& ctx, bool create) {
  auto file = ctx.config.data_dir / auth::state_file_name;
  std::error_code ec;
  if (!create && !std::filesystem::exists(file, ec)) return std::unique_ptr<auth::StateStore>();
  auto state = auth::StateStore::open(file);
  if (!state) return runtime(state.error().message);
  return std::move(*state);
}

namespace {

namespace json = boost::json;

struct LockoutArgs {
  ConfigChoice where;
  std::string target;
  bool json = false;
};

std::string scope_text(const policy::Lockout& l) {
  std::string out(policy::to_string(l.scope));
  return l.slowed_only ? out + " (slowed)" : out;
}

std::string age(std::chrono::system_clock::time_point written, std::chrono::system_clock::time_point now) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - written).count();
  return seconds < 0 ? "in the future" : std::to_string(seconds) + " s ago";
}

void print_text(const std::vector<policy::Lockout>& lockouts, std::optional<auth::TimePoint> written) {
  auto now = std::chrono::system_clock::now();
  if (!written) {
    std::cout << "no lockout listing: the server has not published one yet\n";
    return;
  }
  // The server rewrites the listing every second or so; an old one means it is not running.
  std::cout << "listing published by the server at " << base::format_rfc3339(*written) << " (" << age(*written, now) << ")\n";
  if (lockouts.empty()) {
    std::cout << "no lockouts\n";
    return;
  }
  std::size_t key_width = 3;
  for (const auto& l : lockouts) key_width = std::max(key_width, l.key.size());
  auto pad = [](std::string text, std::size_t width) {
    if (text.size() < width) text.resize(width, ' ');
    return text;
  };
  std::cout << pad("SCOPE", 17) << " " << pad("KEY", key_width) << " " << pad("FAILURES", 8) << " UNTIL\n";
  for (const auto& l : lockouts) {
    std::cout << pad(scope_text(l), 17) << " " << pad(l.key, key_width) << " " << pad(std::to_string(l.failures), 8)
              << " " << base::format_rfc3339(l.until) << "\n";
  }
}

void print_json(const std::vector<policy::Lockout>& lockouts, std::optional<auth::TimePoint> written) {
  json::array rows;
  for (const auto& l : lockouts) {
    rows.push_back(json::object{{"scope", std::string(policy::to_string(l.scope))},
                                {"key", l.key},
                                {"failures", l.failures},
                                {"until", base::format_rfc3339(l.until)},
                                {"slowed_only", l.slowed_only}});
  }
  json::object out;
  out["written"] = written ? json::value(base::format_rfc3339(*written)) : json::value(nullptr);
  out["lockouts"] = std::move(rows);
  std::cout << json::serialize(out) << "\n";
}

int lockout_list(const LockoutArgs& args) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    auto state = open_state(ctx, false);
    if (!state) return std::unexpected(state.error());
    std::vector<policy::Lockout> lockouts;
    std::optional<auth::TimePoint> written;
    if (*state) {
      auto listed = (*state)->load_lockouts();
      if (!listed) return runtime(listed.error().message);
      auto when = (*state)->lockouts_written();
      if (!when) return runtime(when.error().message);
      lockouts = std::move(*listed);
      written = *when;
    }
    if (args.json) {
      print_json(lockouts, written);
    } else {
      print_text(lockouts, written);
    }
    return {};
  });
}

// The request goes to the server through the state database (it owns the counters and applies
// it within about a second); the listing loses the matching entries at once so that `lockout
// list` right after shows the effect; the account store's audit trail records who did it.
int lockout_clear(const LockoutArgs& args) {
  return with_store(args.where, [&](Context& ctx) -> Outcome<void> {
    auto target = auth::normalize_clear_target(args.target);
    if (!target) return usage(target.error().message);
    auto state = open_state(ctx, true);
    if (!state) return std::unexpected(state.error());
    if (auto ok = (*state)->request_clear(*target, cli_actor()); !ok) return runtime(ok.error().message);
    auto removed = (*state)->remove_lockouts(*target);
    if (!removed) return runtime(removed.error().message);
    std::string detail = "removed " + std::to_string(removed->size()) + " listed";
    if (auto ok = store_result(ctx.store->record_operator_action("lockout.clear", *target, detail)); !ok) return ok;
    std::cout << "clear of " << *target << " requested: the running server forgets its failures within a few seconds\n";
    if (removed->empty()) std::cout << "nothing in the published listing matched\n";
    for (const auto& l : *removed) {
      std::cout << "removed from the listing: " << scope_text(l) << " " << l.key << " (" << l.failures
                << " failures)\n";
    }
    return {};
  });
}

}  // namespace

void add_lockout_commands(CLI::App& app, Action& action) {
  auto args = std::make_shared<LockoutArgs>();
  auto* group = app.add_subcommand("lockout", "List and clear brute-force lockouts of the running server");
  group->require_subcommand(1);
  add_config_options(*group, args->where);

  auto* list =
      group->add_subcommand("list", "Show the lockouts the server last published (addresses, networks, accounts)");
  add_config_options(*list, args->where);
  list->add_flag("--json", args->json,
                 "Print {\"written\", \"lockouts\": [{scope, key, failures, until, slowed_only}]}");
  list->callback([&action, args] { action = [args] { return lockout_list(*args); }; });

  auto* clear = group->add_subcommand("clear", "Forget the failures of an address, a network or an account");
  add_config_options(*clear, args->where);
  clear
      ->add_option("TARGET", args->target,
                   "An IP address (with the networks holding it), a CIDR network, or an account")
      ->required();
  clear->callback([&action, args] { action = [args] { return lockout_clear(*args); }; });
}

}  // namespace postern::app
